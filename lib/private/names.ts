/**
 * Pipeline stage names, in order. CodePipeline locks a stage, not the pipeline, while an execution
 * runs in it, so everything that touches the slots is one `Release` stage.
 */
export const STAGE = {
  source: 'Source',
  build: 'BuildAndScan',
  release: 'Release',
} as const;

/** The actions of the Release stage, in run order (the Source and Build stages' one action each share their stage's name). */
export const ACTION = {
  deploy: 'DeployGreen',
  tests: 'Tests',
  approve: 'Approve',
  swap: 'Swap',
  bake: 'Bake',
} as const;

/** Pipeline variable namespaces. */
export const NAMESPACE = {
  source: 'Source',
  build: 'Build',
  deploy: 'Deploy',
  tests: 'Tests',
  swap: 'Swap',
  bake: 'Bake',
} as const;

/** The slots, and the mutable ECR tag each slot's task definition references. */
export const SLOTS = ['a', 'b'] as const;
export type SlotName = (typeof SLOTS)[number];
export const slotImageTag = (slot: SlotName): string => `slot-${slot}`;

/** Environment variable that tells the container which slot it runs in. */
export const SLOT_ENV = 'BLUEGREEN_SLOT';

/** Name of the application container in each slot's task definition. */
export const CONTAINER_NAME = 'app';

export const configParameterName = (pipelineName: string): string => `/bluegreen/${pipelineName}/config`;
export const stateParameterName = (pipelineName: string): string => `/bluegreen/${pipelineName}/state`;
/** Writing it asks for a rollback, in the writer's name (lambdas/core/requested.ts). CloudFormation never writes it. */
export const rollbackRequestParameterName = (pipelineName: string): string => `/bluegreen/${pipelineName}/rollback-request`;
export const leaseParameterPath = (pipelineName: string): string => `/bluegreen/${pipelineName}/lease`;
export const slotServiceName = (pipelineName: string, slot: SlotName): string => `${pipelineName}-slot-${slot}`;
export const CONFIG_PARAMETER_TAG = 'bluegreen:config-parameter';

/** SNS: a topic's display name is at most 100 characters; a long pipeline name is shortened, visibly. */
export const MAX_TOPIC_DISPLAY_NAME = 100;
export const topicDisplayName = (text: string): string =>
  text.length <= MAX_TOPIC_DISPLAY_NAME ? text : `${text.slice(0, MAX_TOPIC_DISPLAY_NAME - 3)}...`;
