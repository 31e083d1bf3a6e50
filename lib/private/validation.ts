import { Duration, Token } from 'aws-cdk-lib';
import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import {
  DEFAULTS,
  FARGATE_CPU_VALUES,
  HTTP_REDIRECT_PORT,
  MAX_PIPELINE_NAME_LENGTH,
  PIPELINE_NAME_PATTERN,
  defaultPorts,
  fargateMemoryOptions,
} from './defaults';
import { watchAlarmName } from './bake-alarms';
import { cidrProblem } from './cidr';
import { SLOT_ENV } from './names';
import { checkAutoScaling, checkRepository, checkRetention } from './capacity-validation';

// Deliberately simple: one @, no spaces, a dot in the domain. SNS confirms the address anyway.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** ECR API Reference, CreateRepository: repositoryName, 2-256 characters, this pattern. */
const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** A DNS host name (RFC 1123): labels of 1-63 letters, digits and inner hyphens, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:([a-z0-9-]*):\d{12}:(regional|global)\/webacl\/[^/]+\/[^/]+$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/.+$/;

const MAX_ACTION_WINDOW = Duration.hours(23);

const known = (value: unknown): boolean => value !== undefined && !Token.isUnresolved(value);

/**
 * Every problem with the props, as one sentence each naming the value received and what was
 * expected. Values that are unresolved tokens are not checked.
 */
export function validateProps(props: BlueGreenPipelineProps, context: ValidationContext): string[] {
  const problems: string[] = [];
  for (const check of CHECKS) check(props, (problem) => problems.push(problem), context);
  return problems;
}

/** What the checks need to know of the stack the construct is in. */
export interface ValidationContext {
  /** The stack's region; a token for an environment-agnostic stack (region checks are skipped). */
  readonly region: string;
  /** The stack's account; a token for an environment-agnostic stack (account checks are skipped). */
  readonly account: string;
}

/** The checks, one per area of the props; each reports every problem it finds. */
const CHECKS: ReadonlyArray<(props: BlueGreenPipelineProps, add: (problem: string) => void, context: ValidationContext) => void> = [
  checkKnownAtSynth,
  checkNames,
  checkApproval,
  checkBake,
  checkPorts,
  checkReleaseStrategies,
  checkHealthCheck,
  checkTask,
  checkContainer,
  checkNetwork,
  checkStorage,
  checkBuild,
  checkSource,
  checkRepository,
  checkAutoScaling,
  checkRetention,
];

/**
 * The props that decide the template's shape, or reach the control plane without anything at
 * deploy checking them, must be known at synth: a token there is refused, not carried along.
 * (`pipelineName`, `bakeTime` and `approvalEmails` say so in their own checks.)
 */
function checkKnownAtSynth(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const why: Array<[string, unknown, string]> = [
    ['desiredCount', props.desiredCount, 'the control plane reads it from its configuration, which nothing checks at deploy'],
    ['deployTimeout', props.deployTimeout?.isUnresolved() ? Token.asString(props.deployTimeout.toSeconds()) : undefined, 'it sets the deadline DeployGreen keeps'],
    ['domainName', props.domainName, 'approvers follow the test URL built from it, and nothing at deploy checks it'],
    ['approvalTimeout', props.approvalTimeout?.isUnresolved() ? Token.asString(props.approvalTimeout.toMinutes()) : undefined, 'the Approve action takes a number of minutes in the template'],
  ];
  for (const [name, value, reason] of why) {
    if (value !== undefined && Token.isUnresolved(value)) add(`${name} must be known at synth (got a token): ${reason}.`);
  }
}

/** `pipelineName` and `repositoryName`. */
function checkNames(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  if (props.pipelineName !== undefined && Token.isUnresolved(props.pipelineName)) {
    add('pipelineName must be a literal string (got a token): it names the slot services, the SSM parameters and the IAM scopes at synth, so it cannot wait for deploy time.');
  } else if (props.pipelineName !== undefined) {
    const name = props.pipelineName;
    if (!PIPELINE_NAME_PATTERN.test(name) || name.length > MAX_PIPELINE_NAME_LENGTH) {
      add(
        `pipelineName must be 1-${MAX_PIPELINE_NAME_LENGTH} letters, digits, "-" or "_", starting with a letter or digit (got "${name}"); it also names the slot services.`,
      );
    }
  }
  if (known(props.repositoryName)) {
    const name = props.repositoryName as string;
    if (name.length < 2 || name.length > 256 || !ECR_REPOSITORY_NAME.test(name)) {
      add(
        `repositoryName must be 2-256 characters of lowercase letters, digits and ".", "_", "-" between them, with "/" between namespaces (got "${name}"; e.g. "payments/api").`,
      );
    }
  }
}

/** `approvalEmails`, `approvalTimeout` and `deployTimeout`. */
function checkApproval(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  if (Token.isUnresolved(props.approvalEmails)) {
    add('approvalEmails must be a list of addresses known at synth (got a token list, e.g. from a CommaDelimitedList parameter): each address becomes its own SNS subscription; a single address may still be a token.');
  } else {
    if (!props.approvalEmails || props.approvalEmails.length === 0) {
      add('approvalEmails must name at least one approver: the approval request is sent by email (got none).');
    }
    const first = new Map<string, string>();
    for (const email of props.approvalEmails ?? []) {
      if (Token.isUnresolved(email)) continue;
      if (!EMAIL.test(email)) add(`approvalEmails contains a malformed email address "${email}" (expected name@domain.tld).`);
      const seen = first.get(email.toLowerCase());
      if (seen !== undefined) add(`approvalEmails lists ${seen === email ? `"${email}" twice` : `"${seen}" and "${email}", the same address in other letter cases`}; give each approver once.`);
      else first.set(email.toLowerCase(), email);
    }
  }
  checkDuration(props.approvalTimeout, 'approvalTimeout', Duration.minutes(5), Duration.days(60), add);
  // CodePipeline fails a Lambda action after 24 hours; DeployGreen and Bake end an hour before it.
  checkDuration(props.deployTimeout, 'deployTimeout', Duration.minutes(1), MAX_ACTION_WINDOW, add);
}

/** `bakeTime`, the bake alarms and the bake thresholds. */
function checkBake(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  if (props.bakeTime?.isUnresolved()) {
    add('bakeTime must be known at synth (got a token): it decides whether the Release stage has a Bake action.');
  } else if (props.bakeTime !== undefined && props.bakeTime.toMilliseconds() !== 0) {
    if (props.bakeTime.toMilliseconds() % 1000 !== 0) add(`bakeTime must be a whole number of seconds (got ${props.bakeTime.toMilliseconds()} ms).`);
    else checkDuration(props.bakeTime, 'bakeTime (or 0 to turn the Bake action off)', Duration.minutes(1), MAX_ACTION_WINDOW, add);
  }
  if (props.bakeLatencyThreshold !== undefined && !props.bakeLatencyThreshold.isUnresolved()) {
    const ms = props.bakeLatencyThreshold.toMilliseconds();
    if (ms < 1 || ms > 3_600_000) add(`bakeLatencyThreshold must be from 1 millisecond to 1 hour (got ${props.bakeLatencyThreshold.toHumanString()}).`);
  }
  checkBakeAlarms(props, add);
  if (known(props.bake5xxThreshold)) {
    const count = props.bake5xxThreshold as number;
    if (!Number.isInteger(count) || count < 1) add(`bake5xxThreshold must be a whole number of 5xx responses per minute, at least 1 (got ${count}).`);
  }
}

/** The listener, container and health check ports. */
function checkPorts(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const https = props.certificate !== undefined;
  const ports = defaultPorts(https);
  const productionPort = props.productionPort ?? ports.production;
  // A header route has no test listener; TestRoute.port(p) checks p itself.
  const listener = props.testRoute?.kind !== 'header';
  const routePort = props.testRoute?.listenerPort;
  const testPort = routePort ?? props.testPort ?? ports.test;
  checkPort(props.productionPort, 'productionPort', add);
  checkPort(props.testPort, 'testPort', add);
  checkPort(props.containerPort, 'containerPort', add);
  checkPort(props.healthCheckPort, 'healthCheckPort', add);
  if (listener && routePort === undefined && known(productionPort) && known(testPort) && productionPort === testPort) {
    add(`productionPort and testPort must differ: the test listener reaches only the green slot (both are ${productionPort}).`);
  }
  if (https) {
    if (known(productionPort) && productionPort === HTTP_REDIRECT_PORT) {
      add(`productionPort must not be ${HTTP_REDIRECT_PORT} when a certificate is given: port ${HTTP_REDIRECT_PORT} redirects HTTP to HTTPS.`);
    }
    if (listener && known(testPort) && testPort === HTTP_REDIRECT_PORT) {
      add(`${routePort === undefined ? 'testPort' : 'testRoute port'} must not be ${HTTP_REDIRECT_PORT} when a certificate is given: port ${HTTP_REDIRECT_PORT} redirects HTTP to HTTPS.`);
    }
  }
}

/**
 * `trafficShift`, `testRoute` and `preApprovalTests` (each checks itself), and `testRoute` with
 * `testPort`: one test route, its port given once.
 */
function checkReleaseStrategies(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  for (const problem of props.trafficShift?.validate() ?? []) add(problem);
  for (const problem of props.chat?.validate() ?? []) add(problem);
  const route = props.testRoute;
  if (route) {
    const productionPort = props.productionPort ?? defaultPorts(props.certificate !== undefined).production;
    for (const problem of route.validate({ productionPort, allowedCidrs: props.testListenerAllowedCidrs })) add(problem);
    if (route.kind === 'header' && props.testPort !== undefined) {
      add(`testPort ${props.testPort} is the port of a test listener, and testRoute TestRoute.header(…) has none; remove testPort, or use TestRoute.port(${props.testPort}).`);
    } else if (known(route.listenerPort) && known(props.testPort) && route.listenerPort !== props.testPort) {
      add(`testRoute TestRoute.port(${route.listenerPort}) and testPort ${props.testPort} name different test ports; give the port once: TestRoute.port(${route.listenerPort}) alone, or testPort alone.`);
    }
  }
  for (const problem of props.preApprovalTests?.validate() ?? []) add(problem);
}

/** `healthCheckPath` and `healthCheckGracePeriod`. */
function checkHealthCheck(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  if (known(props.healthCheckPath)) {
    const path = props.healthCheckPath as string;
    if (!path.startsWith('/') || path.length > 1024) {
      add(`healthCheckPath must start with "/" and be at most 1024 characters (got "${path}").`);
    }
  }
  checkDuration(props.healthCheckGracePeriod, 'healthCheckGracePeriod', Duration.seconds(0), Duration.days(1), add);
}

/** `cpu`, `memoryLimitMiB` and `desiredCount`. */
function checkTask(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const cpu = props.cpu ?? DEFAULTS.cpu;
  const memory = props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB;
  if (known(cpu) && known(memory)) {
    if (!FARGATE_CPU_VALUES.includes(cpu)) {
      add(`cpu must be one of the Fargate task sizes ${FARGATE_CPU_VALUES.join(', ')} (got ${cpu}).`);
    } else if (!fargateMemoryOptions(cpu).includes(memory)) {
      const options = fargateMemoryOptions(cpu);
      add(
        `memoryLimitMiB ${memory} is not a Fargate size for cpu ${cpu}: expected ${options.length <= 4 ? options.join(', ') : `${options[0]} to ${options[options.length - 1]} in steps of ${options[1] - options[0]}`}.`,
      );
    }
  }
  if (known(props.desiredCount)) {
    const count = props.desiredCount as number;
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      add(`desiredCount must be a whole number from 1 to 1000: the tasks a released slot runs (got ${count}).`);
    }
  }
}

/** `environment`, `secrets` and `containerUser`. */
function checkContainer(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const environment = props.environment ?? {};
  for (const name of Object.keys(environment)) {
    if (name === SLOT_ENV) add(`environment must not set ${SLOT_ENV}: the construct sets it to the slot's name.`);
    else if (!ENV_NAME.test(name)) add(`environment variable name "${name}" is not valid (expected letters, digits and "_", not starting with a digit).`);
  }
  for (const name of Object.keys(props.secrets ?? {})) {
    if (name === SLOT_ENV) add(`secrets must not set ${SLOT_ENV}: the construct sets it to the slot's name.`);
    if (name in environment) add(`"${name}" is set both in environment and in secrets; set it in one place.`);
  }
  if (known(props.containerUser)) {
    const user = (props.containerUser as string).trim();
    const [uid] = user.split(':');
    if (user.length === 0 || uid === 'root' || uid === '0') {
      add(`containerUser must be a non-root user such as "1000" or "node" (got "${props.containerUser}").`);
    }
  }
}

/** `testListenerAllowedCidrs`, `domainName`, `webAclArn`, `certificate` and the network you give. */
function checkNetwork(props: BlueGreenPipelineProps, add: (problem: string) => void, context: ValidationContext): void {
  if (props.testListenerAllowedCidrs !== undefined && !Token.isUnresolved(props.testListenerAllowedCidrs)) {
    if (props.testListenerAllowedCidrs.length === 0) {
      add('testListenerAllowedCidrs must hold at least one CIDR block; leave it unset to allow only the VPC.');
    }
    for (const cidr of props.testListenerAllowedCidrs) {
      if (Token.isUnresolved(cidr)) continue;
      const problem = cidrProblem(cidr);
      if (problem) add(`testListenerAllowedCidrs contains "${cidr}", ${problem}.`);
    }
  }
  const open = (props.testListenerAllowedCidrs ?? []).filter((cidr) => PUBLIC_CIDRS.includes(cidr));
  if (open.length > 0 && props.allowPublicTestListener !== true) {
    add(
      `testListenerAllowedCidrs contains ${open.map((c) => `"${c}"`).join(' and ')}, which opens the unapproved green slot to the whole internet; ` +
        'name the networks that test releases, or set allowPublicTestListener: true to accept it.',
    );
  }
  if (props.loadBalancer && !props.vpc && !props.cluster && !props.loadBalancer.vpc) {
    add('vpc must be given with an imported loadBalancer whose VPC is unknown (the slots must share its VPC).');
  }
  const vpc = props.vpc ?? props.cluster?.vpc ?? props.loadBalancer?.vpc;
  if (vpc && vpc.privateSubnets.length === 0) {
    add(`vpc ${Token.isUnresolved(vpc.vpcId) ? vpc.node.path : vpc.vpcId} has no private subnets with egress (PRIVATE_WITH_EGRESS): the slot tasks and the control-plane functions run there and reach AWS through a NAT gateway.`);
  }
  if (known(props.domainName) && !HOST_NAME.test(props.domainName as string)) {
    add(`domainName must be a host name such as "shop.example.com", without scheme, port or path (got "${props.domainName}"); it builds the test URL.`);
  }
  checkWebAcl(props.webAclArn, context.region, add);
  const certificateArn = props.certificate?.certificateArn;
  if (known(certificateArn) && known(context.region)) {
    const region = CERTIFICATE_ARN.exec(certificateArn as string)?.[1];
    if (region !== undefined && region !== context.region) {
      add(`certificate ${certificateArn} is in ${region}, but the stack and its load balancer are in ${context.region}: a load balancer uses certificates from its own region; request or import one there.`);
    }
  }
}

/** CIDR blocks that stand for every address. */
export const PUBLIC_CIDRS: readonly string[] = ['0.0.0.0/0', '::/0'];

/**
 * `objectLock`: S3 takes a default retention in whole days, from 1 day (S3 User Guide, "Using S3
 * Object Lock"); at most 100 years, the longest default retention S3 accepts (36,500 days).
 */
function checkStorage(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  const lock = props.objectLock;
  if (lock === undefined || lock.isUnresolved()) return;
  const days = lock.toHours() / 24;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    add(`objectLock must be a whole number of days from 1 to 36500 (got ${lock.toHumanString()}): it is the log bucket's default retention.`);
  }
}

/** The paths the build reads (`dockerfile`, `dockerBuildContext`, `gateAllowListFile`). */
function checkBuild(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  for (const [name, value] of [
    ['dockerfile', props.dockerfile],
    ['dockerBuildContext', props.dockerBuildContext],
    ['gateAllowListFile', props.gateAllowListFile],
  ] as const) {
    if (!known(value)) continue;
    const path = (value as string).trim();
    if (path.length === 0 || path.startsWith('/') || path.split('/').includes('..')) {
      add(`${name} must be a path inside the source, relative to its root (got "${value}").`);
    }
  }
}

/** The source (it checks itself). */
function checkSource(props: BlueGreenPipelineProps, add: (problem: string) => void): void {
  for (const problem of props.source.validate()) add(problem);
}

/**
 * `webAclArn`: a REGIONAL WAFv2 web ACL in the stack's region ("a web ACL for an Application Load
 * Balancer must be regional, in the same Region", WAF Developer Guide, "Associating or
 * disassociating a web ACL"); a CloudFront (global) one cannot be associated with a load balancer.
 */
function checkWebAcl(arn: string | undefined, stackRegion: string, add: (problem: string) => void): void {
  if (!known(arn)) return;
  const match = WEB_ACL_ARN.exec(arn as string);
  if (!match) {
    add(`webAclArn must be a WAFv2 web ACL ARN, arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id> (got "${arn}").`);
  } else if (match[2] !== 'regional') {
    add(`webAclArn names a CloudFront-scope (global) web ACL (got "${arn}"): a load balancer takes a REGIONAL web ACL in its own region.`);
  } else if (known(stackRegion) && match[1] !== stackRegion) {
    add(`webAclArn is in ${match[1]}, but the load balancer is in ${stackRegion} (got "${arn}"): a web ACL protects resources of its own region.`);
  }
}

const ALARM_ARN = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.{1,255})$/;

/**
 * `bakeAlarms`: each alarm once (a second copy would only hide a typo in the list), each a CloudWatch
 * alarm ARN, and none named like the composite alarms Bake watches (CloudWatch names are unique).
 */
function checkBakeAlarms(props: BlueGreenPipelineProps, add: (p: string) => void): void {
  const first = new Map<string, number>();
  const reserved = known(props.pipelineName) ? (['slot-a', 'slot-b', 'shared'] as const).map((w) => watchAlarmName(props.pipelineName as string, w)) : [];
  (props.bakeAlarms ?? []).forEach((alarm, i) => {
    const arn = alarm.alarmArn;
    const shown = Token.isUnresolved(arn) ? alarm.node.path : arn;
    const seen = first.get(arn);
    if (seen !== undefined) add(`bakeAlarms lists the same alarm twice, at bakeAlarms[${seen}] and bakeAlarms[${i}] (${shown}); give each alarm once.`);
    else first.set(arn, i);
    if (Token.isUnresolved(arn)) return;
    const name = ALARM_ARN.exec(arn)?.[1];
    if (name === undefined) add(`bakeAlarms[${i}] must be a CloudWatch alarm ARN, arn:<partition>:cloudwatch:<region>:<account>:alarm:<name> (got "${arn}").`);
    else if (reserved.includes(name)) add(`bakeAlarms[${i}] is named ${name}, the name of a composite alarm the Bake stage creates; rename the alarm.`);
  });
}

/** Throws one error listing every problem, or returns when there are none. */
export function assertValid(id: string, problems: string[]): void {
  if (problems.length === 0) return;
  const list = problems.map((p) => `  - ${p}`).join('\n');
  throw new Error(`BlueGreenPipeline "${id}" has ${problems.length} invalid prop${problems.length === 1 ? '' : 's'}:\n${list}`);
}

function checkPort(port: number | undefined, name: string, add: (p: string) => void): void {
  if (!known(port)) return;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    add(`${name} must be a whole number from 1 to 65535 (got ${port}).`);
  }
}

function checkDuration(value: Duration | undefined, name: string, min: Duration, max: Duration, add: (p: string) => void): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    add(`${name} must be from ${min.toHumanString()} to ${max.toHumanString()} (got ${value.toHumanString()}).`);
  }
}
