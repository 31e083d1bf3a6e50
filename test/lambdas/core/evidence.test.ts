// The evidence record's pure parts: no secrets, idempotent entries, the build's record checked
// against the release, keys that sort by time, CodePipeline's events, the release summary.
import {
  EvidenceDocument, actionEntry, addEntries, buildEntry, compactTime, evidenceKeys, parseEvidenceDocument, parseIndexKey,
  parsePipelineStateEvent, redact, summariseRelease, trafficEntry, MAX_EVIDENCE_ENTRIES,
} from '../../../lambdas/core/evidence';
import { parseReleaseConfig } from '../../../lambdas/core/config';
import { composeBuildEvidence } from '../../../buildspecs/gate/build-evidence';
import { config as fixtureConfig } from './fixtures';

const baseConfig = () => ({ ...fixtureConfig });

const DIGEST = `sha256:${'a'.repeat(64)}`;
const now = new Date('2025-07-01T09:30:00.000Z');
const meta = { pipeline: 'shop', executionId: 'exec-1', now };

describe('redact', () => {
  test.each([
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE here', 'key [redacted] here'],
    ['an AWS secret access key', 'secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.', 'secret [redacted].'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', '[redacted]'],
    ['a JWT', 'bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'bearer [redacted]'],
    ['a password pair', 'db password=hunter2 and token: abc', 'db password=[redacted] and token: [redacted]'],
    ['credentials in a URL', 'cloned https://bot:s3cr3t@git.example.com/x.git', 'cloned https://git.example.com/x.git'],
    ['a private key', 'k -----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- done', 'k [redacted] done'],
  ])('removes %s', (_what, input, output) => {
    expect(redact(input)).toBe(output);
  });

  test('keeps what is not secret: commit ids, digests, ARNs, change numbers', () => {
    const text = `commit 3f786850e387550fdab836ed7e6dc881de23001b digest ${DIGEST} by arn:aws:sts::111122223333:assumed-role/ReleaseManager/alice CHG-1042`;
    expect(redact(text)).toBe(text);
  });
});

describe('addEntries', () => {
  const deploy = (id: string, at: string) => ({ id, kind: 'deploy' as const, at, outcome: 'ready' as const, slot: 'b' as const, digest: DIGEST, testUrl: null, message: 'ok' });

  test('creates the document, adds only entries it lacks (by id), and keeps them in time order', () => {
    const first = addEntries(null, [deploy('deploy:2', '2025-07-01T09:31:00.000Z')], meta);
    expect(first.added).toEqual(['deploy:2']);
    expect(first.doc).toMatchObject({ schema: 1, pipeline: 'shop', executionId: 'exec-1', startedAt: now.toISOString() });
    const second = addEntries(first.doc, [deploy('deploy:2', '2025-07-01T09:59:00.000Z'), deploy('deploy:1', '2025-07-01T09:30:30.000Z')], { ...meta, now: new Date('2025-07-01T10:00:00Z') });
    expect(second.added).toEqual(['deploy:1']);
    expect(second.doc.entries.map((e) => e.id)).toEqual(['deploy:1', 'deploy:2']);
    expect(second.doc.startedAt).toBe(now.toISOString());
    expect(addEntries(second.doc, [deploy('deploy:1', 'x')], meta)).toEqual({ doc: second.doc, added: [] });
  });

  test('refuses to grow past its bound, rather than writing a runaway document', () => {
    const full = addEntries(null, Array.from({ length: MAX_EVIDENCE_ENTRIES }, (_, i) => deploy(`d${i}`, now.toISOString())), meta).doc;
    expect(() => addEntries(full, [deploy('one-more', now.toISOString())], meta)).toThrow(/already holds 500 entries; at most 500 are kept/);
  });
});

describe('parseEvidenceDocument', () => {
  test('reads what addEntries writes, and refuses what it cannot trust', () => {
    const doc = addEntries(null, [], meta).doc;
    expect(parseEvidenceDocument(JSON.stringify(doc))).toEqual(doc);
    expect(() => parseEvidenceDocument('{')).toThrow(/not valid JSON/);
    expect(() => parseEvidenceDocument('{"schema":2,"executionId":"x","startedAt":"t","entries":[]}')).toThrow(/not one of schema 1/);
    expect(() => parseEvidenceDocument('{"schema":1,"executionId":"x","startedAt":"t","entries":[{"kind":"end"}]}')).toThrow(/entry without an id/);
  });
});

describe('buildEntry', () => {
  const released = { imageUri: `r@${DIGEST}`, digest: DIGEST, commit: 'c0ffee' };
  const env = { COMMIT: 'c0ffee', CODEBUILD_BUILD_ID: 'b:1', IMAGE_URI: `r@${DIGEST}`, IMAGE_DIGEST: DIGEST, SCAN_SUMMARY: '0 critical', GATE_FAIL_ON: 'HIGH' };
  const gateResult = { verdict: 'pass', policy: { failOn: 'CRITICAL', ignoreUnfixed: false, allowEmptyScan: true }, allowed: [] };
  const trivyVersion = { Version: '0.69.3', VulnerabilityDB: { Version: 2, UpdatedAt: '2025-07-01T00:00:00Z' } };
  const composed = () => composeBuildEvidence({ env, gateResult, trivyVersion, reportUri: 's3://b/r.json', sbomUri: 's3://b/s.json' });

  test('keeps the build record the build composes when it is about the released digest', () => {
    const entry = buildEntry(JSON.parse(JSON.stringify(composed())), released, now);
    expect(entry).toMatchObject({ id: 'build', problems: [], build: { policy: { failOn: 'CRITICAL', ignoreUnfixed: false, allowEmptyScan: true }, trivy: { version: '0.69.3', db: { version: 2, nextUpdate: null } } } });
  });

  test('keeps out a record about another image, or a malformed one, saying why', () => {
    expect(buildEntry({ ...composed(), image: { uri: 'x', digest: `sha256:${'b'.repeat(64)}` } }, released, now)).toMatchObject({ build: null, problems: [expect.stringMatching(/about digest sha256:b{64}, not sha256:a{64}/)] });
    expect(buildEntry({ schema: 1, image: {} }, released, now)).toMatchObject({ build: null, problems: [expect.stringMatching(/^the build evidence is unusable: the build evidence is invalid: .*image\.digest/)] });
  });

  test('the build refuses to compose evidence for a gate that did not pass, or without a Trivy version', () => {
    expect(() => composeBuildEvidence({ env, gateResult: { ...gateResult, verdict: 'fail' }, trivyVersion, reportUri: 'r', sbomUri: 's' })).toThrow(/not a passing gate result/);
    expect(() => composeBuildEvidence({ env, gateResult, trivyVersion: {}, reportUri: 'r', sbomUri: 's' })).toThrow(/gave no Version/);
    expect(() => composeBuildEvidence({ env: { ...env, CODEBUILD_BUILD_ID: '' }, gateResult, trivyVersion, reportUri: 'r', sbomUri: 's' })).toThrow('CODEBUILD_BUILD_ID must be set');
  });
});

describe('keys', () => {
  test('index keys sort by time and give back the execution and its start', () => {
    const keys = evidenceKeys('bluegreen-evidence/shop');
    expect(compactTime(now)).toBe('20250701T093000Z');
    const key = keys.index(now, '5f2c-1');
    expect(key).toBe('bluegreen-evidence/shop/index/20250701T093000Z_5f2c-1');
    expect(parseIndexKey(key, keys.indexPrefix)).toEqual({ executionId: '5f2c-1', startedAt: '2025-07-01T09:30:00Z' });
    expect(parseIndexKey('bluegreen-evidence/shop/index/junk', keys.indexPrefix)).toBeNull();
    expect([keys.index(new Date('2025-10-01T00:00:00Z'), 'z'), keys.index(now, 'a')].sort()).toEqual([keys.index(now, 'a'), keys.index(new Date('2025-10-01T00:00:00Z'), 'z')]);
  });
});

describe('the evidence configuration', () => {
  test('is optional, and names its problems when given', () => {
    expect(parseReleaseConfig(JSON.stringify(baseConfig())).evidence).toBeUndefined();
    expect(parseReleaseConfig(JSON.stringify({ ...baseConfig(), evidence: { bucket: 'shop-artifacts', prefix: 'bluegreen-evidence/shop' } })).evidence).toEqual({ bucket: 'shop-artifacts', prefix: 'bluegreen-evidence/shop' });
    expect(() => parseReleaseConfig(JSON.stringify({ ...baseConfig(), evidence: { bucket: 'Shop_Artifacts', prefix: '/x/' } }))).toThrow(
      /evidence\.bucket must be an S3 bucket name \(got "Shop_Artifacts"\); evidence\.prefix must be an S3 key prefix of safe characters, without a leading or trailing "\/" \(got "\/x\/"\)/,
    );
  });
});

describe('CodePipeline events', () => {
  const event = (detailType: string, detail: Record<string, unknown>) => ({ source: 'aws.codepipeline', 'detail-type': detailType, detail: { pipeline: 'shop', 'execution-id': 'e1', ...detail } });

  test('action and execution state changes parse; anything else is a clear refusal', () => {
    expect(parsePipelineStateEvent(event('CodePipeline Action Execution State Change', { stage: 'Release', action: 'Approve', state: 'FAILED', type: { category: 'Approval' } }))).toEqual({
      kind: 'action', pipeline: 'shop', executionId: 'e1', stage: 'Release', action: 'Approve', state: 'FAILED', category: 'Approval',
    });
    expect(parsePipelineStateEvent(event('CodePipeline Pipeline Execution State Change', { state: 'SUCCEEDED' }))).toEqual({ kind: 'execution', pipeline: 'shop', executionId: 'e1', state: 'SUCCEEDED' });
    expect(() => parsePipelineStateEvent({ source: 'aws.s3' })).toThrow(/not a CodePipeline event/);
    expect(() => parsePipelineStateEvent(event('CodePipeline Stage Execution State Change', { state: 'FAILED' }))).toThrow(/detail-type must be/);
    expect(() => parsePipelineStateEvent(event('CodePipeline Action Execution State Change', { state: 'FAILED' }))).toThrow(/detail\.stage must be a non-empty string/);
  });

  test('an approval or test action becomes an entry with who and why; other actions and running ones do not', () => {
    const record = { actionExecutionId: 'ax1', stageName: 'Release', actionName: 'Approve', category: 'Approval', status: 'Failed', lastUpdateTime: now.toISOString(), updatedBy: 'arn:aws:iam::1:user/carol', summary: 'no: AKIAIOSFODNN7EXAMPLE', externalExecutionId: null };
    expect(actionEntry(record)).toEqual({ id: 'approval:ax1', kind: 'approval', at: now.toISOString(), action: 'Approve', status: 'Failed', by: 'arn:aws:iam::1:user/carol', comment: 'no: [redacted]', externalExecutionId: null });
    expect(actionEntry({ ...record, category: 'Test', actionName: 'Tests', externalExecutionId: 'build:9' })).toMatchObject({ id: 'tests:ax1', kind: 'tests', externalExecutionId: 'build:9' });
    expect(actionEntry({ ...record, category: 'Invoke' })).toBeNull();
    expect(actionEntry({ ...record, status: 'InProgress' })).toBeNull();
  });
});

describe('summariseRelease', () => {
  const doc = (entries: EvidenceDocument['entries']): EvidenceDocument => ({ schema: 1, pipeline: 'shop', executionId: 'e1', startedAt: now.toISOString(), updatedAt: now.toISOString(), entries });
  const swap = trafficEntry({ operation: 'swap', executionId: 'e1', fromSlot: 'a', toSlot: 'b', digest: DIGEST, commit: null, at: now.toISOString(), by: 'alice' }, 'traffic:swap', 'to');
  const approval = { id: 'approval:1', kind: 'approval' as const, at: now.toISOString(), action: 'Approve', status: 'Succeeded', by: 'alice', comment: null, externalExecutionId: null };

  test('says who approved, the digest, and how the release ended', () => {
    const build = buildEntry(null, { imageUri: 'u', digest: DIGEST, commit: 'c1' }, now, 'none');
    expect(summariseRelease(doc([build, approval, swap]))).toEqual({ executionId: 'e1', startedAt: now.toISOString(), commit: 'c1', digest: DIGEST, approval: 'approved', approvedBy: 'alice', approvedAt: now.toISOString(), outcome: 'released' });
    const back = trafficEntry({ operation: 'rollback', executionId: 'rollback:r', fromSlot: 'b', toSlot: 'a', digest: null, commit: null, at: now.toISOString(), by: 'bob', reason: 'x' }, 'traffic:rollback:r', 'away');
    expect(summariseRelease(doc([approval, swap, back, back])).outcome).toBe('released, rolled back 2 times');
    expect(summariseRelease(doc([{ ...approval, status: 'Failed' }])).outcome).toBe('not released: approval not given');
    expect(summariseRelease(doc([{ id: 'end', kind: 'end', at: now.toISOString(), state: 'STOPPED' }]))).toMatchObject({ approval: 'pending', outcome: 'not released: execution stopped' });
  });
});
