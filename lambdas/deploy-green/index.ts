// DeployGreen: put the release on the idle slot and wait (via continuation tokens) until it is
// steady, healthy and running exactly the digest. Never touches production.
import { ReleaseConfig } from '../core/config';
import { decideAfterTransientError, decideDeployProgress, planDeployStart, reusableRollout } from '../core/decide-deploy';
import { errorSummary, isTransientError } from '../core/errors';
import {
  DeployGreenParameters,
  DeployToken,
  InvocationContext,
  PipelineJob,
  parseDeployGreenParameters,
  parseDeployToken,
  serialiseDeployToken,
} from '../core/events';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeployPorts, ImageNotFoundError, Logger } from '../core/ports';
import { jobReporter } from '../adapters/codepipeline';
import { ecrImages } from '../adapters/ecr';
import { ecsSlots } from '../adapters/ecs';
import { elbRoutes } from '../adapters/elb';
import { HandlerDeps, JobOutcome, failure, handlerDeps, pollOutcome, runPipelineJob } from '../adapters/job';

const OPERATION = 'deploy-green';

// Created once per container, only the clients this function uses.
const clients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  ecs: new ECSClient({}),
  ecr: new ECRClient({}),
  codepipeline: new CodePipelineClient({}),
};

export function deployPorts(config: ReleaseConfig): DeployPorts {
  return { routes: elbRoutes(clients, config), slots: ecsSlots(clients, config), images: ecrImages(clients, config.repositoryName) };
}

type Deps = HandlerDeps<DeployPorts>;

export function createDeployGreenHandler(overrides: Partial<Deps> = {}) {
  const deps = handlerDeps({ ports: deployPorts, reporter: jobReporter(clients) }, overrides);
  return async (event: unknown, _context?: InvocationContext): Promise<void> =>
    runPipelineJob(
      event,
      OPERATION,
      deps,
      async (job, log) => {
        const config = deps.loadConfig();
        const ports = deps.ports(config);
        return job.continuationToken === undefined ? start(job, config, ports, deps, log) : poll(job, config, ports, deps, log);
      },
      (err) => `DeployGreen failed and production is untouched: ${errorSummary(err)}`,
    );
}

export const handler = createDeployGreenHandler();

async function start(job: PipelineJob, config: ReleaseConfig, ports: DeployPorts, deps: Deps, log: Logger): Promise<JobOutcome> {
  const params: DeployGreenParameters = parseDeployGreenParameters(job.userParameters);
  const [routes, services] = await Promise.all([ports.routes.read(), ports.slots.describeServices(['a', 'b'])]);
  const plan = planDeployStart(config, routes, services, deps.now());
  if (plan.kind === 'refused') return failure(`DeployGreen refused and production is untouched: ${plan.reason}`);
  log = log.child({ slot: plan.slot, digest: params.imageDigest });
  if (plan.repairTestRoute) {
    await ports.routes.forward(plan.repairTestRoute.ruleArn, plan.repairTestRoute.targetGroupArn);
    log.warn('repaired the test rule', { testSlot: plan.slot });
  }
  let tagged: 'tagged' | 'already-tagged';
  try {
    tagged = await ports.images.tag(params.imageDigest, plan.imageTag);
    log.info('slot image tag set', { tag: plan.imageTag, result: tagged });
  } catch (err) {
    if (err instanceof ImageNotFoundError) return failure(`DeployGreen refused and production is untouched: ${err.message}`);
    throw err;
  }
  const reused =
    tagged === 'already-tagged' ? reusableRollout(await ports.slots.observe(plan.slot), params.imageDigest, plan.desiredCount, config.repositoryName) : null;
  if (reused !== null) log.info('the slot is already rolling to (or running) this digest; not restarting it', { deploymentId: reused });
  const { deploymentId } = reused !== null ? { deploymentId: reused } : await ports.slots.roll(plan.slot, plan.desiredCount);
  const token: DeployToken = {
    slot: plan.slot,
    digest: params.imageDigest,
    commit: params.commit,
    startedAt: plan.startedAt,
    deadline: plan.deadline,
    deploymentId,
  };
  log.info('slot rolling', { desiredCount: plan.desiredCount, deploymentId, deadline: plan.deadline });
  return {
    kind: 'success',
    result: {
      summary: `Rolling slot ${plan.slot} to ${params.imageDigest} with ${plan.desiredCount} task(s), deadline ${plan.deadline}`,
      continuationToken: serialiseDeployToken(token),
    },
  };
}

async function poll(job: PipelineJob, config: ReleaseConfig, ports: DeployPorts, deps: Deps, log: Logger): Promise<JobOutcome> {
  const token = parseDeployToken(job.continuationToken as string);
  log = log.child({ slot: token.slot, digest: token.digest });
  let progress;
  try {
    const obs = await ports.slots.observe(token.slot);
    progress = decideDeployProgress(config, token, obs, deps.now());
  } catch (err) {
    if (!isTransientError(err)) throw err;
    progress = decideAfterTransientError(token, deps.now(), errorSummary(err));
  }
  return pollOutcome(progress, serialiseDeployToken(token), { waiting: 'Waiting', failed: 'DeployGreen failed and production is untouched' }, log);
}
