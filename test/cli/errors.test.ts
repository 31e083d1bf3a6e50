// Expected failures are one clear line and a documented exit code, never a stack trace.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { FIXTURES } from '../buildspecs/codebuild-harness';
import { AwsWorld } from '../support/aws-model';
import { CliWorld } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

const credentialsError = () =>
  Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });

/** Runs with `env` replacing the given variables (undefined deletes), then restores them. */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

/** No credentials and no region anywhere the SDK looks; IMDS off; any request would stay on loopback. */
const bareEnvironment = {
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/bluegreen-test/credentials',
  AWS_CONFIG_FILE: '/nonexistent/bluegreen-test/config',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

describe('bluegreen errors and exit codes', () => {
  test('unknown pipeline: one line naming the parameter and the region, exit 1; --json gives a machine-readable error', async () => {
    const w = new CliWorld();
    for (const argv of [['status'], ['rollback', '--yes'], ['history']]) {
      const r = await w.run([...argv, '--pipeline', 'shop-api']);
      expect([argv[0], r.code, r.stderr]).toEqual([
        argv[0],
        1,
        'bluegreen: unknown pipeline shop-api (no /bluegreen/shop-api/config parameter in us-east-1; is the stack deployed in this account and region?)\n',
      ]);
    }
    // An approval needs only the pipeline itself.
    for (const argv of [['approve', '--yes'], ['reject', '--yes']]) {
      const r = await w.run([...argv, '--pipeline', 'shop-api']);
      expect([argv[0], r.code, r.stderr]).toEqual([
        argv[0],
        1,
        'bluegreen: unknown pipeline shop-api (no CodePipeline named shop-api in us-east-1; is the stack deployed in this account and region?)\n',
      ]);
    }
    const json = await w.run(['status', '--pipeline', 'shop-api', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'unknown-pipeline', message: expect.stringMatching(/^unknown pipeline shop-api /) },
    });
  });

  test('a config parameter whose pipeline is gone is still an unknown pipeline', async () => {
    const w = new CliWorld();
    w.world.codepipeline.pipelines.delete(w.pipeline);
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: unknown pipeline app-pipeline (no CodePipeline named app-pipeline in us-east-1; is the stack deployed in this account and region?)\n');
  });

  test('missing credentials, as the SDK reports them from any call: one line, exit 1', async () => {
    const w = new CliWorld();
    w.world.extend('ssm', 'GetParameter', () => {
      throw credentialsError();
    });
    w.world.extend('codepipeline', 'GetPipelineState', () => {
      throw credentialsError();
    });
    for (const argv of [['status'], ['approve', '--yes'], ['rollback', '--yes'], ['history']]) {
      const r = await w.run([...argv, '--pipeline', w.pipeline]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'bluegreen: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, use --profile, or run `aws sso login`)\n',
      );
    }
  });

  test('missing credentials with the real SDK credential chain (no mock in the way)', async () => {
    AwsWorld.uninstall();
    let stdout = '';
    let stderr = '';
    const code = await withEnv(bareEnvironment, () =>
      main(['status', '--pipeline', 'shop-api', '--region', 'eu-west-1'], {
        stdout: { write: (s: string) => (stdout += s) },
        stderr: { write: (s: string) => (stderr += s) },
      }),
    );
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'bluegreen: no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, use --profile, or run `aws sso login`)\n',
    });
  });

  test('missing region: one line, exit 1, before any call; --region fixes it', async () => {
    const w = new CliWorld();
    const from = w.world.calls.length;
    const r = await withEnv(bareEnvironment, () => w.run(['status', '--pipeline', w.pipeline]));
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'bluegreen: no AWS region (use --region or set AWS_REGION)\n' });
    expect(w.world.calls.length).toBe(from);

    const bad = await w.run(['status', '--pipeline', w.pipeline, '--region', 'eu west 1']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bluegreen: invalid region "eu west 1" \(.+\)\n$/) });

    const ok = await withEnv(bareEnvironment, () => w.run(['status', '--pipeline', w.pipeline, '--region', 'us-east-1']));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^app-pipeline \(us-east-1\)\n/);
  });

  test('an unexpected error is one line; the stack only with BLUEGREEN_DEBUG', async () => {
    const w = new CliWorld();
    w.world.extend('elbv2', 'DescribeRules', () => {
      throw new TypeError('boom in the model');
    });
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: unexpected error: boom in the model\n');
  });

  test('AWS access denied is one line naming the refusal', async () => {
    const w = new CliWorld();
    w.world.extend('codepipeline', 'GetPipelineState', () => {
      throw Object.assign(new Error('User: arn:aws:iam::111122223333:user/dana is not authorized to perform: codepipeline:GetPipelineState'), { name: 'AccessDeniedException' });
    });
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bluegreen: access denied: User: arn:aws:iam::111122223333:user/dana is not authorized to perform: codepipeline:GetPipelineState\n');
  });

  test('usage errors exit 2 with commander\'s one-line message; --help exits 0', async () => {
    const w = new CliWorld();
    expect(await w.run(['status'])).toMatchObject({ code: 2, stderr: "bluegreen: required option '--pipeline <name>' not specified\n" });
    expect(await w.run(['deploy', '--pipeline', 'x'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^bluegreen: unknown command 'deploy'/) });
    expect(await w.run(['status', '--pipeline', 'x', '--colour'])).toMatchObject({ code: 2, stderr: "bluegreen: unknown option '--colour'\n" });
    expect(await w.run(['history', '--pipeline', 'x', '--limit', 'lots'])).toMatchObject({ code: 2 });
    expect((await w.run([])).code).toBe(2);
    const help = await w.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:\n  0  ok\n  1  refused or failed');
    for (const command of ['status', 'approve', 'reject', 'rollback', 'history', 'scan-gate']) expect(help.stdout).toContain(`  ${command} `);
  });
});

describe('bluegreen scan-gate', () => {
  const fixture = (name: string) => join(FIXTURES, name);

  test('runs the build\'s Trivy gate under the same bin, with its exit codes, leaving process.exitCode alone', async () => {
    const w = new CliWorld();
    const before = process.exitCode;
    const fail = await w.run(['scan-gate', fixture('alpine-39-high-critical.json'), '--json']);
    expect(fail.code).toBe(1);
    expect(JSON.parse(fail.stdout)).toMatchObject({ verdict: 'fail' });
    expect(process.exitCode).toBe(before);

    const unusable = await w.run(['scan-gate', fixture('no-such-report.json')]);
    expect(unusable.code).toBe(2);
    expect(unusable.stderr).toMatch(/^scan-gate: unusable report .*no-such-report\.json/);
    expect(readFileSync(fixture('README.md'), 'utf8')).toContain('Trivy');
  });

  test('fails a report in which Trivy scanned nothing, unless --allow-empty-scan is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-cli-gate-'));
    try {
      const report = join(dir, 'no-results.json');
      writeFileSync(report, '{"SchemaVersion":2,"ArtifactType":"container_image"}');
      const w = new CliWorld();
      const refused = await w.run(['scan-gate', report]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^scan-gate: FAIL: the report has no scanned target \(no Results\): .*--allow-empty-scan[^\n]*\n$/);
      expect(await w.run(['scan-gate', report, '--allow-empty-scan'])).toMatchObject({ code: 0, stderr: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
