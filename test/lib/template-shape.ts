import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Template } from 'aws-cdk-lib/assertions';
import { Duration } from 'aws-cdk-lib';
import { synth } from './fixtures';
import { CONFIGURATIONS } from './nag/configurations';

/**
 * The configurations whose templates are pinned: the nag tests' three (the sample app, only the
 * required props, every security-relevant prop) plus the two shapes they do not reach: no Bake
 * and no reserved concurrency, and a network you bring (VPC, cluster, load balancer, a separate
 * health check port).
 */
export const PINNED_CONFIGURATIONS: ReadonlyArray<[string, () => Stack]> = [
  ...CONFIGURATIONS.map(([name, make]) => [name, () => make().stack] as [string, () => Stack]),
  ['no bake, no reserved concurrency', () => synth({ bakeTime: Duration.seconds(0), reservedConcurrency: false }).stack],
  [
    'a network you bring',
    () =>
      synth({}, (stack) => {
        const vpc = new ec2.Vpc(stack, 'MyVpc');
        const cluster = new ecs.Cluster(stack, 'MyCluster', { vpc });
        const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'MyLb', { vpc, internetFacing: true });
        return { vpc, cluster, loadBalancer, internetFacing: false, healthCheckPort: 9000 };
      }).stack,
  ],
];

/** An asset's content hash (S3 keys, asset URLs): it changes with the handlers' code, not with the template's shape. */
const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * A template as CloudFormation reads it, in a stable form: object keys in any order (they are),
 * the statements of every IAM policy as a set (their order means nothing to IAM), asset hashes
 * masked. Everything else, logical IDs included, is kept as synthesized.
 */
export function templateShape(stack: Stack): unknown {
  return normalise(Template.fromStack(stack).toJSON());
}

function normalise(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return value.replace(ASSET_HASH, '<asset-hash>');
  if (Array.isArray(value)) {
    const items = value.map((item) => normalise(item));
    return key === 'Statement' ? items.sort((a, b) => stableJson(a).localeCompare(stableJson(b))) : items;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  }
  return value;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
