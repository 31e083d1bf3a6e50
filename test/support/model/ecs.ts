// ECS services, deployments and tasks on Fargate, advanced by `world.tick()`.
//
// A deployment resolves its image digest from ECR when it starts (ECS "version consistency"), so
// moving a slot tag later changes nothing that runs until the next deployment. Tasks start
// PENDING, run, pass or fail the target-group health check, and are drained when the new
// deployment is healthy. A digest can be marked bad: its tasks `crash` (fail health checks and
// are stopped; the circuit breaker fails the deployment and rolls back to the last completed one)
// or `hang` (never healthy, never stopped: the deployment stays IN_PROGRESS for ever).
import type {
  Deployment,
  DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommandOutput,
  DescribeTasksCommandOutput,
  ListTasksCommandOutput,
  Service,
  Task,
  CreateServiceCommandOutput,
  DeleteServiceCommandOutput,
  UpdateServiceCommandOutput,
  ListTagsForResourceCommandOutput,
} from '@aws-sdk/client-ecs';
import { awsError } from './errors';
import type { TargetHealthState } from './elbv2';
import { CommandFn, IdSource, ServiceModel, WorldRef, arnResourceName } from './common';

export type DigestBehaviour = 'healthy' | 'crash' | 'hang';

export interface EcsTiming {
  /** Ticks from launch until a task is RUNNING and registered (health `initial`). */
  startAfterTicks: number;
  /** Ticks from RUNNING until the health check verdict. */
  healthyAfterTicks: number;
  /** Ticks from a deployment's start until the circuit breaker fails it (once a task failed). */
  failAfterTicks: number;
  /** Ticks a deregistered target drains before its task stops. */
  drainTicks: number;
}

interface TaskDefinitionState {
  arn: string;
  family: string;
  revision: number;
  containerName: string;
  containerPort: number;
  image: string;
}

interface DeploymentState {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  createdAt: number;
  updatedAt: number;
  startTick: number;
  /** The digest every task of this deployment runs; null when the image could not be resolved. */
  digest: string | null;
  image: string;
}

export interface TaskState {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  deploymentId: string;
  taskDefinition: string;
  containerName: string;
  image: string;
  digest: string | null;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  health: TargetHealthState;
  ip: string;
  az: string;
  port: number;
  /** The target group ECS registered the task in (its service's load balancer when it launched). */
  targetGroupArn: string | null;
  launchTick: number;
  runningTick?: number;
  stopTick?: number;
  createdAt: number;
  startedAt?: number;
  stoppingAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
}

export interface ServiceState {
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[];
  deployments: DeploymentState[];
  lastCompleted?: { digest: string | null; taskDefinition: string; image: string };
  createdAt: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  healthCheckGracePeriodSeconds?: number;
  networkConfiguration?: unknown;
}

const err = (name: string, message: string) => awsError('ecs', name, message);

export class EcsModel implements ServiceModel {
  readonly clusters = new Set<string>();
  readonly services = new Map<string, ServiceState>();
  readonly tasks = new Map<string, TaskState>();
  readonly taskDefinitions = new Map<string, TaskDefinitionState>();
  readonly digestBehaviour = new Map<string, DigestBehaviour>();
  timing: EcsTiming = { startAfterTicks: 1, healthyAfterTicks: 2, failAfterTicks: 4, drainTicks: 1 };
  private readonly ids = new IdSource();
  private readonly depIds = new IdSource();

  constructor(private readonly world: WorldRef) {}

  // ---- seeding and inspection ------------------------------------------------------------------

  addCluster(name: string): string {
    const arn = `arn:aws:ecs:${this.world.region}:${this.world.account}:cluster/${name}`;
    this.clusters.add(arn);
    return arn;
  }

  registerTaskDefinition(opts: { family: string; image: string; containerName?: string; containerPort?: number }): string {
    const revision = [...this.taskDefinitions.values()].filter((t) => t.family === opts.family).length + 1;
    const arn = `arn:aws:ecs:${this.world.region}:${this.world.account}:task-definition/${opts.family}:${revision}`;
    this.taskDefinitions.set(arn, {
      arn,
      family: opts.family,
      revision,
      containerName: opts.containerName ?? 'app',
      containerPort: opts.containerPort ?? 8080,
      image: opts.image,
    });
    return arn;
  }

  /** Marks a digest so its tasks never become healthy (`crash` by default). */
  markBad(digest: string, behaviour: Exclude<DigestBehaviour, 'healthy'> = 'crash'): void {
    this.digestBehaviour.set(digest, behaviour);
  }

  service(nameOrArn: string): ServiceState {
    const svc = this.services.get(nameOrArn) ?? [...this.services.values()].find((s) => s.name === nameOrArn);
    if (!svc) throw new Error(`AwsWorld: no ECS service ${nameOrArn}`);
    return svc;
  }

  /** Tasks of a service that ECS still wants running (desiredStatus RUNNING), any lastStatus. */
  liveTasks(serviceArn: string): TaskState[] {
    return [...this.tasks.values()].filter((t) => t.serviceArn === serviceArn && t.desiredStatus === 'RUNNING');
  }

  /** Digests of the tasks that receive traffic from the service's target group (not draining). */
  servingDigests(serviceArn: string): (string | null)[] {
    return this.liveTasks(serviceArn)
      .filter((t) => t.lastStatus === 'RUNNING')
      .map((t) => t.digest);
  }

  /** Targets registered in a target group: the RUNNING tasks ECS registered there when they launched. */
  targetsOf(targetGroupArn: string): { ip: string; port: number; az: string; health: TargetHealthState; task: TaskState }[] {
    return [...this.tasks.values()]
      .filter((t) => t.targetGroupArn === targetGroupArn && t.lastStatus === 'RUNNING')
      .map((t) => ({ ip: t.ip, port: t.port, az: t.az, health: t.health, task: t }));
  }

  /** Steady in the sense DeployGreen and Swap check: one COMPLETED deployment, all desired tasks healthy. */
  isSteady(serviceArn: string): boolean {
    const svc = this.service(serviceArn);
    const [primary, ...rest] = svc.deployments;
    const running = this.liveTasks(svc.arn).filter((t) => t.lastStatus === 'RUNNING');
    return (
      rest.length === 0 &&
      primary?.rolloutState === 'COMPLETED' &&
      running.length === svc.desiredCount &&
      running.every((t) => t.health === 'healthy')
    );
  }

  /** Test shortcut for a service already running `digest` with `count` healthy tasks. */
  runNow(serviceArn: string, digest: string, count: number): void {
    const svc = this.service(serviceArn);
    for (const t of this.tasks.values()) if (t.serviceArn === svc.arn) this.tasks.delete(t.arn);
    svc.desiredCount = count;
    const dep = this.startDeployment(svc, { digest, taskDefinition: svc.taskDefinition, image: this.taskDefinition(svc.taskDefinition).image });
    svc.deployments = [dep];
    for (let i = 0; i < count; i++) {
      const task = this.launch(svc, dep);
      task.lastStatus = 'RUNNING';
      task.runningTick = this.world.tickCount;
      task.startedAt = this.world.now();
      task.health = 'healthy';
    }
    this.complete(svc, dep);
  }

  // ---- time ------------------------------------------------------------------------------------

  step(): void {
    const tick = this.world.tickCount;
    const now = this.world.now();
    for (const svc of this.services.values()) {
      const tasks = [...this.tasks.values()].filter((t) => t.serviceArn === svc.arn);
      // Drained tasks stop.
      for (const t of tasks) {
        if (t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED' && tick >= (t.stopTick ?? tick)) {
          t.lastStatus = 'STOPPED';
          t.stoppedAt = now;
        }
      }
      // Pending tasks start and register as targets.
      for (const t of tasks) {
        if (t.lastStatus === 'PENDING' && t.desiredStatus === 'RUNNING' && tick - t.launchTick >= this.timing.startAfterTicks) {
          t.lastStatus = 'RUNNING';
          t.runningTick = tick;
          t.startedAt = now;
          t.health = 'initial';
        }
      }
      // Health check verdicts.
      for (const t of tasks) {
        if (t.lastStatus !== 'RUNNING' || t.desiredStatus !== 'RUNNING' || t.health !== 'initial') continue;
        if (tick - (t.runningTick ?? tick) < this.timing.healthyAfterTicks) continue;
        const behaviour = t.digest ? this.digestBehaviour.get(t.digest) ?? 'healthy' : 'crash';
        if (behaviour === 'healthy') {
          t.health = 'healthy';
        } else {
          t.health = 'unhealthy';
          if (behaviour === 'crash') {
            this.stopTask(t, `Task failed ELB health checks in (target-group ${svc.loadBalancers[0]?.targetGroupArn})`);
            const dep = svc.deployments.find((d) => d.id === t.deploymentId);
            if (dep) dep.failedTasks += 1;
          }
        }
      }
      // "After all tasks have transitioned to either STOPPING or STOPPED status, the service status
      // moves from DRAINING to INACTIVE" (Amazon ECS API Reference, DeleteService).
      if (svc.status === 'DRAINING' && tasks.every((t) => t.lastStatus === 'STOPPED')) svc.status = 'INACTIVE';
      if (svc.status !== 'ACTIVE') continue;
      const primary = svc.deployments[0];
      // Circuit breaker.
      if (
        primary.rolloutState === 'IN_PROGRESS' &&
        svc.circuitBreaker.enable &&
        primary.failedTasks > 0 &&
        tick - primary.startTick >= this.timing.failAfterTicks
      ) {
        primary.rolloutState = 'FAILED';
        primary.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
        primary.updatedAt = now;
        for (const t of this.liveTasks(svc.arn)) if (t.deploymentId === primary.id) this.stopTask(t, 'Deployment failed');
        if (svc.circuitBreaker.rollback && svc.lastCompleted) {
          this.startDeployment(svc, svc.lastCompleted);
          svc.deployments[0].rolloutStateReason = `ECS deployment detected failure. Rolling back to ${svc.lastCompleted.taskDefinition}.`;
        }
      }
      this.scale(svc);
      this.retire(svc);
    }
  }

  private scale(svc: ServiceState): void {
    const primary = svc.deployments[0];
    if (primary.rolloutState === 'FAILED') return;
    const live = this.liveTasks(svc.arn).filter((t) => t.deploymentId === primary.id);
    for (let i = live.length; i < primary.desiredCount; i++) this.launch(svc, primary);
    for (const t of live.slice(primary.desiredCount).reverse()) this.stopTask(t, 'Scaling activity initiated by (deployment ' + primary.id + ')');
  }

  private retire(svc: ServiceState): void {
    const now = this.world.now();
    const [primary, ...older] = svc.deployments;
    const primaryTasks = this.liveTasks(svc.arn).filter((t) => t.deploymentId === primary.id);
    const healthy = primaryTasks.filter((t) => t.lastStatus === 'RUNNING' && t.health === 'healthy').length;
    if (healthy >= primary.desiredCount) {
      for (const t of this.liveTasks(svc.arn)) {
        if (t.deploymentId !== primary.id) this.stopTask(t, `Task stopped by deployment ${primary.id}`);
      }
    }
    const hasTasks = (d: DeploymentState) =>
      [...this.tasks.values()].some((t) => t.deploymentId === d.id && t.lastStatus !== 'STOPPED');
    // A failed deployment stays visible until the rollback that replaced it has completed.
    svc.deployments = [
      primary,
      ...older.filter((d) => hasTasks(d) || (d.rolloutState === 'FAILED' && primary.rolloutState !== 'COMPLETED')),
    ];
    const draining = [...this.tasks.values()].some(
      (t) => t.serviceArn === svc.arn && t.desiredStatus === 'STOPPED' && t.lastStatus !== 'STOPPED',
    );
    if (
      primary.rolloutState === 'IN_PROGRESS' &&
      !svc.deployments.slice(1).some(hasTasks) &&
      !draining &&
      primaryTasks.length === primary.desiredCount &&
      primaryTasks.every((t) => t.lastStatus === 'RUNNING' && t.health === 'healthy')
    ) {
      this.complete(svc, primary);
      svc.deployments = [primary];
    }
    if (primary.rolloutState === 'IN_PROGRESS') primary.updatedAt = now;
  }

  private complete(svc: ServiceState, dep: DeploymentState): void {
    dep.rolloutState = 'COMPLETED';
    dep.rolloutStateReason = `ECS deployment ${dep.id} completed.`;
    dep.updatedAt = this.world.now();
    if (dep.desiredCount > 0) svc.lastCompleted = { digest: dep.digest, taskDefinition: dep.taskDefinition, image: dep.image };
  }

  private launch(svc: ServiceState, dep: DeploymentState): TaskState {
    const n = this.ids.next();
    const td = this.taskDefinition(dep.taskDefinition);
    const cluster = arnResourceName(svc.clusterArn);
    const task: TaskState = {
      arn: `arn:aws:ecs:${this.world.region}:${this.world.account}:task/${cluster}/${n.toString(16).padStart(32, '0')}`,
      serviceArn: svc.arn,
      clusterArn: svc.clusterArn,
      deploymentId: dep.id,
      taskDefinition: dep.taskDefinition,
      containerName: td.containerName,
      image: dep.image,
      digest: dep.digest,
      lastStatus: 'PENDING',
      desiredStatus: 'RUNNING',
      health: 'initial',
      ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
      az: n % 2 ? 'us-east-1a' : 'us-east-1b',
      port: svc.loadBalancers[0]?.containerPort ?? td.containerPort,
      targetGroupArn: svc.loadBalancers[0]?.targetGroupArn ?? null,
      launchTick: this.world.tickCount,
      createdAt: this.world.now(),
    };
    this.tasks.set(task.arn, task);
    if (!dep.digest) {
      // Like CannotPullContainerError: the task never starts.
      this.stopTask(task, `CannotPullContainerError: pull image manifest has been retried 5 time(s): ${dep.image}: not found`);
      task.lastStatus = 'STOPPED';
      task.stoppedAt = this.world.now();
      dep.failedTasks += 1;
    }
    return task;
  }

  private stopTask(t: TaskState, reason: string): void {
    if (t.desiredStatus === 'STOPPED') return;
    t.desiredStatus = 'STOPPED';
    t.stoppedReason = reason;
    t.stoppingAt = this.world.now();
    if (t.lastStatus === 'RUNNING') {
      t.health = 'draining';
      t.stopTick = this.world.tickCount + this.timing.drainTicks;
    } else {
      t.lastStatus = 'STOPPED';
      t.stoppedAt = this.world.now();
    }
  }

  private startDeployment(
    svc: ServiceState,
    pinned?: { digest: string | null; taskDefinition: string; image: string },
  ): DeploymentState {
    for (const d of svc.deployments) d.status = 'ACTIVE';
    const taskDefinition = pinned?.taskDefinition ?? svc.taskDefinition;
    const image = pinned?.image ?? this.taskDefinition(taskDefinition).image;
    const dep: DeploymentState = {
      id: `ecs-svc/48${String(this.depIds.next()).padStart(17, '0')}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount: svc.desiredCount,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      createdAt: this.world.now(),
      updatedAt: this.world.now(),
      startTick: this.world.tickCount,
      digest: pinned ? pinned.digest : this.world.ecr.resolveImage(image),
      image,
    };
    dep.rolloutStateReason = `ECS deployment ${dep.id} in progress.`;
    svc.deployments.unshift(dep);
    return dep;
  }

  private taskDefinition(ref: string): TaskDefinitionState {
    const byArn = this.taskDefinitions.get(ref);
    if (byArn) return byArn;
    const [family, revision] = arnResourceName(ref).split(':');
    const candidates = [...this.taskDefinitions.values()]
      .filter((t) => t.family === family && (revision === undefined || t.revision === Number(revision)))
      .sort((x, y) => y.revision - x.revision);
    if (!candidates.length) throw err('ClientException', 'Unable to describe task definition.');
    return candidates[0];
  }

  /**
   * The target group must exist and be attached to a load balancer through a listener rule, or ECS
   * answers "The target group … does not have an associated load balancer" (CreateService,
   * UpdateService); aws-cdk-lib makes an ECS service depend on its target group's
   * `loadBalancerAttached` for this reason (aws-elasticloadbalancingv2 TargetGroupBase).
   */
  private checkLoadBalancers(loadBalancers: { targetGroupArn: string }[]): void {
    for (const lb of loadBalancers) {
      if (!this.world.elbv2.targetGroups.has(lb.targetGroupArn)) {
        throw err('InvalidParameterException', `Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.`);
      }
      if (this.world.elbv2.loadBalancersOf(lb.targetGroupArn).length === 0) {
        throw err('InvalidParameterException', `The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
      }
    }
  }

  private cluster(ref: string | undefined): string {
    const name = ref ? arnResourceName(ref) : 'default';
    const arn = [...this.clusters].find((c) => c === ref || arnResourceName(c) === name);
    if (!arn) throw err('ClusterNotFoundException', 'Cluster not found.');
    return arn;
  }

  private findService(cluster: string | undefined, ref: string): ServiceState {
    const clusterArn = this.cluster(cluster);
    const svc = [...this.services.values()]
      .filter((s) => s.clusterArn === clusterArn && (s.arn === ref || s.name === ref))
      .sort((x, y) => (x.status === 'INACTIVE' ? 1 : 0) - (y.status === 'INACTIVE' ? 1 : 0))[0];
    if (!svc) throw err('ServiceNotFoundException', 'Service not found.');
    return svc;
  }

  // ---- API -------------------------------------------------------------------------------------

  readonly commands: Record<string, CommandFn> = {
    CreateService: (input: {
      cluster?: string;
      serviceName: string;
      taskDefinition: string;
      desiredCount?: number;
      loadBalancers?: { targetGroupArn: string; containerName: string; containerPort: number }[];
      healthCheckGracePeriodSeconds?: number;
      networkConfiguration?: unknown;
      deploymentConfiguration?: { deploymentCircuitBreaker?: { enable: boolean; rollback: boolean } };
      tags?: { key: string; value: string }[];
    }): CreateServiceCommandOutput => {
      const clusterArn = this.cluster(input.cluster);
      const existing = [...this.services.values()].find((s) => s.clusterArn === clusterArn && s.name === input.serviceName);
      if (existing && existing.status !== 'INACTIVE') throw err('InvalidParameterException', 'Creation of service was not idempotent.');
      const td = this.taskDefinition(input.taskDefinition);
      this.checkLoadBalancers(input.loadBalancers ?? []);
      const arn = `arn:aws:ecs:${this.world.region}:${this.world.account}:service/${arnResourceName(clusterArn)}/${input.serviceName}`;
      if (existing) this.services.delete(existing.arn);
      const svc: ServiceState = {
        arn,
        name: input.serviceName,
        clusterArn,
        status: 'ACTIVE',
        desiredCount: input.desiredCount ?? 0,
        taskDefinition: td.arn,
        loadBalancers: (input.loadBalancers ?? []).map((l) => ({ ...l })),
        deployments: [],
        createdAt: this.world.now(),
        circuitBreaker: input.deploymentConfiguration?.deploymentCircuitBreaker ?? { enable: false, rollback: false },
        healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
        networkConfiguration: input.networkConfiguration,
      };
      this.services.set(arn, svc);
      this.startDeployment(svc);
      this.scale(svc);
      if (input.tags?.length) this.world.tags.put(arn, Object.fromEntries(input.tags.map((t) => [t.key, t.value])));
      return { service: this.serviceShape(svc, false), $metadata: {} };
    },

    UpdateService: (input: {
      cluster?: string;
      service: string;
      desiredCount?: number;
      taskDefinition?: string;
      forceNewDeployment?: boolean;
      networkConfiguration?: unknown;
      healthCheckGracePeriodSeconds?: number;
      loadBalancers?: { targetGroupArn: string; containerName: string; containerPort: number }[];
    }): UpdateServiceCommandOutput => {
      const svc = this.findService(input.cluster, input.service);
      if (svc.status !== 'ACTIVE') throw err('ServiceNotActiveException', 'Service was not ACTIVE.');
      if (input.desiredCount !== undefined && (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)) {
        throw err('InvalidParameterException', 'Invalid desiredCount.');
      }
      const td = input.taskDefinition ? this.taskDefinition(input.taskDefinition) : undefined;
      const networkChanged =
        input.networkConfiguration !== undefined &&
        JSON.stringify(input.networkConfiguration) !== JSON.stringify(svc.networkConfiguration);
      if (input.loadBalancers) this.checkLoadBalancers(input.loadBalancers);
      // "When you add, update, or remove a load balancer configuration, Amazon ECS starts new tasks
      // with the updated Elastic Load Balancing configuration" (Amazon ECS API Reference, UpdateService).
      const loadBalancersChanged = input.loadBalancers !== undefined && JSON.stringify(input.loadBalancers) !== JSON.stringify(svc.loadBalancers);
      const newDeployment = Boolean(input.forceNewDeployment) || (td !== undefined && td.arn !== svc.taskDefinition) || networkChanged || loadBalancersChanged;
      if (input.loadBalancers) svc.loadBalancers = input.loadBalancers.map((l) => ({ ...l }));
      if (input.desiredCount !== undefined) svc.desiredCount = input.desiredCount;
      if (td) svc.taskDefinition = td.arn;
      if (input.networkConfiguration !== undefined) svc.networkConfiguration = input.networkConfiguration;
      if (input.healthCheckGracePeriodSeconds !== undefined) svc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (newDeployment) this.startDeployment(svc);
      else svc.deployments[0].desiredCount = svc.desiredCount;
      // The scheduler places tasks within seconds, before the next tick.
      this.scale(svc);
      return { service: this.serviceShape(svc, false), $metadata: {} };
    },

    DeleteService: (input: { cluster?: string; service: string; force?: boolean }): DeleteServiceCommandOutput => {
      const svc = this.findService(input.cluster, input.service);
      if (svc.status === 'INACTIVE') throw err('ServiceNotActiveException', 'Service was not ACTIVE.');
      if (svc.desiredCount > 0 && !input.force) {
        throw err('InvalidParameterException', 'The service cannot be stopped while it is scaled above 0.');
      }
      // The service stays DRAINING until its tasks have stopped (see step()).
      svc.status = 'DRAINING';
      svc.desiredCount = 0;
      for (const t of this.liveTasks(svc.arn)) this.stopTask(t, 'Service deleted');
      if ([...this.tasks.values()].every((t) => t.serviceArn !== svc.arn || t.lastStatus === 'STOPPED')) svc.status = 'INACTIVE';
      return { service: this.serviceShape(svc, false), $metadata: {} };
    },

    // "You can't delete a cluster that contains services" (ClusterContainsServicesException) or
    // "that has active tasks" (ClusterContainsTasksException), Amazon ECS API Reference, DeleteCluster.
    DeleteCluster: (input: { cluster: string }) => {
      const clusterArn = this.cluster(input.cluster);
      if ([...this.services.values()].some((s) => s.clusterArn === clusterArn && s.status !== 'INACTIVE')) {
        throw err('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
      }
      if ([...this.tasks.values()].some((t) => t.clusterArn === clusterArn && t.lastStatus !== 'STOPPED')) {
        throw err('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
      }
      this.clusters.delete(clusterArn);
      return { cluster: { clusterArn, status: 'INACTIVE' } };
    },

    DescribeServices: (input: { cluster?: string; services: string[]; include?: string[] }): DescribeServicesCommandOutput => {
      const clusterArn = this.cluster(input.cluster);
      if (!input.services?.length || input.services.length > 10) {
        throw err('InvalidParameterException', 'services must contain between 1 and 10 items.');
      }
      const services: Service[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of input.services) {
        const svc = [...this.services.values()].find((s) => s.clusterArn === clusterArn && (s.arn === ref || s.name === ref));
        if (svc) services.push(this.serviceShape(svc, Boolean(input.include?.includes('TAGS'))));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : `arn:aws:ecs:${this.world.region}:${this.world.account}:service/${ref}`, reason: 'MISSING' });
      }
      return { services, failures, $metadata: {} };
    },

    ListTasks: (input: {
      cluster?: string;
      serviceName?: string;
      desiredStatus?: 'RUNNING' | 'PENDING' | 'STOPPED';
      startedBy?: string;
      maxResults?: number;
      nextToken?: string;
    }): ListTasksCommandOutput => {
      const clusterArn = this.cluster(input.cluster);
      const svc = input.serviceName ? this.findService(clusterArn, input.serviceName) : undefined;
      const wanted = input.desiredStatus ?? 'RUNNING';
      const all = [...this.tasks.values()].filter(
        (t) =>
          t.clusterArn === clusterArn &&
          (!svc || t.serviceArn === svc.arn) &&
          (!input.startedBy || t.deploymentId === input.startedBy) &&
          (wanted === 'STOPPED' ? t.desiredStatus === 'STOPPED' : t.desiredStatus === 'RUNNING' && (wanted === 'RUNNING' || t.lastStatus === 'PENDING')),
      );
      const start = input.nextToken ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      const size = Math.min(input.maxResults ?? 100, 100);
      const page = all.slice(start, start + size);
      const more = start + size < all.length;
      return {
        taskArns: page.map((t) => t.arn),
        ...(more ? { nextToken: Buffer.from(String(start + size)).toString('base64') } : {}),
        $metadata: {},
      };
    },

    DescribeTasks: (input: { cluster?: string; tasks: string[] }): DescribeTasksCommandOutput => {
      const clusterArn = this.cluster(input.cluster);
      if (!input.tasks?.length || input.tasks.length > 100) {
        throw err('InvalidParameterException', 'Tasks must contain between 1 and 100 items.');
      }
      const tasks: Task[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of input.tasks) {
        const t = this.tasks.get(ref) ?? [...this.tasks.values()].find((x) => arnResourceName(x.arn) === ref);
        if (t && t.clusterArn === clusterArn) tasks.push(this.taskShape(t));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { tasks, failures, $metadata: {} };
    },

    DescribeTaskDefinition: (input: { taskDefinition: string }): DescribeTaskDefinitionCommandOutput => {
      const td = this.taskDefinition(input.taskDefinition);
      return {
        taskDefinition: {
          taskDefinitionArn: td.arn,
          family: td.family,
          revision: td.revision,
          status: 'ACTIVE',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            { name: td.containerName, image: td.image, essential: true, portMappings: [{ containerPort: td.containerPort, protocol: 'tcp' }] },
          ],
        },
        $metadata: {},
      };
    },

    ListTagsForResource: (input: { resourceArn: string }): ListTagsForResourceCommandOutput => ({
      tags: Object.entries(this.world.tags.of(input.resourceArn)).map(([key, value]) => ({ key, value })),
      $metadata: {},
    }),
  };

  // ---- shapes ----------------------------------------------------------------------------------

  private serviceShape(svc: ServiceState, withTags: boolean): Service {
    const tasks = [...this.tasks.values()].filter((t) => t.serviceArn === svc.arn);
    const count = (dep: string | undefined, status: 'RUNNING' | 'PENDING') =>
      tasks.filter((t) => (!dep || t.deploymentId === dep) && t.lastStatus === status && (status === 'RUNNING' || t.desiredStatus === 'RUNNING')).length;
    const deployments: Deployment[] = svc.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      pendingCount: count(d.id, 'PENDING'),
      runningCount: count(d.id, 'RUNNING'),
      failedTasks: d.failedTasks,
      createdAt: new Date(d.createdAt),
      updatedAt: new Date(d.updatedAt),
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
    }));
    return {
      serviceArn: svc.arn,
      serviceName: svc.name,
      clusterArn: svc.clusterArn,
      status: svc.status,
      desiredCount: svc.desiredCount,
      runningCount: count(undefined, 'RUNNING'),
      pendingCount: count(undefined, 'PENDING'),
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      platformFamily: 'Linux',
      taskDefinition: svc.taskDefinition,
      loadBalancers: svc.loadBalancers.map((l) => ({ ...l })),
      deploymentConfiguration: {
        deploymentCircuitBreaker: { ...svc.circuitBreaker },
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deployments,
      events: [],
      createdAt: new Date(svc.createdAt),
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      ...(withTags
        ? { tags: Object.entries(this.world.tags.of(svc.arn)).map(([key, value]) => ({ key, value })) }
        : {}),
    };
  }

  private taskShape(t: TaskState): Task {
    const svc = this.services.get(t.serviceArn);
    const containerStatus = t.lastStatus === 'RUNNING' ? 'RUNNING' : t.lastStatus;
    return {
      taskArn: t.arn,
      clusterArn: t.clusterArn,
      taskDefinitionArn: t.taskDefinition,
      lastStatus: t.lastStatus === 'RUNNING' && t.desiredStatus === 'STOPPED' ? 'DEACTIVATING' : t.lastStatus,
      desiredStatus: t.desiredStatus,
      startedBy: t.deploymentId,
      group: `service:${svc?.name ?? ''}`,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      availabilityZone: t.az,
      healthStatus: 'UNKNOWN',
      ...(t.lastStatus === 'PENDING' ? {} : { connectivity: 'CONNECTED' as const }),
      createdAt: new Date(t.createdAt),
      ...(t.startedAt !== undefined ? { startedAt: new Date(t.startedAt) } : {}),
      ...(t.stoppingAt !== undefined ? { stoppingAt: new Date(t.stoppingAt) } : {}),
      ...(t.stoppedAt !== undefined ? { stoppedAt: new Date(t.stoppedAt) } : {}),
      ...(t.stoppedReason ? { stoppedReason: t.stoppedReason, stopCode: 'ServiceSchedulerInitiated' } : {}),
      attachments: [
        {
          id: `eni-attachment-${arnResourceName(t.arn).slice(-8)}`,
          type: 'ElasticNetworkInterface',
          status: t.lastStatus === 'RUNNING' ? 'ATTACHED' : 'PRECREATED',
          details: [
            { name: 'subnetId', value: 'subnet-0a1b2c3d' },
            { name: 'privateIPv4Address', value: t.ip },
          ],
        },
      ],
      containers: [
        {
          containerArn: `${t.arn.replace(':task/', ':container/')}/${t.containerName}`,
          taskArn: t.arn,
          name: t.containerName,
          image: t.image,
          // ECS reports the digest once the image has been pulled.
          ...(t.digest && t.lastStatus !== 'PENDING' ? { imageDigest: t.digest } : {}),
          lastStatus: containerStatus,
          healthStatus: 'UNKNOWN',
          networkInterfaces: [{ attachmentId: 'eni', privateIpv4Address: t.ip }],
        },
      ],
    };
  }
}
