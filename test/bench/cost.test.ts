// The cost table follows the template: every quantity is counted from what the construct
// synthesizes, so a prop that changes the template changes the table.
import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { CfnTemplate, CostLine, costLines, countTemplate, renderTable, total } from '../../bench/cost-model';
import { PRICES } from '../../bench/cost';
import { synth } from '../lib/fixtures';
import type { BlueGreenPipelineProps } from '../../lib';

const templateOf = (props: Partial<BlueGreenPipelineProps> = {}, build?: (stack: Stack) => Partial<BlueGreenPipelineProps>) =>
  synth(props, build).template.toJSON() as CfnTemplate;
const line = (lines: CostLine[], what: string) => lines.find((l) => l.what === what)!;

describe('the cost table', () => {
  const base = countTemplate(templateOf());
  const baseLines = costLines(base, PRICES);

  test('counts the slots, their task size and count, keys, alarms, NAT gateways and addresses in the template', () => {
    expect(base).toMatchObject({ slots: 2, desiredCount: 2, task: { vcpu: 0.25, gb: 0.5, arm: false }, loadBalancers: 1, natGateways: 1, elasticIps: 1, kmsKeys: 5 });
    expect(base.metricAlarms).toBeGreaterThan(0);
    // Two slots warm at two tasks of 0.25 vCPU and 0.5 GB, for the month.
    const taskHour = 0.25 * PRICES.prices.fargateVcpuHourX86.value! + 0.5 * PRICES.prices.fargateGbHourX86.value!;
    expect(line(baseLines, 'Fargate tasks').monthly).toBeCloseTo(4 * taskHour * PRICES.hoursPerMonth, 6);
  });

  test('follows desiredCount, the architecture, the bake alarms, the VPC and the repository given', () => {
    const three = costLines(countTemplate(templateOf({ desiredCount: 3 })), PRICES);
    expect(line(three, 'Fargate tasks').monthly! / line(baseLines, 'Fargate tasks').monthly!).toBeCloseTo(1.5, 9);

    const arm = costLines(countTemplate(templateOf({ cpuArchitecture: ecs.CpuArchitecture.ARM64 })), PRICES);
    expect(line(arm, 'Fargate tasks').prices).toEqual(['fargateVcpuHourArm', 'fargateGbHourArm']);
    expect(line(arm, 'Fargate tasks').monthly!).toBeLessThan(line(baseLines, 'Fargate tasks').monthly!);

    const unbaked = countTemplate(templateOf({ bakeTime: Duration.seconds(0) }));
    expect(unbaked.metricAlarms + unbaked.compositeAlarms).toBeLessThan(base.metricAlarms + base.compositeAlarms);

    const shared = countTemplate(
      templateOf({}, (stack) => ({
        vpc: ec2.Vpc.fromVpcAttributes(stack, 'Shared', {
          vpcId: 'vpc-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'], publicSubnetIds: ['s-1', 's-2'], privateSubnetIds: ['s-3', 's-4'], vpcCidrBlock: '10.0.0.0/16',
        }),
      })),
    );
    expect(shared).toMatchObject({ natGateways: 0, elasticIps: 0 });
    expect(line(costLines(shared, PRICES), 'NAT gateway').monthly).toBe(0);

    const ownRepository = countTemplate(templateOf({}, (stack) => ({ repository: ecr.Repository.fromRepositoryName(stack, 'Images', 'payments/api') })));
    expect(ownRepository.kmsKeys).toBe(base.kmsKeys - 1);
  });

  test('prices one warm slot at half the tasks (the previous slot scaled to zero)', () => {
    const one = costLines(base, PRICES, { warmSlots: 1 });
    expect(line(one, 'Fargate tasks').monthly! * 2).toBeCloseTo(line(baseLines, 'Fargate tasks').monthly!, 9);
    expect(total(one)).toBeLessThan(total(baseLines));
  });

  test('with previousSlotRetention, prices the previous slot for the hours a release keeps it warm, and one schedule a release', () => {
    const retained = countTemplate(templateOf({ previousSlotRetention: Duration.hours(4) }));
    expect(retained.retentionSeconds).toBe(4 * 3600);
    expect(base.retentionSeconds).toBeNull();
    const lines = costLines(retained, PRICES);
    const u = PRICES.usage;
    const slotMonth = line(baseLines, 'Fargate tasks').monthly! / 2;
    const previousHours = u.releasesPerMonth * (u.releaseHoursBeforeRetention + 4);
    expect(line(lines, 'Fargate tasks').monthly).toBeCloseTo(slotMonth * (1 + previousHours / PRICES.hoursPerMonth), 6);
    expect(line(lines, 'Fargate tasks').quantity).toContain(`the previous slot ${previousHours} h`);
    expect(line(lines, 'EventBridge Scheduler').monthly).toBeCloseTo((u.releasesPerMonth * PRICES.prices.schedulerInvocationMillion.value!) / 1e6, 12);
    // A retention longer than the time between releases keeps the slot warm all month: no saving.
    const month = costLines(countTemplate(templateOf({ previousSlotRetention: Duration.days(60) })), PRICES);
    expect(line(month, 'Fargate tasks').monthly).toBeCloseTo(line(baseLines, 'Fargate tasks').monthly!, 6);
  });

  test('names the source of every price it used, and says which prices search did not find', () => {
    const table = renderTable(baseLines, PRICES);
    for (const key of new Set(baseLines.flatMap((l) => l.prices))) {
      expect(PRICES.prices[key].source).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z-]+\/pricing\/$/);
      expect(table).toContain(`* ${key}: `);
      if (!PRICES.prices[key].found) expect(table).toMatch(new RegExp(`\\* ${key}: .*NOT FOUND by search: unverified`));
    }
    expect(PRICES.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('refuses a template that is not a BlueGreenPipeline', () => {
    expect(() => countTemplate({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } })).toThrow(/not a BlueGreenPipeline template/);
  });
});
