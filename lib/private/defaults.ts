import { Duration } from 'aws-cdk-lib';

/**
 * Defaults of BlueGreenPipelineProps. Small pure functions, kept apart from the construct so that
 * the README, the validation and the construct read the same values.
 */
export const DEFAULTS = {
  containerPort: 8080,
  healthCheckPath: '/health',
  healthCheckGracePeriod: Duration.seconds(60),
  cpu: 256,
  memoryLimitMiB: 512,
  desiredCount: 2,
  containerUser: '1000',
  readonlyRootFilesystem: true,
  approvalTimeout: Duration.days(7),
  deployTimeout: Duration.minutes(30),
  /** Bake window after a swap; Duration.seconds(0) turns the Bake stage off. */
  bakeTime: Duration.minutes(10),
  /** p99 TargetResponseTime above which a baking slot alarms. */
  bakeLatencyThreshold: Duration.seconds(1),
  /** Target 5xx responses per minute at which a baking slot alarms. */
  bake5xxThreshold: 5,
  gateFailOn: 'HIGH',
  gateIgnoreUnfixed: true,
  gateAllowEmptyScan: false,
  gateAllowListFile: '.bluegreen/allow-list.json',
  dockerfile: 'Dockerfile',
  dockerBuildContext: '.',
  trivyDbRepository: 'public.ecr.aws/aquasecurity/trivy-db:2',
  trivyJavaDbRepository: 'public.ecr.aws/aquasecurity/trivy-java-db:1',
  internetFacing: true,
  /** Images kept in ECR besides those under a slot tag (which are never expired). */
  imageRetentionCount: 100,
  untaggedImageExpiry: Duration.days(14),
  artifactExpiry: Duration.days(90),
  noncurrentVersionExpiry: Duration.days(30),
  logObjectExpiry: Duration.days(365),
  buildTimeout: Duration.minutes(60),
  /** CIDR of a VPC the construct creates. */
  vpcCidr: '10.0.0.0/16',
  deletionProtection: true,
  /** Reserved concurrency of DeployGreen and the infra owner (Swap has 1: one swap at a time). */
  controlPlaneConcurrency: 2,
  deadLetterRetention: Duration.days(14),
} as const;

/** Listener ports: 443/8443 with a certificate, 80/8080 without. The redirect listener takes 80 when HTTPS. */
export function defaultPorts(https: boolean): { production: number; test: number } {
  return https ? { production: 443, test: 8443 } : { production: 80, test: 8080 };
}

export const HTTP_REDIRECT_PORT = 80;

/**
 * A pipeline name derived from the stack and construct id, reduced to the characters that
 * CodePipeline, ECS service names and SSM parameter names all accept.
 */
export function defaultPipelineName(stackName: string, constructId: string): string {
  const raw = `${stackName}-${constructId}`;
  const cleaned = raw.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return cleaned.slice(0, MAX_PIPELINE_NAME_LENGTH) || 'bluegreen';
}

/** Pipeline names also name the slot services (`<name>-slot-a`) and their task families. */
export const PIPELINE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
export const MAX_PIPELINE_NAME_LENGTH = 80;

/** The URL of the test listener, which reaches the green (idle) slot. */
export function testUrl(https: boolean, host: string, port: number): string {
  return `${https ? 'https' : 'http'}://${host}:${port}`;
}

/** The URL of the production listener, without the scheme's own port (what a header test route is reached on). */
export function productionUrl(https: boolean, host: string, port: number): string {
  return port === (https ? 443 : 80) ? `${https ? 'https' : 'http'}://${host}` : testUrl(https, host, port);
}

/** Valid Fargate task sizes: memory (MiB) allowed for each cpu value. */
export function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number): number[] => {
    const out: number[] = [];
    for (let m = from; m <= to; m += step) out.push(m);
    return out;
  };
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

export const FARGATE_CPU_VALUES = [256, 512, 1024, 2048, 4096, 8192, 16384];
