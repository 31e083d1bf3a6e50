import { Annotations, CustomResource, Stack } from 'aws-cdk-lib';
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
import type { BlueGreenPipelineProps } from './blue-green-pipeline-props';
import type { BlueGreenSlot } from './blue-green-slot';
import { publishPipelineEvents } from './private/audit';
import { BakeWatching, ReleaseAlarms } from './private/bake';
import { BuildAndScan } from './private/build-and-scan';
import { acknowledgeFindings } from './private/compliance';
import { ControlPlane } from './private/control-plane';
import { ReleaseDashboard } from './private/dashboard';
import { controlPlaneFoundation } from './private/control-plane-function';
import { EvidenceBucket, EvidenceRecorder } from './private/evidence';
import { InfraOwner } from './private/infra-owner';
import { ACTION, STAGE } from './private/names';
import { Network } from './private/network';
import { PreApprovalTests } from './private/pre-approval-tests';
import { Registry } from './private/registry';
import { ReleasePipeline } from './private/release-pipeline';
import { Routes } from './private/routes';
import { containerSettings, resolveSettings } from './private/settings';
import { SlotScaling } from './private/slot-scaling';
import { Slots } from './private/slots';
import { StateKey } from './private/state-key';
import { Storage } from './private/storage';
import { Topics } from './private/topics';
import { Chat } from './private/chat';
import { TrafficEntry } from './private/traffic-entry';
import { propWarnings } from './private/prop-warnings';
import { assertValid, validateProps } from './private/validation';

// The construct is a sequence of parts (`lib/private/`), each creating its resources in this
// scope (so the logical IDs do not depend on how the parts are cut) and granting what its own
// integrations need.
/**
 * A complete blue/green container delivery pipeline on ECS Fargate: source, Docker build with a
 * Trivy gate before the registry, deploy to the idle slot, approval by email, route swap, and a
 * bake window that swaps back on alarm.
 */
export class BlueGreenPipeline extends Construct {
  /** Name of the pipeline (the `pipelineName` prop, or the default derived from the stack and the construct ID). */
  public readonly pipelineName: string;
  /** The VPC of the slots, the load balancer and the control-plane functions (given or created). */
  public readonly vpc: ec2.IVpc;
  /** The ECS cluster of the two slot services (given or created). */
  public readonly cluster: ecs.ICluster;
  /** The application load balancer that carries the production and test listeners (given or created). */
  public readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Production listener (blue). Its default action is a fixed 503; the route is a rule owned by the control plane. */
  public readonly productionListener: elbv2.ApplicationListener;
  /** Test listener (green), reachable from `testListenerAllowedCidrs` only; absent with `TestRoute.header(…)`. */
  public readonly testListener?: elbv2.ApplicationListener;
  /** Port 80 listener that redirects to HTTPS; only with a certificate. */
  public readonly redirectListener?: elbv2.ApplicationListener;
  /** Security group of the slot tasks: it admits the load balancer on the container and health-check ports. */
  public readonly serviceSecurityGroup: ec2.SecurityGroup;
  /**
   * The ECR repository the build pushes to: the `repository` you gave, or a created one,
   * KMS-encrypted, whose release tags are immutable and whose slot tags (`slot-a`, `slot-b`) move.
   */
  public readonly repository: ecr.IRepository;
  /** Slot `a`: its task definition, container, target group and service. */
  public readonly slotA: BlueGreenSlot;
  /** Slot `b`: its task definition, container, target group and service. */
  public readonly slotB: BlueGreenSlot;
  /** Role of the application tasks, shared by both slots: grant your application's permissions to it. */
  public readonly taskRole: iam.IRole;
  /** Execution role of the slot tasks (image pull, logs, secrets). */
  public readonly executionRole: iam.Role;
  /** The Custom::BlueGreenRoutes resource that creates the production and test rules. */
  public readonly routes: CustomResource;
  /** ARN of the production listener rule (the route to the live slot). */
  public readonly productionRuleArn: string;
  /** ARN of the test rule (the route to the green slot): on the test listener, or the header rule on the production listener. */
  public readonly testRuleArn: string;
  /**
   * URL of the test route, as approval requests show it: `http(s)://<domainName or load balancer DNS
   * name>:<testPort>`, or with `TestRoute.header(…)` the production URL (reached with the header).
   */
  public readonly testUrl: string;
  /** The CodePipeline pipeline: Source, BuildAndScan, Release. */
  public readonly pipeline: codepipeline.Pipeline;
  /** The CodeBuild project of the BuildAndScan stage (docker build, Trivy scan and gate, push by digest). */
  public readonly buildProject: codebuild.PipelineProject;
  /** The CodeBuild report group that receives the Trivy scan report of every build. */
  public readonly scanReportGroup: codebuild.ReportGroup;
  /** The CodeBuild project of the pre-approval tests (in the VPC); absent without `preApprovalTests`. */
  public readonly testsProject?: codebuild.PipelineProject;
  /** The CodeBuild report group that receives the pre-approval tests' JUnit reports; absent without `preApprovalTests`. */
  public readonly testsReportGroup?: codebuild.ReportGroup;
  /** The SNS topic approval requests are sent to (`approvalEmails` are subscribed to it). */
  public readonly approvalTopic: sns.Topic;
  /** The audit topic: swaps, rollbacks and pipeline execution state changes are published here. */
  public readonly notificationTopic: sns.ITopic;
  /** The DeployGreen function: points the idle slot at the new digest and waits until it is steady and healthy. */
  public readonly deployGreenFunction: lambda.Function;
  /** The Swap function: moves the production route to the green slot, and rolls back when invoked directly. */
  public readonly swapFunction: lambda.Function;
  /** The Bake function; absent when `bakeTime` is 0. */
  public readonly bakeFunction?: lambda.Function;
  /** Slot a's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0 and production moves all at once. */
  public readonly slotABakeAlarms: cloudwatch.Alarm[];
  /** Slot b's bake alarms (5xx, unhealthy hosts, p99 latency); empty when `bakeTime` is 0 and production moves all at once. */
  public readonly slotBBakeAlarms: cloudwatch.Alarm[];
  /** The function that answers CloudFormation for the slot services and the routes (`Custom::BlueGreenSlotService`, `Custom::BlueGreenRoutes`). */
  public readonly infraOwnerFunction: lambda.Function;
  /** The SSM parameter `/bluegreen/<pipelineName>/config`: the release configuration the CLI reads. */
  public readonly configParameter: ssm.StringParameter;
  /** Name of the SSM parameter that holds the state record (`/bluegreen/<pipelineName>/state`). */
  public readonly stateParameterName: string;
  /** ARN of the SSM parameter that holds the state record. */
  public readonly stateParameterArn: string;
  /**
   * Name of the SSM parameter whose every write asks for a rollback in the writer's name
   * (`/bluegreen/<pipelineName>/rollback-request`; its value is the reason). CloudFormation never
   * creates or writes it; `grantRollback` lets a role write it.
   */
  public readonly rollbackRequestParameterName: string;
  /** ARN of the rollback request parameter. */
  public readonly rollbackRequestParameterArn: string;
  /** The pipeline's artifact bucket (KMS-encrypted, versioned, TLS only). */
  public readonly artifactBucket: s3.Bucket;
  /** The bucket that receives the S3 server access logs, and the access logs of a created load balancer and the flow logs of a created VPC. */
  public readonly logBucket: s3.Bucket;
  /** The KMS key of the pipeline artifacts. */
  public readonly artifactsKey: kms.Key;
  /** The KMS key of a created image repository; absent when you give `repository`. */
  public readonly imageKey?: kms.Key;
  /** The KMS key of the approval and audit topics and the dead-letter queue. */
  public readonly notificationsKey: kms.Key;
  /** The KMS key of the log groups. */
  public readonly logsKey: kms.Key;
  /** Seals the state record and the release lease: only the control-plane roles may encrypt with it. */
  public readonly stateKey: kms.Key;
  /** Path of the release lease's generations (`/bluegreen/<pipelineName>/lease`). */
  public readonly leaseParameterPath: string;
  /** The log group of the application containers of both slots. */
  public readonly serviceLogGroup: logs.LogGroup;
  /** The log group of the BuildAndScan project. */
  public readonly buildLogGroup: logs.LogGroup;
  /**
   * Asynchronous invocations of the control-plane functions (CloudFormation, CodePipeline) that
   * failed every retry; alarm on its depth.
   */
  public readonly controlPlaneDeadLetterQueue: sqs.Queue;
  /** The evidence record of every release: one document per execution (see `grantReadEvidence`). */
  public readonly evidenceBucket: s3.Bucket;
  /** Records approvals and execution outcomes from CodePipeline's events into the evidence. */
  public readonly evidenceRecorderFunction: lambda.Function;
  /**
   * The pipeline's CloudWatch dashboard: production weight per slot, release operations and
   * markers, each slot's requests, 5xx, latency, hosts and tasks, the release alarms; absent with
   * `dashboard: false`.
   */
  public readonly dashboard?: cloudwatch.Dashboard;
  private readonly evidence: EvidenceBucket;
  private readonly stateSeal: StateKey;
  private readonly leasePathArn: string;
  private readonly serviceArns: string[];

  /**
   * @param scope the construct (usually a Stack) that holds the pipeline
   * @param id the construct ID; it is part of every logical ID, so keep it stable
   * @param props the pipeline's configuration; every invalid prop is reported in one error
   */
  constructor(scope: Construct, id: string, props: BlueGreenPipelineProps) {
    super(scope, id);
    assertValid(id, validateProps(props, { region: Stack.of(this).region, account: Stack.of(this).account }));
    for (const [warning, text] of propWarnings(props)) Annotations.of(this).addWarningV2(warning, text);
    // Server access logs by bucket policy, so every bucket keeps ACLs disabled (set before any child exists).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const settings = resolveSettings(Stack.of(this), id, props);
    const { pipelineName, internetFacing, names } = settings;
    ({ pipelineName: this.pipelineName, stateParameterName: this.stateParameterName, stateParameterArn: this.stateParameterArn, leaseParameterPath: this.leaseParameterPath, leasePathArn: this.leasePathArn,
      rollbackRequestParameterName: this.rollbackRequestParameterName, rollbackRequestParameterArn: this.rollbackRequestParameterArn } = { ...names, pipelineName });

    // Encryption and storage; the network and the traffic entry; the registry.
    const storage = new Storage(this, { ...settings, pipelineName, objectLock: props.objectLock, replicationBucket: props.replicationBucket, evidenceRetention: props.evidenceRetention });
    ({ artifacts: this.artifactsKey, notifications: this.notificationsKey, logs: this.logsKey } = storage.keys);
    ({ logBucket: this.logBucket, artifactBucket: this.artifactBucket } = storage);
    [this.evidence, this.evidenceBucket] = [storage.evidence, storage.evidence.bucket];
    [this.stateSeal, this.stateKey] = [storage.stateKey, storage.stateKey.key];
    const network = new Network(this, { ...props, internetFacing, logBucket: storage.logBucket });
    ({ vpc: this.vpc, cluster: this.cluster, loadBalancer: this.loadBalancer } = network);
    const entry = new TrafficEntry(this, { ...props, ...settings, ...network });
    ({ productionListener: this.productionListener, testListener: this.testListener, redirectListener: this.redirectListener, serviceSecurityGroup: this.serviceSecurityGroup, testUrl: this.testUrl } = entry);
    const registry = new Registry(this, { ...props, ...settings });
    [this.repository, this.imageKey] = [registry.repository, registry.key];

    // The control plane's network, and the function that answers CloudFormation for the slots and the routes.
    const shared = controlPlaneFoundation(this, { ...settings, vpc: network.vpc, queueKey: storage.keys.notifications, logsKey: storage.keys.logs });
    this.controlPlaneDeadLetterQueue = shared.deadLetterQueue;
    const infraOwner = new InfraOwner(this, shared, pipelineName, network.createdVpc);
    this.infraOwnerFunction = infraOwner.function;

    // The two slots, and the routes that forward to them.
    const container = containerSettings(props, settings);
    const slots = new Slots(this, { ...props, ...network, ...shared, pipelineName, repository: this.repository, container, securityGroup: entry.serviceSecurityGroup, infraOwner });
    ({ a: this.slotA, b: this.slotB, taskRole: this.taskRole, executionRole: this.executionRole, logGroup: this.serviceLogGroup, serviceArns: this.serviceArns } = slots);
    const routes = new Routes(this, { ...entry, slots, infraOwner });
    ({ resource: this.routes, productionRuleArn: this.productionRuleArn, testRuleArn: this.testRuleArn } = routes);

    // What a release watches (Bake after a swap, a shift during its steps); the control plane; Bake.
    const topics = new Topics(this, { ...props, pipelineName, key: storage.keys.notifications });
    ({ approvalTopic: this.approvalTopic, notificationTopic: this.notificationTopic } = topics);
    const alarms = settings.watchingAlarms ? new ReleaseAlarms(this, { ...props, ...network, pipelineName, slots, topics }) : undefined;
    [this.slotABakeAlarms, this.slotBBakeAlarms] = [alarms?.slotAAlarms ?? [], alarms?.slotBAlarms ?? []];
    const shift = settings.shift && alarms ? { steps: settings.shift, alarms: alarms.names } : undefined;
    const release = { settings, shared, slots, routes, shift, repository: this.repository, stateKey: storage.stateKey, notificationTopic: topics.notificationTopic, evidence: storage.evidence };
    const controlPlane = new ControlPlane(this, { ...network, ...entry, ...release, testHeader: entry.testRoute.headerLine });
    ({ deployGreenFunction: this.deployGreenFunction, swapFunction: this.swapFunction, configParameter: this.configParameter } = controlPlane);
    const bake = settings.baking && alarms ? new BakeWatching(this, { ...settings, alarms, shared, controlPlane }) : undefined;
    this.bakeFunction = bake?.bake.function;
    // Auto scaling: the slots' scalable targets and policies; the floors are the control plane's.
    if (props.autoScaling) {
      const scaling = new SlotScaling(this, { autoScaling: props.autoScaling, cluster: network.cluster, loadBalancer: network.loadBalancer, slots, infraOwner });
      for (const fn of [controlPlane.deployGreen, controlPlane.swap, ...(bake ? [bake.bake] : [])]) scaling.grantFloors(fn);
    }

    // The pipeline: Source, BuildAndScan (the gate before the registry), Release (with the tests before the approval).
    const gate = { gate: props, repository: this.repository, key: storage.keys.artifacts, logsKey: storage.keys.logs, stateKey: storage.stateKey, evidence: storage.evidence, source: props.source.describe() };
    const build = new BuildAndScan(this, { ...settings, ...names, ...gate });
    ({ project: this.buildProject, reportGroup: this.scanReportGroup, logGroup: this.buildLogGroup } = build);
    const testRoutePort = settings.headerRoute ? settings.productionPort : settings.testPort;
    const tests = props.preApprovalTests && new PreApprovalTests(this, { ...settings, ...network, tests: props.preApprovalTests, testRoutePort, key: storage.keys.artifacts, logsKey: storage.keys.logs });
    [this.testsProject, this.testsReportGroup] = [tests?.project, tests?.reportGroup];
    const stages = { ...props, ...names, pipelineName, artifactBucket: storage.artifactBucket, build, controlPlane, topics, bake, tests, headerRoute: settings.headerRoute };
    this.pipeline = new ReleasePipeline(this, stages).pipeline;

    // Audit: execution state changes go to the audit topic; approvals and outcomes into the evidence record.
    publishPipelineEvents('PipelineEvents', this.pipeline, topics.notificationTopic);
    if (props.chat) new Chat(this, { channel: props.chat, pipelineName, topics: [topics.approvalTopic, topics.notificationTopic], grantOperator: (grantee) => this.grantChatOperator(grantee) });
    const recorder = new EvidenceRecorder(this, { pipelineName, pipelineArn: names.pipelineArn, config: controlPlane.config, evidence: storage.evidence, shared });
    this.evidenceRecorderFunction = recorder.recorder.function;
    // On-call's picture of the release: which slot is live, how each slot is doing, what moved when.
    const view = { pipelineName, loadBalancer: network.loadBalancer, cluster: network.cluster, slots, alarms: alarms?.all ?? [], swapLogGroup: controlPlane.swap.logGroup };
    this.dashboard = props.dashboard === false ? undefined : new ReleaseDashboard(this, view).dashboard;
    const parts = [storage, controlPlane];
    acknowledgeFindings({ ...settings, ...network, ...entry, ...storage, root: this, webAcl: props.webAclArn !== undefined, projects: [build.project, ...(tests ? [tests.project] : [])],
      evidenceBucket: storage.evidence.bucket, replicated: props.replicationBucket !== undefined, publicTestListener: props.allowPublicTestListener === true,
      listeners: [entry.productionListener, ...(entry.testListener ? [entry.testListener] : [])],
      taskDefinitions: [slots.a.taskDefinition, slots.b.taskDefinition],
      ownedWildcardArns: () => parts.flatMap((part) => part.ownedWildcardArns),
    });
  }

  /**
   * Lets `grantee` approve or reject releases: codepipeline:PutApprovalResult on the Approve
   * action, and codepipeline:GetPipelineState and codepipeline:ListActionExecutions on the
   * pipeline (what `bluegreen approve` reads to show the pending release).
   * @param grantee the release manager's role or user
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
   * @param grantee the role or user that runs `bluegreen status` and `bluegreen history`
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const allow = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipal({ grantee, actions, resourceArns, conditions });
    return allow(['ssm:GetParameter'], [this.configParameter.parameterArn, this.stateParameterArn])
      .combine(allow(['ssm:GetParametersByPath'], [this.leasePathArn]))
      .combine(this.stateSeal.grantUnseal(grantee))
      .combine(allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetHealth', 'tag:GetResources'], ['*']))
      .combine(allow(['ecs:DescribeServices'], this.serviceArns))
      .combine(allow(['ecs:ListTasks', 'ecs:DescribeTasks'], ['*'], { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } }))
      .combine(
        allow(
          ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
          [this.pipeline.pipelineArn],
        ),
      );
  }

  /**
   * Lets `grantee` read the release evidence, as `bluegreen evidence` does: every release's record,
   * the index by time and the build's uploads (s3:GetObject and s3:ListBucket on the evidence
   * bucket, kms:Decrypt on its key). Give it to auditors; add `grantRead` for `bluegreen status`.
   * @param grantee the role or user that runs `bluegreen evidence` or reads the records directly
   */
  public grantReadEvidence(grantee: iam.IGrantable): iam.Grant {
    return this.evidence.grantRead(grantee);
  }

  /**
   * Lets `grantee` roll back with `bluegreen rollback`: everything `grantRead` allows (the CLI
   * checks the previous slot before it asks), plus invoking the swap function, which does the
   * re-swap with the same locking and audit trail as the pipeline, and writing the rollback
   * request parameter (`rollbackRequestParameterName`), a rollback in the name Parameter Store
   * records for the writer.
   * @param grantee the on-call role or user
   */
  public grantRollback(grantee: iam.IGrantable): iam.Grant {
    return this.swapFunction.grantInvoke(grantee).combine(this.grantRead(grantee)).combine(this.grantRollbackRequest(grantee));
  }

  /** Writing the rollback request parameter: a rollback in the writer's own name. */
  private grantRollbackRequest(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['ssm:PutParameter'], resourceArns: [this.rollbackRequestParameterArn] });
  }

  /**
   * What a command from the chat channel may do at most: grantApprove and grantRead, invoking
   * the swap function by name (what `lambda invoke --function-name` calls; its versions and aliases
   * are not granted, unlike `grantRollback`'s grantInvoke), and writing the rollback request
   * parameter (a rollback in the person's own name).
   */
  private grantChatOperator(grantee: iam.IGrantable): iam.Grant {
    return this.grantApprove(grantee)
      .combine(this.grantRead(grantee))
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.swapFunction.functionArn] }))
      .combine(this.grantRollbackRequest(grantee));
  }
}
