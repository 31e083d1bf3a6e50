// The checks of the props that decide capacity and where images live: `repository`, `autoScaling`
// and `previousSlotRetention`.
import { Duration, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { MAX_RETENTION_SECONDS, MAX_TASKS } from '../../lambdas/core/config';
import { slotTagProblem } from '../../lambdas/core/registry';
import { DEFAULTS } from './defaults';
import { SLOTS, slotImageTag } from './names';

/** What the checks need to know of the stack: its region and account (tokens when environment-agnostic). */
export interface CapacityContext {
  readonly region: string;
  readonly account: string;
}

const known = (value: unknown): value is string => typeof value === 'string' && !Token.isUnresolved(value);

/**
 * `repository`: an alternative to `repositoryName`, not a companion; in the stack's account and
 * region (the control plane names it by repository name, which ECR resolves in the caller's own
 * registry); and, when it is defined in the same app, able to move the slot tags.
 */
export function checkRepository(props: BlueGreenPipelineProps, add: (problem: string) => void, context: CapacityContext): void {
  const repository = props.repository;
  if (repository === undefined) return;
  const declared = repository instanceof ecr.Repository ? (repository.node.defaultChild as ecr.CfnRepository).repositoryName : undefined;
  const shown = known(repository.repositoryName) ? repository.repositoryName : known(declared) ? declared : repository.node.path;
  if (props.repositoryName !== undefined) {
    add(
      `repository and repositoryName are both given (repository ${shown}, repositoryName "${props.repositoryName}"): repositoryName names a repository the construct creates; give repository to use yours, or repositoryName to have one created.`,
    );
  }
  for (const [what, theirs, ours] of [
    ['account', repository.env.account, context.account],
    ['region', repository.env.region, context.region],
  ] as const) {
    if (known(theirs) && known(ours) && theirs !== ours) {
      add(`repository ${shown} is in ${what} ${theirs}, but the stack is in ${ours}: the control plane reaches the repository by name in its own account and region; replicate the images into a repository there.`);
    }
  }
  const setting = declaredTagMutability(repository);
  const fix = "give it imageTagMutability: TagMutability.IMMUTABLE_WITH_EXCLUSION and imageTagMutabilityExclusionFilters: [ImageTagMutabilityExclusionFilter.wildcard('slot-*')]";
  const problem = setting && slotTagProblem(shown, setting, SLOTS.map(slotImageTag), fix);
  if (problem) add(`repository cannot hold the slot tags: ${problem}.`);
}

/** The warnings about a `repository` defined in the same app: no scan on push. */
export function repositoryWarnings(props: BlueGreenPipelineProps): Array<[string, string]> {
  const cfn = props.repository instanceof ecr.Repository ? (props.repository.node.defaultChild as ecr.CfnRepository) : undefined;
  const scanning = cfn?.imageScanningConfiguration;
  if (cfn === undefined || Token.isUnresolved(scanning) || (scanning as ecr.CfnRepository.ImageScanningConfigurationProperty | undefined)?.scanOnPush === true) return [];
  return [
    [
      'cdk-blue-green-pipeline:repositoryScanOnPush',
      `repository ${props.repository!.node.path} does not scan on push: the build's Trivy gate still stops a vulnerable image, but ECR keeps no findings of its own for the images it holds; set imageScanOnPush: true.`,
    ],
  ];
}

/** The tag mutability of a repository defined in this app, as its template declares it; undefined when it cannot be known at synth. */
function declaredTagMutability(repository: ecr.IRepository): { mutability: string; exclusions: string[] } | undefined {
  if (!(repository instanceof ecr.Repository)) return undefined;
  const cfn = repository.node.defaultChild as ecr.CfnRepository;
  const mutability = cfn.imageTagMutability ?? 'MUTABLE';
  const filters = cfn.imageTagMutabilityExclusionFilters;
  if (Token.isUnresolved(mutability) || Token.isUnresolved(filters)) return undefined;
  const values = ((filters ?? []) as Array<ecr.CfnRepository.ImageTagMutabilityExclusionFilterProperty>).map((f) => f.imageTagMutabilityExclusionFilterValue);
  if (values.some((v) => !known(v))) return undefined;
  return { mutability, exclusions: values };
}

/**
 * `autoScaling`: whole task counts with min ≤ max (the control plane reads them from its
 * configuration, so they must be known at synth), at least one target, and `desiredCount` (a first
 * release's count) inside the bounds.
 */
export function checkAutoScaling(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const scaling = props.autoScaling;
  if (scaling === undefined) return;
  const count = (name: string, value: number | undefined, min: number, max: number, what: string): boolean => {
    if (value === undefined) return false;
    if (Token.isUnresolved(value)) {
      add(`autoScaling.${name} must be known at synth (got a token): ${what}.`);
      return false;
    }
    if (!Number.isInteger(value) || value < min || value > max) {
      add(`autoScaling.${name} must be a whole number from ${min} to ${max} (got ${value}): ${what}.`);
      return false;
    }
    return true;
  };
  const minOk = count('minCapacity', scaling.minCapacity, 1, MAX_TASKS, 'the fewest tasks the live slot scales in to');
  const maxOk = count('maxCapacity', scaling.maxCapacity, 1, MAX_TASKS, 'the most tasks a slot scales out to');
  if (minOk && maxOk && scaling.minCapacity > scaling.maxCapacity) {
    add(`autoScaling.minCapacity ${scaling.minCapacity} is above autoScaling.maxCapacity ${scaling.maxCapacity}; expected minCapacity ≤ maxCapacity.`);
  }
  count('targetCpuUtilizationPercent', scaling.targetCpuUtilizationPercent, 1, 100, 'the average CPU utilization target tracking keeps, in percent');
  count('targetRequestsPerTarget', scaling.targetRequestsPerTarget, 1, 1_000_000, 'the requests a minute per task target tracking keeps');
  if (scaling.targetCpuUtilizationPercent === undefined && scaling.targetRequestsPerTarget === undefined) {
    add('autoScaling needs a target to track (got neither targetCpuUtilizationPercent nor targetRequestsPerTarget): give one or both.');
  }
  for (const [name, cooldown] of [['scaleInCooldown', scaling.scaleInCooldown], ['scaleOutCooldown', scaling.scaleOutCooldown]] as const) {
    if (cooldown === undefined || cooldown.isUnresolved()) continue;
    const seconds = cooldown.toMilliseconds() / 1000;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > Duration.hours(1).toSeconds()) {
      add(`autoScaling.${name} must be a whole number of seconds from 0 to 1 hour (got ${cooldown.toHumanString()}).`);
    }
  }
  const desired = props.desiredCount ?? DEFAULTS.desiredCount;
  if (props.desiredCount !== undefined && minOk && maxOk && scaling.minCapacity <= scaling.maxCapacity && !Token.isUnresolved(desired) && (desired < scaling.minCapacity || desired > scaling.maxCapacity)) {
    add(`desiredCount ${desired} is outside autoScaling's ${scaling.minCapacity}-${scaling.maxCapacity}: a first release starts with desiredCount tasks; give a count inside the bounds.`);
  }
}

/**
 * `previousSlotRetention`: whole minutes from 1 minute to 366 days (a one-time schedule's time is
 * whole seconds; the control plane's configuration says the same), known at synth.
 */
export function checkRetention(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const retention = props.previousSlotRetention;
  if (retention === undefined) return;
  if (retention.isUnresolved()) {
    add('previousSlotRetention must be known at synth (got a token): the control plane reads it from its configuration.');
    return;
  }
  const seconds = retention.toMilliseconds() / 1000;
  if (!Number.isInteger(seconds / 60) || seconds < 60 || seconds > MAX_RETENTION_SECONDS) {
    add(`previousSlotRetention must be whole minutes from 1 minute to 366 days (got ${retention.toHumanString()}): how long the previous slot keeps its tasks after a release.`);
  }
}

/** A first release's count: `desiredCount`, or the default brought inside `autoScaling`'s bounds. */
export function firstReleaseCount(props: BlueGreenPipelineProps): number {
  if (props.desiredCount !== undefined) return props.desiredCount;
  const scaling = props.autoScaling;
  return scaling === undefined ? DEFAULTS.desiredCount : Math.min(scaling.maxCapacity, Math.max(scaling.minCapacity, DEFAULTS.desiredCount));
}
