// DeployGreen: take the release lease, put the release on the slot that is idle at that moment, and
// wait (via continuation tokens) until it is steady, healthy and running exactly the digest. Never
// touches production. Every way it fails puts the slot's tag back on what the slot runs.
import { S3Client } from '@aws-sdk/client-s3';
import { ReleaseConfig, SLOT_NAMES, otherSlot } from '../core/config';
import {
  DeployProgress,
  decideAfterTransientError,
  decideDeployProgress,
  decideLeaseWait,
  planDeployStart,
  reusableRollout,
} from '../core/decide-deploy';
import { errorSummary, isTransientError } from '../core/errors';
import {
  DeployGreenParameters,
  DeployLeaseToken,
  DeployRollToken,
  InvocationContext,
  PipelineJob,
  parseDeployGreenParameters,
  parseDeployToken,
  serialiseDeployToken,
} from '../core/events';
import { uniformDigest } from '../core/slot';
import { slotTagProblem } from '../core/registry';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DeployPorts, ImageNotFoundError, Logger } from '../core/ports';
import { executionLookup, jobReporter } from '../adapters/codepipeline';
import { ecrImages } from '../adapters/ecr';
import { ecsSlots } from '../adapters/ecs';
import { elbRoutes } from '../adapters/elb';
import { HandlerDeps, JobOutcome, failure, handlerDeps, pollOutcome, runPipelineJob } from '../adapters/job';
import { dropRelease, takeRelease } from '../adapters/lease';
import { ssmLeaseStore } from '../adapters/ssm';
import { EvidencePorts } from '../core/evidence';
import { withEvidenceProblem } from '../adapters/evidence-outcome';
import { shortDigest } from '../core/drift';
import { evidenceStoreFor } from '../adapters/evidence';
import { s3Send } from '../adapters/s3-client';
import { recordDeployEvidence } from './evidence';
import { freeLiveSlot, slotScaling } from '../adapters/scaling';
import { aasSend } from '../adapters/scaling-client';
import { heldAt, releaseFloors } from '../core/scaling';

const OPERATION = 'deploy-green';
const FAILED = 'DeployGreen failed and production is untouched';

// Created once per container, only the clients this function uses.
const clients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  ecs: new ECSClient({}),
  ecr: new ECRClient({}),
  ssm: new SSMClient({}),
  codepipeline: new CodePipelineClient({}),
  s3: new S3Client({}),
};
const aas = aasSend();

export function deployPorts(config: ReleaseConfig): DeployPorts & EvidencePorts {
  return {
    evidence: evidenceStoreFor(config, s3Send(clients.s3)),
    routes: elbRoutes(clients, config),
    slots: ecsSlots(clients, config),
    images: ecrImages(clients, config.repositoryName),
    lease: ssmLeaseStore(clients, config.leaseParameterPath, config.stateKeyArn),
    executions: executionLookup(clients, config.pipelineName),
    ...(config.autoScaling ? { scaling: slotScaling(aas, config) } : {}),
  };
}

type Deps = HandlerDeps<DeployPorts & EvidencePorts>;

interface Run {
  readonly job: PipelineJob;
  readonly executionId: string;
  readonly config: ReleaseConfig;
  readonly ports: DeployPorts & EvidencePorts;
  readonly deps: Deps;
  readonly log: Logger;
}

export function createDeployGreenHandler(overrides: Partial<Deps> = {}) {
  const deps = handlerDeps({ ports: deployPorts, reporter: jobReporter(clients) }, overrides);
  return async (event: unknown, _context?: InvocationContext): Promise<void> =>
    runPipelineJob(
      event,
      OPERATION,
      deps,
      async (job, log) => {
        const executionId = job.pipelineExecutionId;
        if (executionId === undefined) return failure(`${FAILED}: the job carries no pipelineContext.pipelineExecutionId, so no release lease can be taken`);
        const config = deps.loadConfig();
        const run: Run = { job, executionId, config, ports: deps.ports(config), deps, log };
        let outcome: JobOutcome;
        try {
          outcome = await deploy(run);
        } catch (err) {
          log.error('unexpected error', { error: errorSummary(err) });
          outcome = failure(`${FAILED}: ${errorSummary(err)}`);
        }
        return withEvidenceProblem(outcome, await recordDeployEvidence(job, executionId, config, run.ports, outcome, deps.now(), log));
      },
      (err) => `${FAILED}: ${errorSummary(err)}`,
    );
}

export const handler = createDeployGreenHandler();

function deploy(run: Run): Promise<JobOutcome> {
  const { job } = run;
  if (job.continuationToken === undefined) return start(run, parseDeployGreenParameters(job.userParameters));
  const token = parseDeployToken(job.continuationToken);
  return token.phase === 'lease' ? start(run, token, token) : poll(run, token);
}

/** Takes the lease (or waits for it), then tags and rolls the slot that is idle now. */
async function start(run: Run, release: Pick<DeployGreenParameters, 'imageDigest' | 'commit'> | DeployLeaseToken, waiting?: DeployLeaseToken): Promise<JobOutcome> {
  const { config, ports, deps } = run;
  const digest = 'digest' in release ? release.digest : release.imageDigest;
  const now = deps.now();
  const lease: DeployLeaseToken = waiting ?? {
    phase: 'lease',
    digest,
    commit: release.commit,
    startedAt: now.toISOString(),
    deadline: new Date(now.getTime() + config.deployTimeoutSeconds * 1000).toISOString(),
  };
  if (waiting === undefined) {
    // Before anything is taken: a repository that cannot move the slot tags would fail every release.
    const problem = slotTagProblem(config.repositoryName, await ports.images.tagMutability(), SLOT_NAMES.map((slot) => config.slots[slot].imageTag));
    if (problem !== null) return failure(`DeployGreen refused and production is untouched: ${problem}`);
  }
  let held;
  try {
    held = await takeRelease(ports.lease, ports.executions, run.executionId, deps.now, run.log);
  } catch (err) {
    if (!isTransientError(err) || waiting === undefined) throw err;
    return pollOutcome(decideAfterTransientError(lease, deps.now(), errorSummary(err)), serialiseDeployToken(lease), { waiting: 'Waiting', failed: FAILED }, run.log);
  }
  if (held.kind === 'ended') return failure(`DeployGreen refused and production is untouched: ${held.reason}`);
  if (held.kind === 'wait') return pollOutcome(decideLeaseWait(lease, deps.now(), held.reason), serialiseDeployToken(lease), { waiting: 'Waiting', failed: FAILED }, run.log);

  // Read the routes only now, under the lease: no swap or rollback can move them until we let go.
  const [routes, services] = await Promise.all([ports.routes.read(), ports.slots.describeServices(['a', 'b'])]);
  const plan = planDeployStart(config, routes, services, deps.now());
  if (plan.kind === 'refused') return giveUp(run, `DeployGreen refused and production is untouched: ${plan.reason}`);
  const log = run.log.child({ slot: plan.slot, digest });
  if (plan.repairTestRoute) {
    await ports.routes.forward(plan.repairTestRoute.ruleArn, plan.repairTestRoute.targetGroupArn);
    log.warn('repaired the test rule', { testSlot: plan.slot });
  }
  const tagBefore = await ports.images.tagged(plan.imageTag);
  let tagged: 'tagged' | 'already-tagged';
  try {
    tagged = await ports.images.tag(digest, plan.imageTag);
    log.info('slot image tag set', { tag: plan.imageTag, result: tagged, before: tagBefore });
  } catch (err) {
    if (err instanceof ImageNotFoundError) return giveUp(run, `DeployGreen refused and production is untouched: ${err.message}`);
    throw err;
  }
  // What the slot ran before: its tag named it (the slot-tag rule), unless a retried start already moved the tag.
  const observed = tagBefore === digest ? await ports.slots.observe(plan.slot) : null;
  const previousDigest = tagBefore !== digest ? tagBefore : observed === null ? null : uniformDigest(observed.tasks, config.repositoryName);
  const token: Omit<DeployRollToken, 'deploymentId'> = {
    phase: 'rolling',
    slot: plan.slot,
    digest,
    commit: lease.commit,
    startedAt: lease.startedAt,
    deadline: lease.deadline,
    previousDigest: previousDigest === digest ? null : previousDigest,
    previousDesiredCount: plan.previousDesiredCount,
  };
  const reused = observed !== null && tagged === 'already-tagged' ? reusableRollout(observed, digest, plan.desiredCount, config.repositoryName) : null;
  if (reused !== null) log.info('the slot is already rolling to (or running) this digest; not restarting it', { deploymentId: reused });
  let deploymentId: string | null = reused;
  if (reused === null) {
    try {
      deploymentId = (await ports.slots.roll(plan.slot, plan.desiredCount)).deploymentId;
    } catch (err) {
      const undone = await undo(run, { ...token, deploymentId: null }, 'tag', log);
      return giveUp(run, `${FAILED}: rolling slot ${plan.slot} failed (${errorSummary(err)}); ${undone}`);
    }
  }
  if (ports.scaling && config.autoScaling) {
    // The candidate cannot scale in below what the swap will verify, nor the live slot (the
    // rollback target once production moves) below what it runs now.
    const floors = releaseFloors(config.autoScaling, plan.slot, plan.desiredCount, services[otherSlot(plan.slot)]?.desiredCount ?? 0);
    try {
      for (const slot of SLOT_NAMES) await ports.scaling.bound(slot, floors[slot]);
      log.info('scaling floors held', { floors });
    } catch (err) {
      const rolled = { ...token, deploymentId };
      const undone = await undo(run, rolled, 'tag-and-roll', log);
      return giveUp(run, `${FAILED}: holding the slots' scaling floors failed (${errorSummary(err)}); ${undone}`, rolled);
    }
  }
  log.info('slot rolling', { desiredCount: plan.desiredCount, deploymentId, deadline: lease.deadline });
  return {
    kind: 'success',
    result: {
      summary: `Rolling slot ${plan.slot} to ${digest} with ${plan.desiredCount} task(s), deadline ${lease.deadline}`,
      continuationToken: serialiseDeployToken({ ...token, deploymentId }),
    },
  };
}

async function poll(run: Run, token: DeployRollToken): Promise<JobOutcome> {
  const log = run.log.child({ slot: token.slot, digest: token.digest });
  let progress: DeployProgress;
  try {
    const obs = await run.ports.slots.observe(token.slot);
    progress = decideDeployProgress(run.config, token, obs, run.deps.now());
    if (progress.kind === 'succeed') {
      const lease = await run.ports.lease.read();
      if (lease.release !== null && lease.release.executionId !== run.executionId) {
        progress = { kind: 'fail', reason: `the release lease passed to ${lease.release.executionId} while slot ${token.slot} was deploying`, undo: 'tag-and-roll' };
      }
    }
  } catch (err) {
    // Any other error still ends in the slot put back, not in a tag left on an unready candidate.
    progress = isTransientError(err)
      ? decideAfterTransientError(token, run.deps.now(), errorSummary(err))
      : { kind: 'fail', reason: `polling slot ${token.slot} failed (${errorSummary(err)})`, undo: 'tag-and-roll' };
  }
  if (progress.kind === 'fail') {
    const undone = await undo(run, token, progress.undo, log);
    return giveUp(run, `${FAILED}: ${progress.reason}; ${undone}`, token);
  }
  return pollOutcome(progress, serialiseDeployToken(token), { waiting: 'Waiting', failed: FAILED }, log);
}

/**
 * Puts the slot's tag back on what it ran before the release (or removes it when it ran nothing),
 * and with 'tag-and-roll' rolls the slot back there too; says what it did, in a clause.
 */
async function undo(run: Run, token: DeployRollToken, how: 'none' | 'tag' | 'tag-and-roll', log: Logger): Promise<string> {
  if (how === 'none') return 'nothing to undo';
  const tag = run.config.slots[token.slot].imageTag;
  const target = token.previousDigest;
  // The short digest in the sentence (the log line has the whole one): the failure must stay readable.
  const shown = target === null ? 'nothing' : shortDigest(target);
  try {
    if (target === null) await run.ports.images.untag(tag);
    else await run.ports.images.tag(target, tag);
    log.info('slot tag put back', { tag, digest: target });
  } catch (err) {
    log.error('could not put the slot tag back', { tag, error: errorSummary(err) });
    return `putting tag ${tag} back on ${shown} failed too (${errorSummary(err)}), so the next release or rollback repairs it first`;
  }
  const where = `tag ${tag} is back on ${shown}`;
  if (how === 'tag') return where;
  try {
    await run.ports.slots.roll(token.slot, target === null ? 0 : token.previousDesiredCount);
    return `${where} and slot ${token.slot} is rolling back to it`;
  } catch (err) {
    return `${where} but rolling slot ${token.slot} back failed (${errorSummary(err)})`;
  }
}

/**
 * A failure that ends the release: the lease goes back first, and with auto scaling the live slot
 * scales freely again and a rolled candidate keeps a floor at the count it went back to.
 */
async function giveUp(run: Run, message: string, rolled?: DeployRollToken): Promise<JobOutcome> {
  await dropRelease(run.ports.lease, run.executionId, run.deps.now, run.log);
  const { scaling } = run.ports;
  if (scaling && run.config.autoScaling) {
    if (rolled) {
      await scaling.bound(rolled.slot, heldAt(run.config.autoScaling, rolled.previousDesiredCount)).catch((err) =>
        run.log.warn('the candidate keeps its scaling floor until the next release', { slot: rolled.slot, error: errorSummary(err) }),
      );
    }
    await freeLiveSlot(run.ports, run.config, run.log);
  }
  return failure(message);
}
