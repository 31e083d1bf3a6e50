// What runs in each slot: the container, its task and its capacity. Part of BlueGreenPipelineProps
// (which extends it), kept apart so each file reads as one area.
import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';

/** What runs in each slot: the container, its task and how many tasks (part of BlueGreenPipelineProps). */
export interface BlueGreenServiceProps {
  /**
   * Port the container listens on.
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Path of the target group health check.
   * @default '/health'
   */
  readonly healthCheckPath?: string;

  /**
   * Port of the target group health check.
   * @default - the container port
   */
  readonly healthCheckPort?: number;

  /**
   * Time a new task has before failed health checks count against it.
   * @default Duration.seconds(60)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Fargate task memory in MiB; must be a valid pair with `cpu`.
   * @default 512
   */
  readonly memoryLimitMiB?: number;

  /**
   * Tasks a released slot runs when no slot runs any (later releases match the live slot).
   * Must be known at synth.
   * @default 2
   */
  readonly desiredCount?: number;

  /**
   * Auto scaling of the slots: Application Auto Scaling target tracking on CPU and/or ALB
   * requests per target, for both slot services. Between releases the live slot scales within
   * `minCapacity`-`maxCapacity`; a release starts the candidate at the live slot's current count,
   * and from DeployGreen until the release ends neither slot scales in under the count it had (the
   * swap verified the one, the other is the rollback target); the previous slot stays warm at its
   * count. `cdk deploy` never changes a count. Must be known at synth.
   * @default - no auto scaling: each slot runs the count a release gave it
   */
  readonly autoScaling?: SlotAutoScaling;

  /**
   * How long the previous slot (the one production left) keeps its tasks after a release ends:
   * then a one-time EventBridge Scheduler schedule, owned by the control plane, scales it to zero.
   * The scale-down is skipped if the slot is no longer the previous slot (a later release or a
   * rollback moved production) or a release holds the slots. A rollback to a slot at zero scales it
   * back up to the live slot's count on the previous digest, answers "in progress" until it is
   * steady and healthy, and then moves production in one route write; it is refused if the
   * previous digest is gone from the repository. Whole minutes, 1 minute to 366 days; known at synth.
   * @default - the previous slot stays warm until the next release: rollback is one route write at any time
   */
  readonly previousSlotRetention?: Duration;

  /**
   * CPU architecture of the tasks, and of the CodeBuild image that builds them.
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Environment variables of the container. `BLUEGREEN_SLOT` is reserved (set to `a` or `b`).
   * @default - none besides BLUEGREEN_SLOT
   */
  readonly environment?: { [name: string]: string };

  /**
   * Secrets of the container, from Secrets Manager or SSM Parameter Store.
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * Run the container with a read-only root filesystem (a writable `/tmp` volume is mounted). Set
   * false for an application that writes elsewhere on its filesystem.
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * User (uid, uid:gid or name) the container runs as. Root is refused.
   * @default '1000'
   */
  readonly containerUser?: string;

  /**
   * Role of the application tasks, shared by both slots.
   * @default - a new role with no permissions
   */
  readonly taskRole?: iam.IRole;
}

/** How the slots scale (the `autoScaling` prop); give at least one target. */
export interface SlotAutoScaling {
  /** Fewest tasks the live slot scales in to between releases (1 to `maxCapacity`). */
  readonly minCapacity: number;

  /** Most tasks a slot scales out to (`minCapacity` to 1000). */
  readonly maxCapacity: number;

  /**
   * Average CPU utilization of a slot's tasks, in percent (1-100), that target tracking keeps
   * (ECSServiceAverageCPUUtilization).
   * @default - no CPU target
   */
  readonly targetCpuUtilizationPercent?: number;

  /**
   * Requests a minute per task that target tracking keeps, from the load balancer's count for the
   * slot's target group (ALBRequestCountPerTarget); at least 1.
   * @default - no request-count target
   */
  readonly targetRequestsPerTarget?: number;

  /**
   * How long after a scale-in another scale-in may start (0 to 1 hour).
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;

  /**
   * How long after a scale-out another scale-out may start (0 to 1 hour).
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}
