// The parts of `npm run lint:templates` that need no cfn-lint, so that they are checked by
// `npm test` in any clone: the missing-linter message, template discovery, regions, the verdict.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { CfnLintFinding, cfnLintVersion, findTemplates, LintSetupError, main, runCfnLint, stackRegions, summarize } from './lint-templates';

describe('lint:templates', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bg-lint-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('without a usable cfn-lint', () => {
    test('a missing cfn-lint is one clear line that says how to install it', () => {
      expect(() => cfnLintVersion(join(dir, 'cfn-lint'))).toThrow(
        new LintSetupError(`${join(dir, 'cfn-lint')} is not installed (not on PATH): install it with pip install cfn-lint`),
      );
    });

    test('a cfn-lint that does not answer with its version is refused the same way', () => {
      const fake = join(dir, 'cfn-lint');
      writeFileSync(fake, '#!/bin/sh\necho "Traceback (most recent call last):" >&2\nexit 1\n');
      chmodSync(fake, 0o755);
      expect(() => cfnLintVersion(fake)).toThrow(/--version answered "Traceback \(most recent call last\):" \(exit 1\): install it with pip install cfn-lint$/);
    });

    test('the check fails with exit code 1 before it synthesizes anything', () => {
      const errors: string[] = [];
      const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
      const saved = process.env.CFN_LINT;
      process.env.CFN_LINT = join(dir, 'no-cfn-lint');
      try {
        expect(main([join(dir, 'out')])).toBe(1);
      } finally {
        spy.mockRestore();
        if (saved === undefined) delete process.env.CFN_LINT;
        else process.env.CFN_LINT = saved;
      }
      expect(errors).toEqual([`lint:templates: FAIL: ${join(dir, 'no-cfn-lint')} is not installed (not on PATH): install it with pip install cfn-lint`]);
      expect(findTemplates(dir)).toEqual([]);
    });
  });

  test('finds every template under the output folder, in stages too, with the region each stack deploys to', () => {
    const app = new App({ outdir: dir });
    const topic = (stack: Stack) => new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic' });
    topic(new Stack(app, 'Ireland', { env: { account: '123456789012', region: 'eu-west-1' } }));
    topic(new Stack(app, 'Anywhere'));
    const tokyo = new Stack(new Stage(app, 'Prod'), 'Tokyo', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    topic(tokyo);
    app.synth();

    const inStage = `assembly-Prod/${tokyo.templateFile}`;
    expect(findTemplates(dir).map((t) => relative(dir, t))).toEqual(['Anywhere.template.json', 'Ireland.template.json', inStage]);
    const regions = Object.fromEntries([...stackRegions(dir)].map(([t, r]) => [relative(dir, t), r]));
    // An environment-agnostic stack has no region: cfn-lint lints it in its default region.
    expect(regions).toEqual({ 'Ireland.template.json': 'eu-west-1', [inStage]: 'ap-northeast-1' });
  });

  describe('running cfn-lint', () => {
    const fakeCfnLint = (body: string): string => {
      const fake = join(dir, 'cfn-lint');
      writeFileSync(fake, `#!/bin/sh\n${body}\n`);
      chmodSync(fake, 0o755);
      return fake;
    };

    test('asks for JSON, in the stack region, with the templates after the options', () => {
      const fake = fakeCfnLint(`printf '%s\\n' "$@" >"${dir}/args"; echo '[]'`);
      expect(runCfnLint(fake, [join(dir, 'a', 'A.template.json'), join(dir, 'B.template.json')], 'eu-west-1', dir)).toEqual([]);
      expect(readFileSync(join(dir, 'args'), 'utf8').split('\n').filter(Boolean)).toEqual([
        '--format', 'json', '--regions', 'eu-west-1', '--', 'a/A.template.json', 'B.template.json',
      ]);
    });

    test('output that is not a JSON list of findings is a setup error with cfn-lint\'s last words', () => {
      const fake = fakeCfnLint(`echo 'E0000 could not load template' >&2; exit 1`);
      expect(() => runCfnLint(fake, [join(dir, 'A.template.json')], undefined, dir)).toThrow(
        new LintSetupError(`${fake} exited 1 without a JSON result: E0000 could not load template`),
      );
    });
  });

  describe('the verdict', () => {
    const finding = (Level: CfnLintFinding['Level'], id: string, file: string, line: number): CfnLintFinding => ({
      Filename: file,
      Level,
      Message: `message of ${id}`,
      Rule: { Id: id },
      Location: { Start: { LineNumber: line }, Path: ['Resources', 'X', 'Properties'] },
    });

    test('counts errors, lists each of them, and sums up the other findings per rule', () => {
      const s = summarize([
        finding('Warning', 'W3005', 'B.template.json', 9),
        finding('Error', 'E3006', 'A.template.json', 3),
        finding('Warning', 'W3005', 'A.template.json', 7),
        finding('Informational', 'I3042', 'A.template.json', 1),
      ]);
      expect(s).toEqual({
        errors: 1,
        warnings: 2,
        informational: 1,
        lines: [
          'E3006 A.template.json:3 Resources/X/Properties: message of E3006',
          'I3042 ×1 (informational), e.g. A.template.json:1 Resources/X/Properties: message of I3042',
          'W3005 ×2 (warning), e.g. A.template.json:7 Resources/X/Properties: message of W3005',
        ],
      });
    });

    test('no findings is zero of everything', () => {
      expect(summarize([])).toEqual({ errors: 0, warnings: 0, informational: 0, lines: [] });
    });
  });
});
