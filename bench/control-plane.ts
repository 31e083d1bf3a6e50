// Control-plane benchmark: AWS calls per swap (all at once, and per step and per whole traffic
// shift), handler overhead with the SDK mocked, and size and cold `require` time of each bundled
// handler. Prints numbers against the targets; never asserts.
//
//   npm run bundle && npx ts-node --transpile-only bench/control-plane.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CodePipelineClient, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { AwsWorld } from '../test/support/aws-model';
import type { Release } from '../test/support/release-driver';
import { HarnessOptions, ReleaseHarness, createReleaseHarness } from '../test/support/release-harness';
import { uninstallCloudWatch } from '../test/support/bake-world';

const SWAPS = Number(process.env.BENCH_SWAPS ?? 200);
const REQUIRES = Number(process.env.BENCH_REQUIRES ?? 7);
const ASSETS = join(__dirname, '..', 'dist', 'assets');

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const verdict = (ok: boolean) => (ok ? 'within target' : 'OVER TARGET');

/** v1 live, v2 deployed and approved: the next thing to run is v2's swap. */
async function readyToSwap(opts: HarnessOptions = {}): Promise<{ h: ReleaseHarness; release: Release; swap: () => ReturnType<ReleaseHarness['driver']['swap']> }> {
  const h = createReleaseHarness({ checkEachInvocation: false, ...opts });
  await h.driver.release('v1');
  const release = h.driver.start('v2');
  await h.driver.deploy(release);
  h.driver.approve(release);
  return { h, release, swap: () => h.driver.swap(release) };
}

type Counts = ReturnType<ReleaseHarness['world']['countCalls']>;
const line = (c: Counts) => `${c.reads} reads, ${c.writes} writes, ${c.routeWrites} route writes, ${c.total} total`;

/** One shift's Swap chain, invocation by invocation: the first step, quiet polls, steps, the last step. */
async function shiftCalls(name: string, trafficShift: NonNullable<HarnessOptions['trafficShift']>): Promise<Counts> {
  const { h, release } = await readyToSwap({ trafficShift });
  const invocations: { counts: Counts; kind: 'first' | 'poll' | 'step' | 'last' }[] = [];
  const whole = h.world.calls.length;
  for (let i = 0; i < 500; i++) {
    if (i > 0) h.world.tick();
    const from = h.world.calls.length;
    const outcome = await h.driver.swap(release, { maxPolls: 1 });
    const counts = h.world.countCalls(from);
    const kind = i === 0 ? 'first' : outcome.status === 'succeeded' ? 'last' : counts.routeWrites > 0 ? 'step' : 'poll';
    invocations.push({ counts, kind });
    if (outcome.status !== 'in-progress') break;
  }
  const total = h.world.countCalls(whole);
  const of = (kind: string) => invocations.filter((x) => x.kind === kind).map((x) => x.counts);
  const avg = (cs: Counts[]) => (cs.length === 0 ? '-' : (cs.reduce((n, c) => n + c.total, 0) / cs.length).toFixed(1));
  console.log(`${name} (${invocations.length} invocations): ${line(total)}`);
  console.log(`  first step: ${line(of('first')[0])}`);
  if (of('step').length) console.log(`  each further step (${of('step').length}): ${line(of('step')[0])}`);
  console.log(`  last step (100% and the test route): ${line(of('last')[0])}`);
  console.log(`  each quiet poll between steps (${of('poll').length}): ${avg(of('poll'))} calls (${of('poll')[0] ? line(of('poll')[0]) : '-'})`);
  return total;
}

/** Promote and abort in the middle of a shift (one step in). */
async function operatorCalls(): Promise<void> {
  for (const action of ['promote', 'abort'] as const) {
    const { h, release } = await readyToSwap({ trafficShift: { percents: [20, 40, 60, 80], holdSeconds: 300 } });
    await h.driver.swap(release, { maxPolls: 1 });
    const from = h.world.calls.length;
    const result = await h.driver[action]();
    console.log(`${action} at 20% (${result?.outcome}): ${line(h.world.countCalls(from))}`);
  }
}

async function callsPerOperation(): Promise<void> {
  console.log('## AWS calls per operation (from the world call log)');
  const { h, swap } = await readyToSwap();
  const from = h.world.calls.length;
  const outcome = await swap();
  const c = h.world.countCalls(from);
  console.log(`swap (${outcome.status}): ${c.reads} reads, ${c.writes} writes, ${c.routeWrites} route writes, ${c.total} total`);
  console.log(`  ${h.world.callsSince(from).map((x) => `${x.service}:${x.command}`).join(' ')}`);
  console.log(`  target: <= 2 route writes (${verdict(c.routeWrites <= 2)}), <= 8 AWS calls (${verdict(c.total <= 8)})`);


  const again = h.world.calls.length;
  await h.driver.redeliver();
  const r = h.world.countCalls(again);
  console.log(`duplicated swap event: ${r.reads} reads, ${r.writes} writes, ${r.routeWrites} route writes, ${r.total} total`);

  const back = h.world.calls.length;
  await h.driver.rollback({ reason: 'bench' });
  const rb = h.world.countCalls(back);
  console.log(`rollback: ${rb.reads} reads, ${rb.writes} writes, ${rb.routeWrites} route writes, ${rb.total} total`);

  const deploy = h.driver.start('v3');
  const d0 = h.world.calls.length;
  const outcomeDeploy = await h.driver.deploy(deploy);
  const d = h.world.countCalls(d0);
  console.log(`DeployGreen (${outcomeDeploy.jobIds.length} invocations): ${d.total} calls, ${(d.total / outcomeDeploy.jobIds.length).toFixed(1)} per invocation, ${d.routeWrites} route writes`);

  // Each shift seeds its own world (install() re-points the SDK mocks at it), so this comes last.
  console.log('\n## Traffic shifts, next to all at once (the same v1 → v2 swap, a tick of 15 s between polls)');
  console.log(`all at once: ${line(c)}`);
  await shiftCalls('canary 10% for 10 minutes', { percents: [10], holdSeconds: 600 });
  await shiftCalls('linear 20% every 5 minutes', { percents: [20, 40, 60, 80], holdSeconds: 300 });
  await operatorCalls();
  AwsWorld.uninstall();
  uninstallCloudWatch();
}

async function overhead(): Promise<void> {
  console.log(`\n## Handler overhead per swap, SDK mocked (${SWAPS} swaps)`);
  const swapTimes: number[] = [];
  for (let i = 0; i < SWAPS; i++) {
    const { swap } = await readyToSwap();
    const t = performance.now();
    await swap();
    swapTimes.push(performance.now() - t);
  }
  // Peer: a no-op job handler that answers its job with one mocked call.
  const world = new AwsWorld();
  world.install();
  world.extend('codepipeline', 'PutJobSuccessResult', () => ({}));
  const client = new CodePipelineClient({});
  const noop = async (event: { 'CodePipeline.job': { id: string } }) => {
    await client.send(new PutJobSuccessResultCommand({ jobId: event['CodePipeline.job'].id }));
  };
  const baseTimes: number[] = [];
  for (let i = 0; i < SWAPS; i++) {
    const t = performance.now();
    await noop({ 'CodePipeline.job': { id: `job-${i}` } });
    baseTimes.push(performance.now() - t);
  }
  AwsWorld.uninstall();
  const [m, p95, bm, bp95] = [quantile(swapTimes, 0.5), quantile(swapTimes, 0.95), quantile(baseTimes, 0.5), quantile(baseTimes, 0.95)];
  console.log(`swap handler:      median ${ms(m)}, p95 ${ms(p95)}`);
  console.log(`no-op job handler: median ${ms(bm)}, p95 ${ms(bp95)}`);
  console.log(`peer ratio (median): ${(m / bm).toFixed(1)}x; target < 5 ms per swap (${verdict(m < 5)})`);
}

function coldRequire(file: string): number[] {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const times: number[] = [];
  for (let i = 0; i < REQUIRES; i++) {
    times.push(Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AWS_REGION: 'us-east-1' }, stdio: ['ignore', 'pipe', 'ignore'] }).toString()));
  }
  return times;
}

function bundles(): void {
  console.log(`\n## Bundled handlers (dist/assets/*/index.js; cold require: median of ${REQUIRES} fresh processes)`);
  if (!existsSync(ASSETS)) {
    console.log('dist/assets is missing: run `npm run bundle` first.');
    return;
  }
  const peerFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'trivial.js');
  writeFileSync(peerFile, 'module.exports = { handler: async () => undefined };\n');
  const peer = quantile(coldRequire(peerFile), 0.5);
  console.log(`peer (trivial file): ${ms(peer)}`);
  for (const name of readdirSync(ASSETS).sort()) {
    const file = join(ASSETS, name, 'index.js');
    if (!existsSync(file)) continue;
    const size = statSync(file).size;
    const cold = quantile(coldRequire(file), 0.5);
    console.log(
      `${name}: ${(size / 1024).toFixed(0)} KiB (${verdict(size < 1024 * 1024)} < 1 MB), cold require ${ms(cold)} ` +
        `(${(cold / peer).toFixed(1)}x peer; ${verdict(cold < 150)} < 150 ms)`,
    );
  }
}

async function main(): Promise<void> {
  // The handlers log one JSON line per step; keep them out of the report.
  await callsPerOperation();
  await overhead();
  bundles();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
