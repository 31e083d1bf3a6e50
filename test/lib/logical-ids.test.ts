// The logical IDs and resource types of the sample stack are public API (README, "Logical IDs are
// public API"): an existing stack keeps its resources only while their logical IDs, types and
// create-only properties stay the same. test/lib/logical-ids.json holds them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { LogicalIdPins, pinsOf, replacements, unpinned } from './logical-ids';
import { sampleConfiguration } from './nag/configurations';
import { STATEFUL_TYPES } from './stateful-resources';

const PINS: LogicalIdPins = JSON.parse(readFileSync(join(__dirname, 'logical-ids.json'), 'utf8'));
const template = Template.fromStack(sampleConfiguration().stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

describe('the logical IDs of the sample stack', () => {
  test('no stateful resource (repository, buckets, keys, log groups, load balancer, target groups, slot services, …) is replaced', () => {
    const found = replacements(PINS, template);
    expect({ replaced: found }).toEqual({ replaced: [] });
  });

  test('every resource is pinned with its type (after adding or removing a stateless one: npm run pin:logical-ids)', () => {
    expect(unpinned(PINS, template)).toEqual({ added: [], removed: [], retyped: [] });
  });

  test('the pins cover every stateful resource the construct creates', () => {
    const stateful = Object.entries(PINS.resources).filter(([, type]) => type in STATEFUL_TYPES);
    expect(stateful.map(([id]) => id).sort()).toEqual(Object.keys(PINS.createOnly).sort());
    const types = new Set(stateful.map(([, type]) => type));
    for (const type of ['AWS::ECR::Repository', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Custom::BlueGreenSlotService']) {
      expect(types).toContain(type);
    }
  });
});

describe('the replacement check', () => {
  const copy = () => JSON.parse(JSON.stringify(template)) as typeof template;
  const idOf = (type: string) => Object.keys(template.Resources).find((id) => template.Resources[id].Type === type)!;

  test('reports a stateful resource whose logical ID changed', () => {
    const t = copy();
    const bucket = idOf('AWS::S3::Bucket');
    t.Resources[`${bucket}X`] = t.Resources[bucket];
    delete t.Resources[bucket];
    expect(replacements(PINS, t)).toEqual([expect.stringMatching(new RegExp(`^${bucket} \\(AWS::S3::Bucket, holding .*\\) is gone`))]);
    expect(unpinned(PINS, t)).toEqual({ added: [`${bucket}X: AWS::S3::Bucket`], removed: [`${bucket}: AWS::S3::Bucket`], retyped: [] });
  });

  test('reports a create-only property changed, set or unset', () => {
    const t = copy();
    const targetGroup = idOf('AWS::ElasticLoadBalancingV2::TargetGroup');
    const repository = idOf('AWS::ECR::Repository');
    t.Resources[targetGroup].Properties!.Port = 8080;
    t.Resources[repository].Properties!.RepositoryName = 'renamed';
    const found = replacements(PINS, t);
    expect(found).toHaveLength(2);
    expect(found).toContain(`${repository}.RepositoryName changed from unset to "renamed": this replaces AWS::ECR::Repository ${repository}, losing every release image`);
    expect(found).toContain(
      `${targetGroup}.Port changed from 80 to 8080: this replaces AWS::ElasticLoadBalancingV2::TargetGroup ${targetGroup}, losing a slot's registered tasks (production's targets)`,
    );
  });

  test('ignores a change of a property that updates in place', () => {
    const t = copy();
    const logGroup = idOf('AWS::Logs::LogGroup');
    t.Resources[logGroup].Properties!.RetentionInDays = 1;
    expect(replacements(PINS, t)).toEqual([]);
    expect(pinsOf(t)).toEqual(PINS);
  });
});
