import { CustomResource, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { BlueGreenPipelineProps, BlueGreenSlot } from './blue-green-pipeline-props';
import { publishPipelineEvents } from './private/audit';
import { BakeWatching } from './private/bake';
import { BuildAndScan } from './private/build-and-scan';
import { acknowledgeFindings } from './private/compliance';
import { ControlPlane } from './private/control-plane';
import { ControlPlaneFoundation, controlPlaneFoundation } from './private/control-plane-function';
import { InfraOwner } from './private/infra-owner';
import { ACTION, STAGE } from './private/names';
import { Network } from './private/network';
import { Registry } from './private/registry';
import { ReleasePipeline } from './private/release-pipeline';
import { Routes } from './private/routes';
import { Settings, containerSettings, resolveSettings } from './private/settings';
import { Slots } from './private/slots';
import { Storage } from './private/storage';
import { Topics } from './private/topics';
import { TrafficEntry } from './private/traffic-entry';
import { assertValid, validateProps } from './private/validation';

/**
 * A complete blue/green container delivery pipeline on ECS Fargate: source, Docker build with a
 * Trivy gate before the registry, deploy to the idle slot, approval by email, route swap, and a
 * bake window that swaps back on alarm.
 *
 * The construct is a sequence of parts (`lib/private/`), each creating its resources in this
 * scope (so the logical IDs do not depend on how the parts are cut) and granting what its own
 * integrations need.
 */
export class BlueGreenPipeline extends Construct {
  private readonly settings: Settings;
  private readonly storage: Storage;
  private readonly network: Network;
  private readonly entry: TrafficEntry;
  private readonly registry: Registry;
  private readonly foundation: ControlPlaneFoundation;
  private readonly infraOwner: InfraOwner;
  private readonly slots: Slots;
  private readonly routesPart: Routes;
  private readonly topics: Topics;
  private readonly controlPlane: ControlPlane;
  private readonly bake?: BakeWatching;
  private readonly build: BuildAndScan;
  private readonly release: ReleasePipeline;

  constructor(scope: Construct, id: string, props: BlueGreenPipelineProps) {
    super(scope, id);
    assertValid(id, validateProps(props));
    // Server access logs by bucket policy, so every bucket keeps ACLs disabled (set before any child exists).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const settings = (this.settings = resolveSettings(Stack.of(this), id, props));
    const { pipelineName, internetFacing, names } = settings;

    // Encryption and storage; the network and the traffic entry; the registry.
    const storage = (this.storage = new Storage(this, settings));
    const network = (this.network = new Network(this, { ...props, internetFacing, logBucket: storage.logBucket }));
    const entry = (this.entry = new TrafficEntry(this, { ...props, ...settings, ...network }));
    const registry = (this.registry = new Registry(this, { ...props, ...settings, key: storage.imageKey }));

    // The control plane's network, and the function that answers CloudFormation for the slots and the routes.
    const shared = (this.foundation = controlPlaneFoundation(this, { ...settings, ...storage, vpc: network.vpc, queueKey: storage.notificationsKey }));
    const infraOwner = (this.infraOwner = new InfraOwner(this, shared, pipelineName));

    // The two slots, and the routes that forward to them.
    const slots = (this.slots = new Slots(this, {
      ...props,
      ...network,
      ...shared,
      pipelineName,
      repository: registry.repository,
      container: containerSettings(props, settings),
      securityGroup: entry.serviceSecurityGroup,
      infraOwner,
    }));
    const routes = (this.routesPart = new Routes(this, { ...entry, slots, infraOwner }));

    // The release control plane: its topics, its configuration, DeployGreen and Swap; then bake watching.
    const topics = (this.topics = new Topics(this, { ...props, pipelineName, key: storage.notificationsKey }));
    const controlPlane = (this.controlPlane = new ControlPlane(this, {
      ...network,
      ...entry,
      settings,
      shared,
      slots,
      routes,
      repository: registry.repository,
      stateKey: storage.stateKey,
      notificationTopic: topics.notificationTopic,
    }));
    const bake = (this.bake = settings.baking ? new BakeWatching(this, { ...props, ...settings, ...network, slots, topics, shared, controlPlane }) : undefined);

    // The pipeline: Source, BuildAndScan (the gate before the registry), Release.
    const build = (this.build = new BuildAndScan(this, {
      ...settings,
      ...names,
      gate: props,
      repository: registry.repository,
      key: storage.artifactsKey,
      logsKey: storage.logsKey,
      stateKey: storage.stateKey,
    }));
    const release = (this.release = new ReleasePipeline(this, { ...props, ...names, pipelineName, artifactBucket: storage.artifactBucket, build, controlPlane, topics, bake }));

    // Audit: execution state changes go to the same topic as the swap and rollback records.
    publishPipelineEvents('PipelineEvents', release.pipeline, topics.notificationTopic);
    acknowledgeFindings({
      ...settings,
      ...network,
      ...entry,
      ...storage,
      root: this,
      webAcl: props.webAclArn !== undefined,
      listeners: [entry.productionListener, entry.testListener],
      taskDefinitions: [slots.a.taskDefinition, slots.b.taskDefinition],
      buildProject: build.project,
      ownedWildcardArns: () => [routes, storage, controlPlane, ...(bake ? [bake] : []), build].flatMap((part) => part.ownedWildcardArns),
    });
  }

  public get pipelineName(): string {
    return this.settings.pipelineName;
  }
  public get vpc(): ec2.IVpc {
    return this.network.vpc;
  }
  public get cluster(): ecs.ICluster {
    return this.network.cluster;
  }
  public get loadBalancer(): elbv2.IApplicationLoadBalancer {
    return this.network.loadBalancer;
  }
  /** Production listener (blue). Its default action is a fixed 503; the route is a rule owned by the control plane. */
  public get productionListener(): elbv2.ApplicationListener {
    return this.entry.productionListener;
  }
  /** Test listener (green), reachable from `testListenerAllowedCidrs` only. */
  public get testListener(): elbv2.ApplicationListener {
    return this.entry.testListener;
  }
  /** Port 80 listener that redirects to HTTPS; only with a certificate. */
  public get redirectListener(): elbv2.ApplicationListener | undefined {
    return this.entry.redirectListener;
  }
  public get serviceSecurityGroup(): ec2.SecurityGroup {
    return this.entry.serviceSecurityGroup;
  }
  public get testUrl(): string {
    return this.entry.testUrl;
  }
  public get repository(): ecr.Repository {
    return this.registry.repository;
  }
  public get slotA(): BlueGreenSlot {
    return this.slots.a;
  }
  public get slotB(): BlueGreenSlot {
    return this.slots.b;
  }
  public get taskRole(): iam.IRole {
    return this.slots.taskRole;
  }
  public get executionRole(): iam.Role {
    return this.slots.executionRole;
  }
  public get serviceLogGroup(): logs.LogGroup {
    return this.slots.logGroup;
  }
  /** The Custom::BlueGreenRoutes resource that creates the production and test rules. */
  public get routes(): CustomResource {
    return this.routesPart.resource;
  }
  public get productionRuleArn(): string {
    return this.routesPart.productionRuleArn;
  }
  public get testRuleArn(): string {
    return this.routesPart.testRuleArn;
  }
  public get pipeline(): codepipeline.Pipeline {
    return this.release.pipeline;
  }
  public get buildProject(): codebuild.PipelineProject {
    return this.build.project;
  }
  public get scanReportGroup(): codebuild.ReportGroup {
    return this.build.reportGroup;
  }
  public get buildLogGroup(): logs.LogGroup {
    return this.build.logGroup;
  }
  public get approvalTopic(): sns.Topic {
    return this.topics.approvalTopic;
  }
  public get notificationTopic(): sns.ITopic {
    return this.topics.notificationTopic;
  }
  public get deployGreenFunction(): lambda.Function {
    return this.controlPlane.deployGreen.function;
  }
  public get swapFunction(): lambda.Function {
    return this.controlPlane.swap.function;
  }
  public get configParameter(): ssm.StringParameter {
    return this.controlPlane.configParameter;
  }
  /** The Bake function; absent when `bakeTime` is 0. */
  public get bakeFunction(): lambda.Function | undefined {
    return this.bake?.bake.function;
  }
  /** Slot a's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0. */
  public get slotABakeAlarms(): cloudwatch.Alarm[] {
    return this.bake?.slotAAlarms ?? [];
  }
  /** Slot b's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0. */
  public get slotBBakeAlarms(): cloudwatch.Alarm[] {
    return this.bake?.slotBAlarms ?? [];
  }
  public get infraOwnerFunction(): lambda.Function {
    return this.infraOwner.function;
  }
  public get stateParameterName(): string {
    return this.settings.names.stateParameterName;
  }
  public get stateParameterArn(): string {
    return this.settings.names.stateParameterArn;
  }
  /** Path of the release lease's generations (`/bluegreen/<pipelineName>/lease`). */
  public get leaseParameterPath(): string {
    return this.settings.names.leaseParameterPath;
  }
  public get artifactBucket(): s3.Bucket {
    return this.storage.artifactBucket;
  }
  public get logBucket(): s3.Bucket {
    return this.storage.logBucket;
  }
  public get artifactsKey(): kms.Key {
    return this.storage.artifactsKey;
  }
  public get imageKey(): kms.Key {
    return this.storage.imageKey;
  }
  public get notificationsKey(): kms.Key {
    return this.storage.notificationsKey;
  }
  public get logsKey(): kms.Key {
    return this.storage.logsKey;
  }
  /** Seals the state record and the release lease: only the control-plane roles may encrypt with it. */
  public get stateKey(): kms.Key {
    return this.storage.stateKey.key;
  }
  /**
   * Asynchronous invocations of the control-plane functions (CloudFormation, CodePipeline) that
   * failed every retry; alarm on its depth.
   */
  public get controlPlaneDeadLetterQueue(): sqs.Queue {
    return this.foundation.deadLetterQueue;
  }

  /**
   * Lets `grantee` approve or reject releases: codepipeline:PutApprovalResult on the Approve
   * action, and codepipeline:GetPipelineState and codepipeline:ListActionExecutions on the
   * pipeline (what `bluegreen approve` reads to show the pending release).
   */
  public grantApprove(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:PutApprovalResult'],
      resourceArns: [`${this.pipeline.pipelineArn}/${STAGE.release}/${ACTION.approve}`],
    }).combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions'],
        resourceArns: [this.pipeline.pipelineArn],
      }),
    );
  }

  /**
   * Lets `grantee` read what `bluegreen status` and `bluegreen history` show: the configuration
   * and state parameters, the two routes and target health, the slot services and their tasks,
   * the labels, and the pipeline's state and executions. Describe and tagging reads have no
   * resource-level permission in IAM, so they name `*` (task reads are held to the cluster).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const allow = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    return allow(['ssm:GetParameter'], [this.configParameter.parameterArn, this.stateParameterArn])
      .combine(allow(['ssm:GetParametersByPath'], [this.settings.names.leasePathArn]))
      .combine(this.storage.stateKey.grantUnseal(grantee))
      .combine(allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth', 'tag:GetResources'], ['*']))
      .combine(allow(['ecs:DescribeServices'], this.slots.serviceArns))
      .combine(allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } }))
      .combine(
        allow(
          ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
          [this.pipeline.pipelineArn],
        ),
      );
  }

  /**
   * Lets `grantee` roll back with `bluegreen rollback`: everything `grantRead` allows (the CLI
   * checks the previous slot before it asks), plus invoking the swap function, which does the
   * re-swap with the same locking and audit trail as the pipeline.
   */
  public grantRollback(grantee: iam.IGrantable): iam.Grant {
    return this.swapFunction.grantInvoke(grantee).combine(this.grantRead(grantee));
  }
}
