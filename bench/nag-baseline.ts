// cdk-nag baseline: the same delivery pipeline assembled from plain aws-cdk-lib (CodePipeline +
// CodeBuild + CodeDeploy ECS blue/green + ALB + SNS approval), run through the four packs, next to
// BlueGreenPipeline (minimal configuration and the sample app). Prints counts; never asserts.
//
//   npm run bundle && npx ts-node --transpile-only bench/nag-baseline.ts
import { App, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { NAG_ACKNOWLEDGEMENTS, NagAcknowledgement } from '../lib/private/nag-acknowledgements';
import { CONNECTION_ARN, ENV, minimalConfiguration, sampleConfiguration } from '../test/lib/nag/configurations';
import { NagFinding, PACKS, allNagFindings } from '../test/lib/nag/nag-runner';

/** What a team writes by hand with aws-cdk-lib defaults: the textbook ECS blue/green pipeline. */
export function plainPipeline(): Stack {
  const stack = new Stack(new App(), 'PlainBlueGreen', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const repository = new ecr.Repository(stack, 'Repository');
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'LoadBalancer', { vpc, internetFacing: true });
  const blue = new elbv2.ApplicationTargetGroup(stack, 'Blue', { vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP });
  const green = new elbv2.ApplicationTargetGroup(stack, 'Green', { vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP });
  const production = alb.addListener('Production', { port: 80, defaultTargetGroups: [blue] });
  const test = alb.addListener('Test', { port: 8080, protocol: elbv2.ApplicationProtocol.HTTP, defaultTargetGroups: [green] });

  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromEcrRepository(repository, 'latest'),
    portMappings: [{ containerPort: 8080 }],
    environment: { APP_NAME: 'shop' },
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  const service = new ecs.FargateService(stack, 'Service', {
    cluster,
    taskDefinition,
    deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
  });
  service.attachToApplicationTargetGroup(blue);

  const deploymentGroup = new codedeploy.EcsDeploymentGroup(stack, 'DeploymentGroup', {
    service,
    blueGreenDeploymentConfig: { blueTargetGroup: blue, greenTargetGroup: green, listener: production, testListener: test },
    deploymentConfig: codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
  });

  const project = new codebuild.PipelineProject(stack, 'Build', {
    environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: true },
    environmentVariables: { REPOSITORY_URI: { value: repository.repositoryUri } },
  });
  repository.grantPullPush(project);
  const approvals = new sns.Topic(stack, 'Approvals');
  approvals.addSubscription(new subscriptions.EmailSubscription('release@example.com'));

  const source = new codepipeline.Artifact('Source');
  const built = new codepipeline.Artifact('Built');
  new codepipeline.Pipeline(stack, 'Pipeline', {
    stages: [
      {
        stageName: 'Source',
        actions: [new actions.CodeStarConnectionsSourceAction({ actionName: 'Source', connectionArn: CONNECTION_ARN, owner: 'acme', repo: 'shop', output: source })],
      },
      { stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'Build', project, input: source, outputs: [built] })] },
      { stageName: 'Approve', actions: [new actions.ManualApprovalAction({ actionName: 'Approve', notificationTopic: approvals })] },
      {
        stageName: 'Deploy',
        actions: [
          new actions.CodeDeployEcsDeployAction({
            actionName: 'Deploy',
            deploymentGroup,
            taskDefinitionTemplateInput: built,
            appSpecTemplateInput: built,
          }),
        ],
      },
    ],
  });
  return stack;
}

const count = (findings: NagFinding[], severity: string) => findings.filter((f) => f.severity === severity).length;

function main(): void {
  const rows: Array<[string, Record<string, NagFinding[]>]> = [
    ['plain aws-cdk-lib', allNagFindings(plainPipeline())],
    ['BlueGreenPipeline (minimal)', allNagFindings(minimalConfiguration().stack)],
    ['BlueGreenPipeline (sample app)', allNagFindings(sampleConfiguration().stack)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`${'unacknowledged findings (errors/warnings)'.padEnd(width)}  ${PACKS.map((p) => p.name.padStart(16)).join('')}`);
  for (const [name, findings] of rows) {
    const cells = PACKS.map((p) => `${count(findings[p.name], 'error')}/${count(findings[p.name], 'warning')}`.padStart(16));
    console.log(`${name.padEnd(width)}  ${cells.join('')}`);
  }
  const table = Object.values(NAG_ACKNOWLEDGEMENTS as Record<string, NagAcknowledgement>);
  const acknowledged = PACKS.map((p) => {
    const rules = new Set(table.flatMap((e) => e.rules).filter((r) => r.startsWith(`${p.name}-`)).map((r) => r.replace(/\[.*$/, '')));
    return String(rules.size).padStart(16);
  });
  console.log(`${'BlueGreenPipeline acknowledged rule ids'.padEnd(width)}  ${acknowledged.join('')}`);
  console.log(`BlueGreenPipeline acknowledgement decisions in all: ${table.length}`);
  const [, plain] = rows[0];
  console.log('\nplain aws-cdk-lib, distinct rules per pack:');
  for (const p of PACKS) {
    const rules = [...new Set(plain[p.name].map((f) => f.ruleId.replace(/\[.*$/, '').replace(`${p.name}-`, '')))].sort();
    console.log(`  ${p.name} (${rules.length}): ${rules.join(', ')}`);
  }
}

if (require.main === module) main();
