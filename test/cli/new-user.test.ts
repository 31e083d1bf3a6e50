// What a new user ran into, each fixed: a bogus region, an unknown profile, throttling, a closed
// pipe, usage errors under --json, --version, the global --json before scan-gate, and the SDK's
// Node.js notice in every test run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { FIXTURES } from '../buildspecs/codebuild-harness';
import { AwsWorld } from '../support/aws-model';
import { CliWorld } from './support/cli-world';

afterAll(() => AwsWorld.uninstall());

const root = join(__dirname, '../..');
const hermetic: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  TS_NODE_TRANSPILE_ONLY: 'true',
  TS_NODE_PROJECT: join(root, 'tsconfig.json'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/bluegreen-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/bluegreen-test/credentials',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};
const bin = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['-r', 'ts-node/register', join(root, 'lib/cli/main.ts'), ...args], { cwd: root, env: { ...hermetic, ...env }, encoding: 'utf8', timeout: 60_000 });

async function run(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}

describe('bluegreen, tried as a new user would', () => {
  test('a bogus region says it is not a region: refused before any call when it is not a region name, named when it does not resolve', async () => {
    const r = bin(['status', '--pipeline', 'shop-api', '--region', 'nowhere-1']);
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', 'bluegreen: --region "nowhere-1" is not an AWS region name (like us-east-1, eu-west-2 or ap-southeast-1)\n']);

    // A well-formed name that AWS does not have: its endpoint does not resolve (as Node's DNS lookup reports it).
    const w = new CliWorld();
    w.world.extend('ssm', 'GetParameter', () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND ssm.us-nowhere-9.amazonaws.com'), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'ssm.us-nowhere-9.amazonaws.com' });
    });
    const unknown = await w.run(['status', '--pipeline', w.pipeline, '--region', 'us-nowhere-9']);
    expect([unknown.code, unknown.stderr]).toEqual([
      1,
      "bluegreen: cannot reach AWS in region us-nowhere-9: ssm.us-nowhere-9.amazonaws.com does not resolve, so us-nowhere-9 is not a region AWS has (check --region, AWS_REGION and your profile's region) or this machine has no DNS\n",
    ]);
    // Unreachable for another reason: the network, not the region.
    const refused = bin(['status', '--pipeline', 'shop-api', '--region', 'eu-west-1'], { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^bluegreen: cannot reach AWS( at \S+)? \(.*ECONNREFUSED.*\): check your network, proxy \(HTTPS_PROXY\) or AWS_ENDPOINT_URL\n$/);
  });

  test('an unknown profile is named, with the profiles there are, instead of "no AWS credentials found"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bg-profiles-'));
    try {
      const config = join(dir, 'config');
      const credentials = join(dir, 'credentials');
      writeFileSync(config, '[default]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-1\nsso_session = acme\n\n[sso-session acme]\nsso_region = eu-west-1\n');
      writeFileSync(credentials, '[ci]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n');
      const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
      const expected = `is not a profile in ${config} or ${credentials} (profiles there: ci, default, dev)\n`;

      const flag = await run(['status', '--pipeline', 'shop-api', '--profile', 'does-not-exist'], env);
      expect(flag).toEqual({ code: 2, stdout: '', stderr: `bluegreen: --profile "does-not-exist" ${expected}` });
      const fromEnv = await run(['history', '--pipeline', 'shop-api', '--json'], { ...env, AWS_PROFILE: 'prod' });
      expect([fromEnv.code, fromEnv.stderr]).toEqual([2, `bluegreen: AWS_PROFILE "prod" ${expected}`]);
      expect(JSON.parse(fromEnv.stdout)).toEqual({ error: { code: 'unknown-profile', message: `AWS_PROFILE "prod" ${expected.trimEnd()}` } });

      // A real process, real SDK chain: the same line.
      const r = bin(['status', '--pipeline', 'shop-api', '--profile', 'does-not-exist', '--region', 'eu-west-1'], env);
      expect([r.status, r.stderr]).toEqual([2, `bluegreen: --profile "does-not-exist" ${expected}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A profile that exists but cannot give credentials, as the SDK reports it.
    const w = new CliWorld();
    w.world.extend('ssm', 'GetParameter', () => {
      throw Object.assign(new Error('Could not resolve credentials using profile: [dev] in configuration/credentials file(s).'), { name: 'CredentialsProviderError' });
    });
    expect((await w.run(['status', '--pipeline', w.pipeline])).stderr).toBe(
      'bluegreen: AWS profile "dev" has no usable credentials in your AWS config or credentials file (check the profile, or run `aws sso login --profile dev`)\n',
    );
  });

  test('throttling says so, and what to do, instead of "unexpected error: Rate exceeded"', async () => {
    const w = new CliWorld();
    await w.twoReleases();
    w.world.faults.failNext('codepipeline', 'GetPipelineState', 'throttle');
    const r = await w.run(['status', '--pipeline', w.pipeline]);
    expect([r.code, r.stderr]).toEqual([1, "bluegreen: AWS is throttling this account's requests (ThrottlingException: Rate exceeded), still after the SDK's retries; wait a minute and run it again\n"]);
    w.world.faults.failNext('ssm', 'GetParameter', 'unavailable');
    const down = await w.run(['history', '--pipeline', w.pipeline]);
    expect([down.code, down.stderr]).toEqual([1, "bluegreen: AWS answered with a server error (ServiceUnavailable: Service is unavailable. Please try again later.), still after the SDK's retries; try again in a few minutes\n"]);
  });

  test('`bluegreen --help | head -1` ends quietly when the reader goes away (no EPIPE stack trace)', () => {
    // `true` exits at once without reading, so every write of the help meets a closed pipe.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" -r ts-node/register lib/cli/main.ts --help | true; echo "exit=\${PIPESTATUS[0]}"`], { cwd: root, env: hermetic, encoding: 'utf8', timeout: 60_000 });
    expect([r.stdout, r.stderr]).toEqual(['exit=0\n', '']);
    const head = spawnSync('bash', ['-c', `"${process.execPath}" -r ts-node/register lib/cli/main.ts --help | head -1`], { cwd: root, env: hermetic, encoding: 'utf8', timeout: 60_000 });
    expect([head.stdout, head.stderr]).toEqual(['Usage: bluegreen [options] [command]\n', '']);
  });

  test('usage errors with --json print one JSON error on stdout (and the line on stderr)', async () => {
    const w = new CliWorld();
    for (const [argv, message] of [
      [['status', '--json'], "required option '--pipeline <name>' not specified"],
      [['--json', 'deploy'], "unknown command 'deploy'"],
      [['history', '--pipeline', 'x', '--limit', 'lots', '--json'], "option '--limit <n>' argument 'lots' is invalid. expected a whole number from 1 to 100"],
      [['evidence', '--pipeline', 'x', '--json'], "give exactly one of --execution <id> (one release's record) or --since <date> (the releases since then)"],
    ] as const) {
      const r = await w.run([...argv]);
      expect([argv, r.code, JSON.parse(r.stdout)]).toEqual([argv, 2, { error: { code: 'usage', message } }]);
      expect(r.stderr).toBe(`bluegreen: ${message}\n`);
    }
  });

  test('--version prints the package version', async () => {
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    const w = new CliWorld();
    for (const flag of ['--version', '-V']) expect(await w.run([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '', asked: [] });
    const r = bin(['--version']);
    expect([r.status, r.stdout]).toEqual([0, `${version}\n`]);
  });

  test('`bluegreen --json scan-gate x.json` prints the gate\'s JSON, as `scan-gate x.json --json` does', async () => {
    const w = new CliWorld();
    const report = join(FIXTURES, 'alpine-39-high-critical.json');
    const before = await w.run(['--json', 'scan-gate', report]);
    const after = await w.run(['scan-gate', report, '--json']);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout)).toMatchObject({ verdict: 'fail', policy: { failOn: 'HIGH' } });
    expect(before).toEqual(after);
  });

  test('an SDK client created in a test run emits no Node.js version notice (the SDK emits it per test file without the setting)', () => {
    const notices = (env: string | undefined): number => {
      const saved = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      if (env === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
      else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = env;
      const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        jest.isolateModules(() => {
          // A fresh module registry: the SDK's once-per-process flag starts unset, as in every test file.
          const { STSClient } = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
          new STSClient({ region: 'us-east-1' });
        });
        return spy.mock.calls.filter(([w]) => String(w).includes('NodeVersionSupportWarning')).length;
      } finally {
        spy.mockRestore();
        if (saved === undefined) delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
        else process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = saved;
      }
    };
    // test/setup-env.ts set it for this file, as for every test file.
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    expect(notices('true')).toBe(0);
    // Without it the SDK (which warns below Node.js 22) would print its notice here.
    expect(notices(undefined)).toBe(Number(process.versions.node.split('.')[0]) < 22 ? 1 : 0);
  });
});
