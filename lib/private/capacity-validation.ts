// The checks of the props that decide capacity and where images live: `repository`.
import { Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { slotTagProblem } from '../../lambdas/core/registry';
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
