import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuildEvidence } from '../../lambdas/core/evidence';
import { BUILD_TOOLS_ASSET, BuildRun, FIXTURES, loadBuildSpec, prepareToolkit, REPO_ROOT, runBuild, Toolkit } from './codebuild-harness';

const SCRIPTS = join(REPO_ROOT, 'buildspecs', 'scripts');
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web';
const COMMIT = '3f786850e387550fdab836ed7e6dc881de23001b';
const BUILD_TAG = 'build-6f1c2a9e-0b7d-4c3e-9a51-2d8f7e6b5c4a';
const LIVE_DIGEST = `sha256:${'ab'.repeat(32)}`;
const fixture = (name: string) => join(FIXTURES, `${name}.json`);

describe('buildspec.yml', () => {
  const spec = loadBuildSpec();

  test('parses as a version 0.2 buildspec whose phases all abort on the first failure', () => {
    expect(spec.version).toBe(0.2);
    expect(spec.env.shell).toBe('bash');
    expect(Object.keys(spec.phases)).toEqual(['install', 'pre_build', 'build', 'post_build']);
    for (const phase of Object.values(spec.phases)) {
      expect(phase['on-failure']).toBe('ABORT');
      expect(phase.commands.length).toBeGreaterThan(0);
      for (const c of phase.commands) expect(typeof c).toBe('string');
    }
  });

  test('runs the gate on Node.js 20', () => {
    expect(spec.phases.install['runtime-versions']).toEqual({ nodejs: 20 });
  });

  test('exports exactly the variables the later stages read', () => {
    expect(spec.env['exported-variables']).toEqual(['IMAGE_URI', 'IMAGE_DIGEST', 'COMMIT', 'SCAN_SUMMARY']);
  });

  test('pins a Trivy release with SHA-256 checksums for both Linux builds', () => {
    const v = spec.env.variables;
    expect(v.TRIVY_VERSION).toBe('0.69.3');
    expect(v.TRIVY_SHA256_LINUX_64BIT).toBe('1816b632dfe529869c740c0913e36bd1629cb7688bd5634f4a858c1d57c88b75');
    expect(v.TRIVY_SHA256_LINUX_ARM64).toBe('7e3924a974e912e57b4a99f65ece7931f8079584dae12eb7845024f97087bdfd');
  });

  test('defaults the settings the construct documents', () => {
    expect(spec.env.variables).toMatchObject({
      GATE_FAIL_ON: 'HIGH',
      GATE_IGNORE_UNFIXED: 'true',
      GATE_ALLOW_EMPTY_SCAN: 'false',
      GATE_ALLOW_LIST: '.bluegreen/allow-list.json',
      DOCKERFILE: 'Dockerfile',
      DOCKER_BUILD_CONTEXT: '.',
      TRIVY_DB_REPOSITORY: 'public.ecr.aws/aquasecurity/trivy-db:2',
      TRIVY_JAVA_DB_REPOSITORY: 'public.ecr.aws/aquasecurity/trivy-java-db:1',
    });
    // Required ones have no default: a missing value must fail the build, not pick a guess.
    expect(spec.env.variables).not.toHaveProperty('REPOSITORY_URI');
    expect(spec.env.variables).not.toHaveProperty('BG_TOOLS_S3_URI');
  });

  test('feeds the scan-report group with the JUnit file and caches the Trivy folder', () => {
    expect(spec.reports['scan-report']).toEqual({
      'base-directory': '.bluegreen-out',
      files: ['gate-junit.xml'],
      'file-format': 'JUNITXML',
    });
    expect(spec.cache.paths).toEqual([`${spec.env.variables.TRIVY_CACHE_DIR}/**/*`]);
    expect(spec.artifacts.files).toEqual(['trivy-report.json', 'sbom.cdx.json', 'gate-summary.md', 'gate-result.json']);
  });

  test('runs only scripts that ship in buildspecs/scripts, and they are valid bash', () => {
    const shipped = readdirSync(SCRIPTS);
    const referenced = Object.values(spec.phases)
      .flatMap((p) => p.commands)
      .flatMap((c) => [...c.matchAll(/\$BG_TOOLS_DIR\/([\w.-]+\.sh)/g)].map((m) => m[1]));
    expect(referenced.length).toBeGreaterThanOrEqual(4);
    for (const name of referenced) expect(shipped).toContain(name);
    for (const name of shipped) {
      const r = spawnSync('bash', ['-n', join(SCRIPTS, name)], { encoding: 'utf8' });
      expect({ name, stderr: r.stderr }).toEqual({ name, stderr: '' });
    }
  });
});

describe('the harness', () => {
  test('runs the bundled build-tools asset, and says to bundle first when it is missing or stale', () => {
    expect(existsSync(join(BUILD_TOOLS_ASSET, 'scan-gate.js'))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'bg-asset-'));
    try {
      expect(() => prepareToolkit(join(dir, 'missing'))).toThrow(/build-tools asset is missing at .*: run npm run bundle first/);
      const stale = join(dir, 'stale');
      cpSync(BUILD_TOOLS_ASSET, stale, { recursive: true });
      writeFileSync(join(stale, 'push-image.sh'), '#!/usr/bin/env bash\n# an older push-image.sh\n');
      expect(() => prepareToolkit(stale)).toThrow(/older than buildspecs\/scripts \(push-image\.sh\): run npm run bundle first/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('buildspec.yml run phase by phase with stand-in docker, trivy and aws', () => {
  let kit: Toolkit;
  beforeAll(() => {
    kit = prepareToolkit();
  });
  afterAll(() => rmSync(kit.root, { recursive: true, force: true }));

  const pinnedArchive = () => ({
    TRIVY_SHA256_LINUX_64BIT: kit.trivyArchiveSha256,
    TRIVY_SHA256_LINUX_ARM64: kit.trivyArchiveSha256,
  });
  const callsOf = (run: BuildRun, tool: string) => run.calls.filter((c) => c.startsWith(`${tool} `));
  const out = (run: BuildRun, file: string) => join(run.srcDir, '.bluegreen-out', file);

  describe('GIVEN a report that passes the gate', () => {
    let run: BuildRun;
    beforeAll(() => {
      run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: pinnedArchive() });
    });

    test('THEN the build succeeds and exports exactly IMAGE_URI, IMAGE_DIGEST, COMMIT and SCAN_SUMMARY', () => {
      expect({ succeeded: run.succeeded, failedPhase: run.failedPhase }).toEqual({ succeeded: true, failedPhase: undefined });
      const digest = run.registry[COMMIT];
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(run.exported).toEqual({
        IMAGE_URI: `${REPO}@${digest}`,
        IMAGE_DIGEST: digest,
        COMMIT,
        SCAN_SUMMARY: '0 critical, 0 high, 4 medium; 0 secrets',
      });
    });

    test('THEN the pinned Trivy is downloaded and the DB comes from the mirror', () => {
      expect(callsOf(run, 'curl')).toEqual([
        expect.stringContaining('https://github.com/aquasecurity/trivy/releases/download/v0.69.3/trivy_0.69.3_Linux-'),
      ]);
      expect(run.calls).toContainEqual(
        expect.stringMatching(/^trivy image --download-db-only --db-repository public\.ecr\.aws\/aquasecurity\/trivy-db:2 /),
      );
      expect(run.calls).toContainEqual(
        expect.stringMatching(/^trivy image .*--java-db-repository public\.ecr\.aws\/aquasecurity\/trivy-java-db:1 .*--image-src docker bluegreen-candidate:local$/),
      );
    });

    test('THEN the image is built with the commit as build argument and label', () => {
      const builds = callsOf(run, 'docker').filter((c) => c.startsWith('docker build '));
      expect(builds).toHaveLength(1);
      expect(builds[0]).toContain(`--build-arg COMMIT=${COMMIT}`);
      expect(builds[0]).toContain(`--label org.opencontainers.image.revision=${COMMIT}`);
      expect(builds[0]).toMatch(/--file Dockerfile .* \.$/);
    });

    test('THEN it logs in, pushes the commit and build-id tags after the scan, and reads the digest back', () => {
      const docker = callsOf(run, 'docker');
      expect(docker[0]).toBe('docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com');
      expect(docker.filter((c) => c.startsWith('docker push '))).toEqual([
        `docker push ${REPO}:${COMMIT}`,
        `docker push ${REPO}:${BUILD_TAG}`,
      ]);
      const lastScan = run.calls.findIndex((c) => c.startsWith('trivy convert'));
      const firstPush = run.calls.findIndex((c) => c.startsWith('docker push'));
      expect(lastScan).toBeGreaterThan(-1);
      expect(firstPush).toBeGreaterThan(lastScan);
      // First whether the commit tag exists yet (it does not), then the digest of both pushed tags.
      expect(callsOf(run, 'aws').filter((c) => c.includes('describe-images'))).toEqual([
        expect.stringContaining(`--registry-id 123456789012 --region eu-west-1 --repository-name shop/web --image-ids imageTag=${COMMIT}`),
        expect.stringContaining(`--registry-id 123456789012 --region eu-west-1 --repository-name shop/web --image-ids imageTag=${COMMIT}`),
        expect.stringContaining(`--image-ids imageTag=${BUILD_TAG}`),
      ]);
      expect(run.output).not.toContain('keeps pointing at the first build');
      expect(run.registry[COMMIT]).toBe(run.registry[BUILD_TAG]);
    });

    test('THEN the report, SBOM, gate summary and JUnit file are left for artifacts and the report group', () => {
      for (const f of ['trivy-report.json', 'sbom.cdx.json', 'gate-summary.md', 'gate-result.json', 'gate-junit.xml']) {
        expect(existsSync(out(run, f))).toBe(true);
      }
      const result = JSON.parse(readFileSync(out(run, 'gate-result.json'), 'utf8'));
      expect(result).toMatchObject({ verdict: 'pass', policy: { failOn: 'HIGH', ignoreUnfixed: true } });
      expect(readFileSync(out(run, 'gate-junit.xml'), 'utf8')).toContain('<testsuites name="trivy-scan-gate" tests="1" failures="0"');
      expect(run.output).toContain('## Trivy scan gate: PASS');
    });

    test('THEN no state-record lookup happens when BG_STATE_PARAMETER is not set', () => {
      expect(run.calls.some((c) => c.startsWith('aws ssm'))).toBe(false);
    });
  });

  describe('GIVEN a report that fails the gate', () => {
    let run: BuildRun;
    beforeAll(() => {
      run = runBuild(kit, { report: fixture('alpine-39'), projectEnv: pinnedArchive() });
    });

    test('THEN the build stops in the build phase before any tag, push or digest read', () => {
      expect(run.failedPhase).toBe('build');
      expect(run.calls.filter((c) => /^docker (tag|push) /.test(c))).toEqual([]);
      expect(run.calls.some((c) => c.includes('describe-images'))).toBe(false);
      expect(run.registry).toEqual({});
      expect(run.exported).toEqual({});
    });

    test('THEN the log says why and the JUnit file carries the violations', () => {
      expect(run.output).toContain('scan gate exit code 1');
      const junit = readFileSync(out(run, 'gate-junit.xml'), 'utf8');
      expect(junit).toContain('failures="3"');
      expect(junit).toContain('CVE-2019-14697 musl@1.1.20-r4 [CRITICAL]');
    });
  });

  describe('GIVEN a rebuild of a commit whose (immutable) commit tag is already in the registry', () => {
    const FIRST_BUILD_DIGEST = `sha256:${'cd'.repeat(32)}`;
    let run: BuildRun;
    beforeAll(() => {
      run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: pinnedArchive(), registry: { [COMMIT]: FIRST_BUILD_DIGEST } });
    });

    test('THEN the commit tag is not pushed again, the build-id tag is, and the build succeeds', () => {
      expect({ succeeded: run.succeeded, failedPhase: run.failedPhase }).toEqual({ succeeded: true, failedPhase: undefined });
      expect(callsOf(run, 'docker').filter((c) => /^docker (tag|push) /.test(c))).toEqual([
        `docker tag bluegreen-candidate:local ${REPO}:${BUILD_TAG}`,
        `docker push ${REPO}:${BUILD_TAG}`,
      ]);
      expect(run.registry[COMMIT]).toBe(FIRST_BUILD_DIGEST);
      expect(run.registry[BUILD_TAG]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(run.registry[BUILD_TAG]).not.toBe(FIRST_BUILD_DIGEST);
    });

    test('THEN it exports this build\'s digest, read back from the build-id tag', () => {
      const digest = run.registry[BUILD_TAG];
      expect(run.exported).toEqual({
        IMAGE_URI: `${REPO}@${digest}`,
        IMAGE_DIGEST: digest,
        COMMIT,
        SCAN_SUMMARY: '0 critical, 0 high, 4 medium; 0 secrets',
      });
      expect(callsOf(run, 'aws').filter((c) => c.includes('describe-images'))).toEqual([
        expect.stringContaining(`--image-ids imageTag=${COMMIT}`),
        expect.stringContaining(`--image-ids imageTag=${BUILD_TAG}`),
      ]);
    });

    test('THEN one log line says the commit tag keeps pointing at the first build of the commit', () => {
      const lines = run.output.split('\n').filter((l) => l.includes('keeps pointing at the first build'));
      expect(lines).toEqual([
        `[bluegreen] tag ${COMMIT} already exists (${FIRST_BUILD_DIGEST}); it keeps pointing at the first build of commit ${COMMIT}`,
      ]);
    });
  });

  test('GIVEN ECR answers the commit-tag lookup with an error other than "not found" THEN post_build fails closed without a push', () => {
    const run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: pinnedArchive(), ecrDescribeError: 'AccessDeniedException' });
    expect(run.failedPhase).toBe('post_build');
    expect(run.output).toContain(`[bluegreen] ERROR: could not read tag ${COMMIT} from ECR: An error occurred (AccessDeniedException)`);
    expect(run.calls.filter((c) => /^docker (tag|push) /.test(c))).toEqual([]);
    expect(run.exported).toEqual({});
  });

  test('GIVEN a build phase that never ran the gate THEN push-image.sh refuses to push', () => {
    const run = runBuild(kit, {
      report: fixture('alpine-310'),
      projectEnv: pinnedArchive(),
      editSpec: (s) => {
        s.phases.build.commands = ['docker build --tag bluegreen-candidate:local .'];
      },
    });
    expect(run.failedPhase).toBe('post_build');
    expect(run.output).toContain('refusing to push: the scan gate has not passed in this build');
    expect(run.calls.filter((c) => /^docker (tag|push) /.test(c))).toEqual([]);
    expect(run.exported).toEqual({});
  });

  test('GIVEN the local image is replaced after the gate passed THEN push-image.sh refuses to push it', () => {
    const run = runBuild(kit, {
      report: fixture('alpine-310'),
      projectEnv: pinnedArchive(),
      editSpec: (s) => {
        s.phases.build.commands.push('docker build --build-arg SNEAKY=1 --tag bluegreen-candidate:local .');
      },
    });
    expect(run.failedPhase).toBe('post_build');
    expect(run.output).toContain('refusing to push: bluegreen-candidate:local is not the image the gate passed');
    expect(run.calls.filter((c) => /^docker (tag|push) /.test(c))).toEqual([]);
  });

  test('GIVEN Trivy wrote its error text instead of a report THEN the build fails closed without a push', () => {
    const run = runBuild(kit, { report: join(REPO_ROOT, 'test', 'buildspecs', 'gate', 'trivy-error.txt'), projectEnv: pinnedArchive() });
    expect(run.failedPhase).toBe('build');
    expect(run.output).toContain('scan gate exit code 2');
    expect(run.calls.some((c) => c.startsWith('docker push'))).toBe(false);
  });

  test('GIVEN a Trivy archive that does not match the pinned checksum THEN the install phase stops before docker runs', () => {
    const run = runBuild(kit, { report: fixture('alpine-310') });
    expect(run.failedPhase).toBe('install');
    expect(run.output).toContain('checksum mismatch for trivy_0.69.3_Linux-');
    expect(callsOf(run, 'docker')).toEqual([]);
    expect(callsOf(run, 'trivy')).toEqual([]);
  });

  test('GIVEN an allow-list in the checkout accepting the critical findings THEN the build passes and says so', () => {
    const allow = { entries: [{ id: 'CVE-2019-14697', expires: '2099-12-31', reason: 'musl not reachable (SEC-42)' }] };
    const run = runBuild(kit, {
      report: fixture('alpine-39'),
      projectEnv: pinnedArchive(),
      sourceFiles: { '.bluegreen/allow-list.json': JSON.stringify(allow) },
    });
    expect(run.succeeded).toBe(true);
    expect(run.exported.SCAN_SUMMARY).toBe('2 critical (2 fixable), 0 high, 4 medium; 0 secrets; 2 allow-listed');
  });

  test('GIVEN GATE_FAIL_ON and GATE_IGNORE_UNFIXED from the project THEN the gate applies them', () => {
    const run = runBuild(kit, {
      report: fixture('centos-7'),
      projectEnv: { ...pinnedArchive(), GATE_FAIL_ON: 'LOW', GATE_IGNORE_UNFIXED: 'false' },
    });
    expect(run.failedPhase).toBe('build');
    const result = JSON.parse(readFileSync(out(run, 'gate-result.json'), 'utf8'));
    expect(result).toMatchObject({ verdict: 'fail', policy: { failOn: 'LOW', ignoreUnfixed: false } });
    expect(result.violations).toHaveLength(3);
  });

  describe('GIVEN Trivy found no OS and no packages in the image (a report with no Results)', () => {
    let emptyReport: string;
    beforeAll(() => {
      emptyReport = join(kit.root, 'no-results.json');
      writeFileSync(emptyReport, JSON.stringify({ SchemaVersion: 2, ArtifactName: 'bluegreen-candidate:local', ArtifactType: 'container_image' }));
    });

    test('THEN the gate fails the build with the reason and nothing is pushed', () => {
      const run = runBuild(kit, { report: emptyReport, projectEnv: pinnedArchive() });
      expect(run.failedPhase).toBe('build');
      expect(run.output).toContain(
        'scan-gate: FAIL: the report has no scanned target (no Results): Trivy found no OS and no packages, so the image was not scanned; pass --allow-empty-scan',
      );
      expect(run.output).toContain('scan gate exit code 1');
      expect(run.calls.filter((c) => /^docker (tag|push) /.test(c))).toEqual([]);
      expect(run.exported).toEqual({});
    });

    test('THEN GATE_ALLOW_EMPTY_SCAN=true lets it through, and the approver sees that the scan was empty', () => {
      const run = runBuild(kit, { report: emptyReport, projectEnv: { ...pinnedArchive(), GATE_ALLOW_EMPTY_SCAN: 'true' } });
      expect(run.succeeded).toBe(true);
      expect(run.exported.SCAN_SUMMARY).toBe('EMPTY SCAN (allowed): Trivy found no OS or packages; 0 critical, 0 high, 0 medium; 0 secrets');
      expect(JSON.parse(readFileSync(out(run, 'gate-result.json'), 'utf8'))).toMatchObject({ verdict: 'pass', emptyScan: { allowed: true } });
    });

    test('THEN an invalid GATE_ALLOW_EMPTY_SCAN fails pre_build before anything is built', () => {
      const run = runBuild(kit, { report: emptyReport, projectEnv: { ...pinnedArchive(), GATE_ALLOW_EMPTY_SCAN: 'yes' } });
      expect(run.failedPhase).toBe('pre_build');
      expect(run.output).toContain("GATE_ALLOW_EMPTY_SCAN must be true or false (got 'yes')");
      expect(callsOf(run, 'docker')).toEqual([]);
    });
  });

  test('GIVEN an invalid GATE_FAIL_ON THEN pre_build fails before anything is built', () => {
    const run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: { ...pinnedArchive(), GATE_FAIL_ON: 'SEVERE' } });
    expect(run.failedPhase).toBe('pre_build');
    expect(run.output).toContain('GATE_FAIL_ON must be CRITICAL, HIGH, MEDIUM or LOW');
    expect(callsOf(run, 'docker')).toEqual([]);
  });

  describe('GIVEN BG_STATE_PARAMETER and a live digest in the state record', () => {
    const stateRecord = JSON.stringify({ schema: 1, liveSlot: 'a', liveDigest: LIVE_DIGEST });

    test('THEN the live image is scanned too and the summary counts what is new since live', () => {
      const run = runBuild(kit, {
        report: fixture('ubuntu-1804'),
        liveReport: fixture('ubuntu-1804-ignore-unfixed'),
        ssmValue: stateRecord,
        projectEnv: { ...pinnedArchive(), BG_STATE_PARAMETER: '/bluegreen/shop/state' },
      });
      expect(run.succeeded).toBe(true);
      expect(run.calls).toContainEqual(expect.stringMatching(/^aws ssm get-parameter --with-decryption --name \/bluegreen\/shop\/state /));
      expect(run.calls).toContainEqual(expect.stringMatching(new RegExp(`^trivy image .*--image-src remote ${REPO}@${LIVE_DIGEST}$`)));
      expect(run.exported.SCAN_SUMMARY).toBe('0 critical, 0 high, 4 medium, 1 low; 0 secrets; 1 new since live');
      expect(readFileSync(out(run, 'gate-summary.md'), 'utf8')).toContain('CVE-2019-18276');
    });

    test('THEN a live image that cannot be scanned is reported in the summary and does not block the release', () => {
      const run = runBuild(kit, {
        report: fixture('alpine-310'),
        liveScanFails: true,
        ssmValue: stateRecord,
        projectEnv: { ...pinnedArchive(), BG_STATE_PARAMETER: '/bluegreen/shop/state' },
      });
      expect(run.succeeded).toBe(true);
      expect(run.exported.SCAN_SUMMARY).toBe('0 critical, 0 high, 4 medium; 0 secrets; live baseline unavailable');
    });

    test('THEN no state record yet (first release) means no baseline and no note', () => {
      const run = runBuild(kit, {
        report: fixture('alpine-310'),
        projectEnv: { ...pinnedArchive(), BG_STATE_PARAMETER: '/bluegreen/shop/state' },
      });
      expect(run.succeeded).toBe(true);
      expect(run.calls.filter((c) => c.includes('--image-src remote'))).toEqual([]);
      expect(run.exported.SCAN_SUMMARY).toBe('0 critical, 0 high, 4 medium; 0 secrets');
    });
  });

  describe('GIVEN the construct keeps build evidence (BG_EVIDENCE_S3_URI, BG_EXECUTION_ID)', () => {
    const EXECUTION = '5f2c1b9e-0000-4000-8000-0000000000aa';
    const BASE = 's3://shop-artifacts/bluegreen-evidence/shop';
    const evidenceEnv = (over: Record<string, string> = {}) => ({
      ...pinnedArchive(),
      BG_EVIDENCE_S3_URI: `${BASE}/builds`,
      BG_EXECUTION_ID: EXECUTION,
      BG_SOURCE_REPOSITORY: 'https://ci-bot:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/shop-web.git',
      BG_SOURCE_BRANCH: 'main',
      ...over,
    });
    const uploaded = (run: BuildRun, key: string) => join(run.srcDir, '..', 'state', 's3', 'shop-artifacts', 'bluegreen-evidence', 'shop', 'builds', EXECUTION, key);
    const allow = { entries: [{ id: 'CVE-2019-14697', expires: '2099-12-31', reason: 'musl not reachable (SEC-42)' }] };

    test('THEN after the push it uploads the report, the SBOM and then build.json, which the release stage accepts', () => {
      const run = runBuild(kit, { report: fixture('alpine-39'), projectEnv: evidenceEnv(), sourceFiles: { '.bluegreen/allow-list.json': JSON.stringify(allow) } });
      expect(run.succeeded).toBe(true);
      const uploads = run.calls.filter((c) => c.startsWith('aws s3 cp ')).map((c) => c.split(' ').pop()!).filter((dest) => dest.startsWith('s3://'));
      expect(uploads).toEqual([`${BASE}/builds/${EXECUTION}/trivy-report.json`, `${BASE}/builds/${EXECUTION}/sbom.cdx.json`, `${BASE}/builds/${EXECUTION}/build.json`]);
      expect(run.calls.findIndex((c) => c.startsWith('aws s3 cp') && c.includes(EXECUTION))).toBeGreaterThan(run.calls.findIndex((c) => c.startsWith('docker push')));
      expect(readFileSync(uploaded(run, 'trivy-report.json'), 'utf8')).toBe(readFileSync(out(run, 'trivy-report.json'), 'utf8'));

      const build = parseBuildEvidence(JSON.parse(readFileSync(uploaded(run, 'build.json'), 'utf8')));
      expect(build).toEqual({
        schema: 1,
        source: { repository: 'https://github.com/acme/shop-web.git', branch: 'main', commit: COMMIT },
        buildId: 'shop-web-build:6f1c2a9e-0b7d-4c3e-9a51-2d8f7e6b5c4a',
        image: { uri: run.exported.IMAGE_URI, digest: run.exported.IMAGE_DIGEST },
        trivy: { version: '0.69.3', db: { version: 2, updatedAt: '2025-01-01T12:52:11Z', nextUpdate: '2025-01-02T00:52:11Z', downloadedAt: '2025-01-01T13:10:40Z' } },
        policy: { failOn: 'HIGH', ignoreUnfixed: true, allowEmptyScan: false },
        scan: { summary: run.exported.SCAN_SUMMARY, report: `${BASE}/builds/${EXECUTION}/trivy-report.json`, sbom: `${BASE}/builds/${EXECUTION}/sbom.cdx.json` },
        allowList: [{ id: 'CVE-2019-14697', reason: 'musl not reachable (SEC-42)', expires: '2099-12-31', findings: 2 }],
      });
      // The credentials in the repository URL never reach the record.
      expect(readFileSync(uploaded(run, 'build.json'), 'utf8')).not.toContain('ghp_');
    });

    test('THEN without an execution id the build fails after the push, saying what the action must pass', () => {
      const run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: evidenceEnv({ BG_EXECUTION_ID: '#{codepipeline.PipelineExecutionId}' }) });
      expect({ succeeded: run.succeeded, failedPhase: run.failedPhase }).toEqual({ succeeded: false, failedPhase: 'post_build' });
      expect(run.output).toContain("BG_EXECUTION_ID '#{codepipeline.PipelineExecutionId}' is not a pipeline execution id (the build action must pass #{codepipeline.PipelineExecutionId})");
    });

    test('THEN an upload that fails fails the build: no release without its evidence', () => {
      const run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: { ...evidenceEnv(), STANDIN_S3_PUT_ERROR: 'AccessDenied' } });
      expect({ succeeded: run.succeeded, failedPhase: run.failedPhase }).toEqual({ succeeded: false, failedPhase: 'post_build' });
      expect(run.output).toContain('An error occurred (AccessDenied) when calling the PutObject operation');
    });

    test('THEN without BG_EVIDENCE_S3_URI nothing is uploaded and the log says so', () => {
      const run = runBuild(kit, { report: fixture('alpine-310'), projectEnv: pinnedArchive() });
      expect(run.succeeded).toBe(true);
      expect(run.calls.filter((c) => c.startsWith('aws s3 cp') && c.includes('s3://shop'))).toEqual([]);
      expect(run.output).toContain('[bluegreen] no BG_EVIDENCE_S3_URI: no build evidence is kept');
    });
  });
});
