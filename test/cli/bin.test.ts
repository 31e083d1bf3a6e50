// The bin itself: `main.ts` run as a process maps the exit code onto the process and writes to
// the real streams (no terminal here, so no prompt and no spinner).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../..');

function bluegreen(args: string[], without: string[] = []) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TS_NODE_TRANSPILE_ONLY: 'true',
    TS_NODE_PROJECT: join(root, 'tsconfig.json'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/bluegreen-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/bluegreen-test/credentials',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  };
  for (const name of without) delete env[name];
  return spawnSync(process.execPath, ['-r', 'ts-node/register', join(root, 'lib/cli/main.ts'), ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
}

describe('the bluegreen bin', () => {
  test('exit codes reach the process: 0 for help, 2 for usage, 1 for an expected failure', () => {
    const help = bluegreen(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: bluegreen \[options\] \[command\]/);

    const usage = bluegreen(['approve']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toBe("bluegreen: required option '--pipeline <name>' not specified\n");

    const noRegion = bluegreen(['status', '--pipeline', 'shop-api']);
    expect(noRegion.status).toBe(1);
    expect(noRegion.stdout).toBe('');
    expect(noRegion.stderr).toBe('bluegreen: no AWS region (use --region or set AWS_REGION)\n');
  });

  test('keeps the AWS SDK\'s Node.js version notice out of its output', () => {
    // The command creates an SDK client (which is where the SDK would warn) before failing.
    const r = bluegreen(['status', '--pipeline', 'shop-api'], ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('bluegreen: no AWS region (use --region or set AWS_REGION)\n');
  });
});
