import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Template } from 'aws-cdk-lib/assertions';
import { synth, text } from './fixtures';

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: string[] }>;

interface TemplateDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

function diff(before: Resources, after: Resources): TemplateDiff {
  const ids = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  for (const id of ids) {
    if (!before[id]) out.added.push(id);
    else if (!after[id]) out.removed.push(id);
    else if (JSON.stringify(before[id]) !== JSON.stringify(after[id])) out.changed.push(id);
  }
  return out;
}

const resources = (template: Template): Resources => template.toJSON().Resources;
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, v]) => v.Type === type);

describe('BlueGreenPipeline infrastructure redeploy', () => {
  let before: Resources;
  let after: Resources;
  let changes: TemplateDiff;
  beforeAll(() => {
    // GIVEN a deployed pipeline
    before = resources(synth().template);
    // WHEN unrelated props change: memory, environment, certificate, desired count
    after = resources(
      synth({ memoryLimitMiB: 1024, environment: { FEATURE_FLAG: 'on' }, desiredCount: 4 }, (stack) => ({
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc'),
      })).template,
    );
    changes = diff(before, after);
  });

  test('the difference is limited to task definitions, listeners, the configuration and the new redirect', () => {
    const changedTypes = new Set(changes.changed.map((id) => after[id].Type));
    expect([...changedTypes].sort()).toEqual(
      ['AWS::ECS::TaskDefinition', 'AWS::EC2::SecurityGroup', 'AWS::ElasticLoadBalancingV2::Listener', 'AWS::Lambda::Function', 'AWS::SSM::Parameter'].sort(),
    );
    expect(changes.added.map((id) => after[id].Type)).toEqual(['AWS::ElasticLoadBalancingV2::Listener']);
    expect(changes.removed).toEqual([]);
  });

  test('the route owner is untouched and no listener rule or forwarding default action appears', () => {
    const [[routesId]] = ofType(after, 'Custom::BlueGreenRoutes');
    expect(changes.changed).not.toContain(routesId);
    expect(ofType(after, 'AWS::ElasticLoadBalancingV2::ListenerRule')).toEqual([]);
    for (const [, listener] of ofType(after, 'AWS::ElasticLoadBalancingV2::Listener')) {
      for (const action of listener.Properties!.DefaultActions) expect(['fixed-response', 'redirect']).toContain(action.Type);
    }
    // The listeners keep their logical ids, so their ARNs (and the rules on them) survive the protocol change.
    const listenerIds = (r: Resources) => ofType(r, 'AWS::ElasticLoadBalancingV2::Listener').map(([id]) => id);
    expect(listenerIds(after)).toEqual(expect.arrayContaining(listenerIds(before)));
  });

  test('the new redirect listener waits for the production listener to give up port 80', () => {
    const [redirectId] = changes.added;
    const productionId = ofType(after, 'AWS::ElasticLoadBalancingV2::Listener').find(([id]) => id.startsWith('ReleaseProductionListener'))![0];
    expect(after[redirectId].Properties!.Port).toBe(80);
    expect(after[productionId].Properties!.Port).toBe(443);
    expect(after[redirectId].DependsOn).toContain(productionId);
  });

  test('the slot services keep their names and properties and are never given a count or an image', () => {
    for (const [id, service] of ofType(after, 'Custom::BlueGreenSlotService')) {
      expect(changes.changed).not.toContain(id);
      expect(Object.keys(service.Properties!)).not.toEqual(expect.arrayContaining(['DesiredCount']));
      // The slot's tag is named (for the slot tag rule), never an image.
      expect(JSON.stringify({ ...service.Properties, ImageTag: undefined })).not.toMatch(/Image/i);
      expect(service.Properties!.ImageTag).toMatch(/^slot-[ab]$/);
    }
  });

  test('each slot task definition still runs its own slot tag, so no image moves', () => {
    const images = (r: Resources) => ofType(r, 'AWS::ECS::TaskDefinition').map(([, d]) => text(d.Properties!.ContainerDefinitions[0].Image));
    expect(images(after)).toEqual(images(before));
    expect(images(after).map((image) => image.split(':').pop())).toEqual(['slot-a', 'slot-b']);
    for (const [, def] of ofType(after, 'AWS::ECS::TaskDefinition')) expect(def.Properties!.Memory).toBe('1024');
  });

  test('a containerPort change replaces neither target group nor the routes: only task definitions, services and security group rules follow', () => {
    const moved = resources(synth({ containerPort: 9090 }).template);
    const d = diff(before, moved);
    const types = (ids: string[], r: Resources) => [...new Set(ids.map((id) => r[id].Type))].sort();
    expect(types(d.changed, moved)).not.toContain('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(types(d.changed, moved)).not.toContain('Custom::BlueGreenRoutes');
    expect(types(d.changed, moved)).toEqual(expect.arrayContaining(['AWS::ECS::TaskDefinition', 'Custom::BlueGreenSlotService']));
    for (const [, tg] of ofType(moved, 'AWS::ElasticLoadBalancingV2::TargetGroup')) expect(tg.Properties!.Port).toBe(80);
  });

  test('the configuration change reaches the functions without touching routes, services or images', () => {
    const [[, swap]] = ofType(after, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('ReleaseSwapFunction'));
    const config = text(swap.Properties!.Environment.Variables.BLUEGREEN_CONFIG);
    expect(config).toContain('"desiredCount":4');
    expect(config).toContain('"testUrl":"https://');
  });
});
