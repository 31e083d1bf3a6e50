import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createServer, releaseInfo } = require('../../sample-app/app/server.js');
const SERVER = join(__dirname, '..', '..', 'sample-app', 'app', 'server.js');

describe('sample app server', () => {
  let server: Server;
  let base: string;
  let draining = false;
  beforeAll(async () => {
    // GIVEN the service for release 2.3.4 of commit abc123 in slot b, on an ephemeral port
    server = createServer(releaseInfo({ APP_VERSION: '2.3.4', COMMIT: 'abc123', BLUEGREEN_SLOT: 'b' }), () => draining);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('/ shows the version, commit and slot', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await res.text();
    expect(body).toContain('<code>2.3.4</code>');
    expect(body).toContain('<code>abc123</code>');
    expect(body).toContain('<code>b</code>');
  });

  test('/health answers 200 with the release as JSON', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '2.3.4', commit: 'abc123', slot: 'b' });
  });

  test('/health answers 503 while the service drains', async () => {
    draining = true;
    try {
      const res = await fetch(`${base}/health`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { status: string }).status).toBe('draining');
    } finally {
      draining = false;
    }
  });

  test('unknown paths are 404 and other methods are 405', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  test('values from the environment are escaped in the page', async () => {
    const other = createServer(releaseInfo({ COMMIT: '<script>x</script>' }));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const body = await (await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`)).text();
      expect(body).toContain('&lt;script&gt;x&lt;/script&gt;');
      expect(body).not.toContain('<script>');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('the release defaults to the package version and unknown commit and slot', () => {
    expect(releaseInfo({})).toEqual({ version: '1.0.0', commit: 'unknown', slot: 'unknown' });
  });

  test('the process listens on PORT and exits 0 after SIGTERM', async () => {
    // GIVEN the service started as a process on an ephemeral port
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', BLUEGREEN_SLOT: 'a' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          lines.push(line);
          const entry = JSON.parse(line);
          if (entry.message === 'listening') resolve(entry.port);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    // WHEN ECS stops the task
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    // THEN it drains and exits cleanly
    expect(await exit).toBe(0);
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['listening', 'SIGTERM received, draining', 'stopped']);
  });
});
