// bluegreen evidence: one release's record (JSON as stored, Markdown for a change ticket) and the
// releases since a date with who approved them, read from what the real handlers wrote.
import { main } from '../../lib/cli/main';
import { AwsWorld } from '../support/aws-model';
import { storedEvidence, uploadBuildEvidence } from '../support/evidence-world';
import type { Release } from '../support/release-driver';
import { CliWorld, ONCALL_ARN } from './support/cli-world';

process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

afterAll(() => AwsWorld.uninstall());

const ALICE = 'arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice';

/** Build (with its evidence), deploy, and answer the approval with the CLI; an approved release is swapped. */
async function release(w: CliWorld, label: string, answer: 'approve' | 'reject', comment: string): Promise<Release> {
  const r = w.driver.start(label);
  uploadBuildEvidence(w.world, w.stack, r);
  expect(await w.driver.deploy(r)).toMatchObject({ status: 'succeeded' });
  await w.events!.deliver();
  w.world.tick();
  expect(await w.run([answer, '--pipeline', w.pipeline, '--comment', comment, '--yes'])).toMatchObject({ code: 0 });
  await w.events!.deliver();
  if (answer === 'approve') {
    r.approval = 'Approved';
    w.driver.approved.add(r.image.digest);
    expect(await w.driver.swap(r)).toMatchObject({ status: 'succeeded' });
    await w.events!.deliver();
  }
  w.world.tick(4);
  return r;
}

describe('bluegreen evidence', () => {
  test('--execution prints the record as stored (json) and as Markdown for a change ticket', async () => {
    const w = new CliWorld({ evidence: true });
    const v1 = await release(w, 'v1', 'approve', 'CHG-2001 approved in CAB');

    const json = await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v1.execution.id, '--format', 'json']);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toEqual(storedEvidence(w.world, w.stack, v1.execution.id));
    // The global --json means the same.
    expect(JSON.parse((await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v1.execution.id, '--json'])).stdout)).toEqual(JSON.parse(json.stdout));

    const md = await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v1.execution.id]);
    expect(md.code).toBe(0);
    const text = md.stdout;
    expect(text.split('\n')[0]).toBe(`# Release evidence: app-pipeline, execution \`${v1.execution.id}\``);
    for (const line of [
      `| Digest | \`${v1.image.digest}\` |`,
      `| Approved by | \`${ALICE}\` at 2025-01-01 00:`,
      '| Outcome | released |',
      `- Commit: \`${v1.image.commit}\``,
      '- Trivy 0.69.3; vulnerability DB v2 updated 2024-12-31 06:12Z, downloaded 2024-12-31 09:00Z',
      '- Gate policy: fail on HIGH and above; unfixed vulnerabilities ignored; an empty scan fails',
      '| `CVE-2024-0001` | not reachable: the parser is never given untrusted input | 2025-06-30 | 1 |',
      `- Approved by \`${ALICE}\` at 2025-01-01 00:`,
      ': "CHG-2001 approved in CAB"',
      `| swap (release) | a → b | \`${v1.image.digest}\` | \`${ALICE}\` | - |`,
      '## Tests before approval',
      'No test action ran.',
    ]) {
      expect(text).toContain(line);
    }
  });

  test('a rejected release and a rollback, as the record shows them', async () => {
    const w = new CliWorld({ evidence: true });
    const v1 = await release(w, 'v1', 'approve', 'first');
    const v2 = await release(w, 'v2', 'approve', 'second');
    expect(await w.run(['rollback', '--pipeline', w.pipeline, '--reason', 'INC-9: 5xx after v2', '--yes'])).toMatchObject({ code: 0 });
    const v3 = await release(w, 'v3', 'reject', 'no | pipes | in tables; *not* bold');

    const v2md = (await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v2.execution.id])).stdout;
    expect(v2md).toContain('| Outcome | released, rolled back once |');
    expect(v2md).toMatch(new RegExp(`\\| rollback away from this release \\| a → b \\| \`${v1.image.digest}\` \\| \`${ONCALL_ARN}\` \\| INC-9: 5xx after v2 \\|`));
    const v1md = (await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v1.execution.id])).stdout;
    expect(v1md).toContain('| rollback back to this release | a → b |');

    const v3md = (await w.run(['evidence', '--pipeline', w.pipeline, '--execution', v3.execution.id])).stdout;
    expect(v3md).toContain('| Approved by | rejected |');
    expect(v3md).toContain('| Outcome | not released: approval not given |');
    expect(v3md).toContain(`- Rejected by \`${ALICE}\``);
    // The comment cannot break the table or turn into markup.
    expect(v3md).toContain(': "no \\| pipes \\| in tables; \\*not\\* bold"');
    expect(v3md).toContain('Production never served this release.');
  });

  test('--since lists each release with its approver and digest (the change-management sample); --until bounds it', async () => {
    const w = new CliWorld({ evidence: true });
    const v1 = await release(w, 'v1', 'approve', 'one');
    w.world.tick(240); // an hour later
    const v2 = await release(w, 'v2', 'reject', 'two');
    w.world.tick(240);
    const v3 = await release(w, 'v3', 'approve', 'three');

    const all = JSON.parse((await w.run(['evidence', '--pipeline', w.pipeline, '--since', '2025-01-01', '--json'])).stdout);
    expect(all.releases.map((r: { executionId: string; approval: string; approvedBy: string; digest: string }) => [r.executionId, r.approval, r.approvedBy, r.digest])).toEqual([
      [v1.execution.id, 'approved', ALICE, v1.image.digest],
      [v2.execution.id, 'rejected', ALICE, v2.image.digest],
      [v3.execution.id, 'approved', ALICE, v3.image.digest],
    ]);
    expect(all.missing).toEqual([]);

    const startOf = (r: Release) => storedEvidence(w.world, w.stack, r.execution.id)!.startedAt;
    const bounded = JSON.parse((await w.run(['evidence', '--pipeline', w.pipeline, '--since', startOf(v2), '--until', startOf(v3), '--format', 'json'])).stdout);
    expect(bounded.releases.map((r: { executionId: string }) => r.executionId)).toEqual([v2.execution.id]);

    const text = await w.run(['evidence', '--pipeline', w.pipeline, '--since', '2025-01-01']);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+EXECUTION\s+COMMIT\s+DIGEST\s+APPROVED BY\s+APPROVED AT\s+OUTCOME$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(`(rejected by ${ALICE})`);

    const md = (await w.run(['evidence', '--pipeline', w.pipeline, '--since', '2025-01-01', '--format', 'md'])).stdout.split('\n');
    expect(md[0]).toBe('| Started | Execution | Commit | Digest | Approved by | Approved at | Outcome |');
    expect(md[2]).toContain(`| \`${v1.execution.id}\` | \`${v1.image.commit}\` | \`${v1.image.digest}\` | ${ALICE} |`);

    expect((await w.run(['evidence', '--pipeline', w.pipeline, '--since', '2026-01-01'])).stdout).toBe('app-pipeline: no release reached the Release stage since 2026-01-01T00:00:00.000Z\n');
  });

  test('usage errors and missing records: one line, the documented exit code', async () => {
    const w = new CliWorld({ evidence: true });
    const base = ['evidence', '--pipeline', w.pipeline];
    const cases: Array<[string[], number, string]> = [
      [[], 2, "bluegreen: give exactly one of --execution <id> (one release's record) or --since <date> (the releases since then)\n"],
      [['--execution', 'x', '--since', '2025-01-01'], 2, "bluegreen: give exactly one of --execution <id> (one release's record) or --since <date> (the releases since then)\n"],
      [['--since', '2025-02-30'], 2, 'bluegreen: --since "2025-02-30" is not a date: use YYYY-MM-DD (UTC) or an ISO-8601 time with a zone, e.g. 2025-07-01T09:00:00Z\n'],
      [['--since', '2025-07-01T09:00'], 2, 'bluegreen: --since "2025-07-01T09:00" is not a date: use YYYY-MM-DD (UTC) or an ISO-8601 time with a zone, e.g. 2025-07-01T09:00:00Z\n'],
      [['--since', '2025-07-01', '--until', '2025-06-01'], 2, 'bluegreen: --until must be after --since\n'],
      [['--execution', 'x', '--until', '2025-06-01'], 2, 'bluegreen: --until goes with --since\n'],
      [['--execution', 'x', '--format', 'pdf'], 2, "bluegreen: option '--format <format>' argument 'pdf' is invalid. Allowed choices are json, md.\n"],
      [['--execution', '5f2c1b9e-0000-4000-8000-00000000ffff'], 1, 'bluegreen: no evidence for execution 5f2c1b9e-0000-4000-8000-00000000ffff of app-pipeline (it never reached the Release stage, or it is not an execution of this pipeline)\n'],
    ];
    for (const [argv, code, stderr] of cases) {
      const r = await w.run([...base, ...argv]);
      expect([argv, r.code, r.stderr, r.stdout]).toEqual([argv, code, stderr, '']);
    }
    const plain = new CliWorld();
    const r = await plain.run(['evidence', '--pipeline', plain.pipeline, '--since', '2025-01-01']);
    expect([r.code, r.stderr]).toEqual([1, 'bluegreen: pipeline app-pipeline keeps no release evidence (its configuration names no evidence bucket: deploy it with this version of the construct)\n']);
  });
});
