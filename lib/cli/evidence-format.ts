// The evidence document as an auditor pastes it into a change ticket (Markdown), and the release
// list of `--since` as a text or Markdown table. Pure.
import { summariseRelease, type ActionEntry, type BakeEntry, type BuildEntry, type DeployEntry, type EndEntry, type EvidenceDocument, type EvidenceEntry, type TrafficEntry } from './control-plane';
import { table, when } from './format';

/** A value inside a Markdown table cell or line: one line, no table breaks, no live markup. */
export function mdText(text: string | null | undefined): string {
  if (text === null || text === undefined || text === '') return '-';
  return text.replace(/\r?\n+/g, ' ').replace(/([\\`*_[\]<>|#])/g, '\\$1');
}

const code = (text: string | null | undefined) => (text ? `\`${text.replace(/`/g, "'")}\`` : '-');
const mdTable = (header: readonly string[], rows: ReadonlyArray<readonly string[]>) =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function of<E extends EvidenceEntry>(doc: EvidenceDocument, kind: E['kind']): E[] {
  return doc.entries.filter((e): e is E => e.kind === kind);
}

function buildSection(build: BuildEntry | undefined): string[] {
  if (!build) return ['## Source, build and scan', '', 'Not recorded: the execution has no build entry.'];
  const b = build.build;
  const lines = ['## Source, build and scan', ''];
  if (b === null) {
    lines.push(`The build's own record is missing or unusable: ${mdText(build.problems.join('; '))}.`, '');
    lines.push(`- Released image: ${code(build.released.imageUri)}`, `- Digest: ${code(build.released.digest)}`, `- Commit: ${code(build.released.commit)}`);
    return lines;
  }
  const db = b.trivy.db;
  lines.push(
    `- Repository: ${mdText(b.source.repository)}${b.source.branch ? ` (branch ${mdText(b.source.branch)})` : ''}`,
    `- Commit: ${code(b.source.commit)}`,
    `- CodeBuild build: ${code(b.buildId)}`,
    `- Image: ${code(b.image.uri)}`,
    `- Digest: ${code(b.image.digest)}`,
    `- Trivy ${mdText(b.trivy.version)}; vulnerability DB ${db.version === null ? '' : `v${db.version} `}updated ${when(db.updatedAt ?? undefined)}${db.downloadedAt ? `, downloaded ${when(db.downloadedAt)}` : ''}`,
    `- Gate policy: fail on ${mdText(b.policy.failOn)} and above; unfixed vulnerabilities ${b.policy.ignoreUnfixed ? 'ignored' : 'counted'}; an empty scan ${b.policy.allowEmptyScan ? 'allowed' : 'fails'}`,
    `- Scan: ${mdText(b.scan.summary)}`,
    `- Report: ${code(b.scan.report)}`,
    `- SBOM (CycloneDX): ${code(b.scan.sbom)}`,
    '',
  );
  if (b.allowList.length === 0) lines.push('No allow-list entry applied.');
  else {
    lines.push('Allow-list entries that applied:', '', mdTable(['ID', 'Reason', 'Expires', 'Findings'], b.allowList.map((e) => [code(e.id), mdText(e.reason), e.expires, String(e.findings)])));
  }
  return lines;
}

function actionLine(e: ActionEntry): string {
  const verdict = e.kind === 'approval' ? (e.status === 'Succeeded' ? 'Approved' : e.by ? 'Rejected' : `Not approved (${e.status.toLowerCase()})`) : e.status;
  return `- ${verdict}${e.by ? ` by ${code(e.by)}` : ''} at ${when(e.at)} (action ${mdText(e.action)})${e.comment ? `: "${mdText(e.comment)}"` : ''}`;
}

function trafficRow(t: TrafficEntry): string[] {
  const what = t.operation === 'swap' ? 'swap (release)' : t.direction === 'away' ? 'rollback away from this release' : 'rollback back to this release';
  return [when(t.at), what, `${t.fromSlot} → ${t.toSlot}`, code(t.digest), code(t.by), mdText(t.reason)];
}

/** The whole record, in the order a change ticket reads it. */
export function evidenceMarkdown(doc: EvidenceDocument): string {
  const s = summariseRelease(doc);
  const deploys = of<DeployEntry>(doc, 'deploy');
  const tests = of<ActionEntry>(doc, 'tests');
  const approvals = of<ActionEntry>(doc, 'approval');
  const traffic = of<TrafficEntry>(doc, 'traffic');
  const bakes = of<BakeEntry>(doc, 'bake');
  const end = of<EndEntry>(doc, 'end').pop();
  const out = [
    `# Release evidence: ${mdText(doc.pipeline)}, execution ${code(doc.executionId)}`,
    '',
    mdTable(['', ''], [
      ['Pipeline', mdText(doc.pipeline)],
      ['Execution', code(doc.executionId)],
      ['Reached the release stage', when(doc.startedAt)],
      ['Commit', code(s.commit)],
      ['Digest', code(s.digest)],
      ['Approved by', s.approval === 'approved' ? `${code(s.approvedBy)} at ${when(s.approvedAt ?? undefined)}` : s.approval],
      ['Outcome', mdText(s.outcome)],
      ['Execution ended', end ? `${end.state} at ${when(end.at)}` : 'not yet'],
    ]),
    '',
    ...buildSection(of<BuildEntry>(doc, 'build')[0]),
    '',
    '## Deploy to the idle slot',
    '',
    ...(deploys.length === 0 ? ['Not recorded.'] : deploys.map((d) => `- ${d.outcome === 'ready' ? `Ready on slot ${d.slot ?? '?'}` : 'Failed'} at ${when(d.at)}: ${mdText(d.message)}`)),
    '',
    '## Tests before approval',
    '',
    ...(tests.length === 0 ? ['No test action ran.'] : tests.map(actionLine)),
    '',
    '## Approval',
    '',
    ...(approvals.length === 0 ? ['Not answered (yet).'] : approvals.map(actionLine)),
    '',
    '## Production traffic changes',
    '',
    traffic.length === 0 ? 'Production never served this release.' : mdTable(['When', 'Change', 'Slots', 'Digest live after', 'By', 'Reason'], traffic.map(trafficRow)),
    '',
    '## Bake',
    '',
    ...(bakes.length === 0 ? ['No bake ran.'] : bakes.map((b) => `- ${b.outcome} on slot ${b.slot} at ${when(b.at)}: ${mdText(b.message)}`)),
    '',
    `_Record last written ${when(doc.updatedAt)}; ${doc.entries.length} entries; schema ${doc.schema}._`,
  ];
  return `${out.join('\n')}\n`;
}

export type ListFormat = 'text' | 'md';

/** The `--since` list: who approved what, when, and how it ended. */
export function releaseList(rows: ReturnType<typeof summariseRelease>[], missing: readonly { executionId: string; startedAt: string }[], format: ListFormat): string {
  const header = ['STARTED', 'EXECUTION', 'COMMIT', 'DIGEST', 'APPROVED BY', 'APPROVED AT', 'OUTCOME'];
  const cells = rows.map((r) => [
    when(r.startedAt),
    r.executionId,
    r.commit ?? '-',
    r.digest ?? '-',
    r.approval === 'approved' ? r.approvedBy ?? '-' : `(${r.approval}${r.approvedBy ? ` by ${r.approvedBy}` : ''})`,
    r.approvedAt ? when(r.approvedAt) : '-',
    r.outcome,
  ]);
  for (const m of missing) cells.push([when(m.startedAt), m.executionId, '-', '-', '-', '-', 'EVIDENCE MISSING: indexed but no document']);
  return format === 'md'
    ? `${mdTable(header.map((h) => h.charAt(0) + h.slice(1).toLowerCase()), cells.map((c) => c.map((v, i) => (i === 1 || i === 2 || i === 3 ? code(v === '-' ? null : v) : mdText(v)))))}\n`
    : table(header, cells);
}
