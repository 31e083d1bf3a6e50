import { Duration, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';

/** Options for the tests that run against the green slot before the approval. */
export interface ReleaseTestsOptions {
  /**
   * What the tests are called: the report's name in the CodeBuild report group and the first
   * word of their summary line in the approval email ("smoke: 12 passed, 0 failed").
   * @default 'smoke'
   */
  readonly name?: string;
  /**
   * Where the tests write their JUnit XML reports, relative to the source root (every `.xml`
   * file under it is read).
   * @default 'test-reports'
   */
  readonly reportDirectory?: string;
  /**
   * How long the tests may run before the release ends without an approval request.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
}

/** The variable the tests' CodeBuild action exports: their one-line summary, for the approval email. */
export const TEST_SUMMARY_VARIABLE = 'TEST_SUMMARY';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DIRECTORY = /^(?!\/)(?!.*\.\.)[A-Za-z0-9_./-]{1,200}$/;
/** CodeBuild build timeouts: 5 to 2160 minutes (AWS::CodeBuild::Project TimeoutInMinutes). */
const MIN_TIMEOUT = Duration.minutes(5);
const MAX_TIMEOUT = Duration.minutes(2160);

/**
 * The summary line, from every JUnit XML file under a directory: `smoke: 11 passed, 1 failed
 * (checkout › pays)`, naming at most three failed tests. Plain JavaScript for `node -e` on the
 * CodeBuild image (no quote characters a shell would take), unit-tested by running it.
 */
export const JUNIT_SUMMARY_SCRIPT = String.raw`const fs=require("fs"),path=require("path");const dir=process.argv[1],name=process.argv[2];
function files(d){let out=[];let entries=[];try{entries=fs.readdirSync(d,{withFileTypes:true})}catch(e){return out}for(const e of entries){const p=path.join(d,e.name);if(e.isDirectory())out=out.concat(files(p));else if(p.endsWith(".xml"))out.push(p)}return out}
const text=(s)=>s.replace(/&lt;/g,"<").replace(/&gt;/g,">").replace(/&quot;/g,"\"").replace(/&apos;/g,"\x27").replace(/&amp;/g,"&");
let tests=0,failed=0,skipped=0;const names=[];
for(const f of files(dir)){const x=fs.readFileSync(f,"utf8");for(const m of x.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)){tests++;const body=m[2]||"";const attr=(k)=>{const a=m[1].match(new RegExp("\\b"+k+"=\"([^\"]*)\""));return a?text(a[1]):""};if(/<(failure|error)\b/.test(body)){failed++;names.push((attr("classname")?attr("classname")+" \u203a ":"")+attr("name"))}else if(/<skipped\b/.test(body))skipped++}}
let s=tests===0?name+": no JUnit report in "+dir:name+": "+(tests-failed-skipped)+" passed, "+failed+" failed"+(skipped?", "+skipped+" skipped":"");
if(names.length)s+=" ("+names.slice(0,3).join(", ")+(names.length>3?", and "+(names.length-3)+" more":"")+")";
console.log(s.slice(0,1000))`;

/** The shell line that sets TEST_SUMMARY from the reports (in the build phase's `finally`, so a failed run is summarised too). */
export function junitSummaryCommand(name: string, reportDirectory: string): string {
  return `export ${TEST_SUMMARY_VARIABLE}="$(node -e '${JUNIT_SUMMARY_SCRIPT}' '${reportDirectory}' '${name}')"; echo "$${TEST_SUMMARY_VARIABLE}"`;
}

/**
 * Tests that run in the VPC against the green slot after DeployGreen and before the approval: a
 * failure ends the release before any approval is requested, with production untouched. They get
 * `TEST_URL`, `TEST_HEADER` (empty with a test port), `IMAGE_DIGEST` and `COMMIT` in their
 * environment, and report JUnit XML to a CodeBuild report group.
 */
export abstract class ReleaseTests {
  /**
   * Shell commands, run in order; the first that fails fails the tests. For example
   * `['curl -fsS -H "$TEST_HEADER" "$TEST_URL/health"']` or `['npm ci', 'npx playwright test --reporter=junit']`.
   * @param commands the shell commands, in order
   * @param options the tests' name, report directory and timeout
   */
  public static commands(commands: string[], options: ReleaseTestsOptions = {}): ReleaseTests {
    return new CommandTests(commands, options);
  }

  /**
   * Your own buildspec. To put a summary line in the approval email, export `TEST_SUMMARY`
   * yourself (`junitSummaryCommand` computes it from JUnit XML reports): the approval message
   * reads it, and cannot be sent without it.
   * @param buildSpec the buildspec the tests' project runs
   * @param options the tests' name, report directory and timeout
   */
  public static fromBuildSpec(buildSpec: codebuild.BuildSpec, options: ReleaseTestsOptions = {}): ReleaseTests {
    return new BuildSpecTests(buildSpec, options);
  }

  /** The report's name and the summary line's first word. */
  public readonly name: string;
  /** Where the JUnit XML reports are read from. */
  public readonly reportDirectory: string;
  /** How long the tests may run. */
  public readonly timeout: Duration;

  /** @param options the tests' name, report directory and timeout */
  protected constructor(options: ReleaseTestsOptions) {
    this.name = options.name ?? 'smoke';
    this.reportDirectory = options.reportDirectory ?? 'test-reports';
    this.timeout = options.timeout ?? Duration.minutes(30);
  }

  /** Problems, as sentences naming the value received and what was expected (empty when valid). Unresolved tokens are not checked. */
  public validate(): string[] {
    const problems: string[] = [];
    if (!Token.isUnresolved(this.name) && !NAME.test(this.name)) problems.push(`preApprovalTests name must be 1-64 letters, digits, "-" or "_", starting with a letter or digit (got ${JSON.stringify(this.name)}).`);
    if (!Token.isUnresolved(this.reportDirectory) && !DIRECTORY.test(this.reportDirectory)) {
      problems.push(`preApprovalTests reportDirectory must be a relative path of letters, digits and "_-./", without ".." (got ${JSON.stringify(this.reportDirectory)}).`);
    }
    if (!this.timeout.isUnresolved()) {
      const minutes = this.timeout.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < MIN_TIMEOUT.toMinutes() || minutes > MAX_TIMEOUT.toMinutes()) {
        problems.push(`preApprovalTests timeout must be whole minutes from ${MIN_TIMEOUT.toMinutes()} to ${MAX_TIMEOUT.toMinutes()} (got ${this.timeout.toHumanString()}).`);
      }
    }
    return problems;
  }

  /**
   * The buildspec the tests' CodeBuild project runs. `reportGroupArn`: the report group the JUnit
   * reports go to (the report group the construct creates).
   * @param reportGroupArn the report group's ARN. @default - a report group CodeBuild creates, named after the project and `name`
   */
  public abstract buildSpec(reportGroupArn?: string): codebuild.BuildSpec;
}

class CommandTests extends ReleaseTests {
  constructor(
    private readonly commands: string[],
    options: ReleaseTestsOptions,
  ) {
    super(options);
  }

  public validate(): string[] {
    const problems = super.validate();
    if (!Token.isUnresolved(this.commands)) {
      if (this.commands.length === 0) problems.push('preApprovalTests commands must name at least one command (got none).');
      this.commands.forEach((c, i) => {
        if (!Token.isUnresolved(c) && (typeof c !== 'string' || c.trim() === '')) problems.push(`preApprovalTests commands[${i}] must be a non-empty shell command (got ${JSON.stringify(c)}).`);
      });
    }
    return problems;
  }

  public buildSpec(reportGroupArn?: string): codebuild.BuildSpec {
    return codebuild.BuildSpec.fromObject({
      version: '0.2',
      env: { 'exported-variables': [TEST_SUMMARY_VARIABLE] },
      phases: {
        build: {
          commands: [`mkdir -p '${this.reportDirectory}'`, ...this.commands],
          finally: [junitSummaryCommand(this.name, this.reportDirectory)],
        },
      },
      reports: {
        [reportGroupArn ?? this.name]: { files: ['**/*.xml'], 'base-directory': this.reportDirectory, 'file-format': 'JUNITXML' },
      },
    });
  }
}

class BuildSpecTests extends ReleaseTests {
  constructor(
    private readonly spec: codebuild.BuildSpec,
    options: ReleaseTestsOptions,
  ) {
    super(options);
  }

  public buildSpec(): codebuild.BuildSpec {
    return this.spec;
  }
}
