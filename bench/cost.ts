// What the sample costs a month: synthesizes the sample app (and variants of it), counts what
// each template holds and prices it from bench/prices/us-east-1.json. Prints; never asserts.
//
//   npm run bundle && npx ts-node --transpile-only bench/cost.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { BlueGreenPipelineProps } from '../lib';
import { buildSampleApp } from '../sample-app/cdk/sample-stack';
import { CfnTemplate, CostOptions, PriceList, costLines, countTemplate, renderTable, total } from './cost-model';

export const PRICES: PriceList = JSON.parse(readFileSync(join(__dirname, 'prices', 'us-east-1.json'), 'utf8'));

/** The sample's template, with `overrides` applied to its BlueGreenPipeline, in us-east-1. */
export function sampleTemplate(overrides?: (stack: Stack) => Partial<BlueGreenPipelineProps>): CfnTemplate {
  const app = new App({ context: { region: PRICES.region, account: '111111111111' } });
  const stack = buildSampleApp(app, overrides);
  return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
}

interface Variant {
  readonly name: string;
  readonly overrides?: (stack: Stack) => Partial<BlueGreenPipelineProps>;
  readonly options?: CostOptions;
}

/** What changes the total: the count, the architecture, the NAT choice and the previous slot. */
export const VARIANTS: readonly Variant[] = [
  { name: 'desiredCount 1', overrides: () => ({ desiredCount: 1 }) },
  { name: 'desiredCount 4', overrides: () => ({ desiredCount: 4 }) },
  { name: 'ARM64 tasks', overrides: () => ({ cpuArchitecture: ecs.CpuArchitecture.ARM64 }) },
  { name: 'a NAT gateway in each of 2 AZs (your VPC, in this stack)', overrides: (stack) => ({ vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 2 }) }) },
  {
    name: 'a shared VPC from another stack (its NAT gateway is billed there)',
    overrides: (stack) => ({
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Shared', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
        privateSubnetIds: ['subnet-0bbbbbbbbbbbbbbb1', 'subnet-0bbbbbbbbbbbbbbb2'],
        vpcCidrBlock: '10.0.0.0/16',
      }),
    }),
  },
  { name: 'previousSlotRetention 4 hours (the previous slot at zero between releases)', overrides: () => ({ previousSlotRetention: Duration.hours(4) }) },
  { name: 'previousSlotRetention 1 day', overrides: () => ({ previousSlotRetention: Duration.days(1) }) },
];

function main(): void {
  const base = countTemplate(sampleTemplate());
  const baseLines = costLines(base, PRICES);
  console.log(`## The sample app, defaults (${PRICES.region})\n`);
  console.log(renderTable(baseLines, PRICES));
  console.log('\n## What changes the total\n');
  console.log('| variant | a month | change |');
  console.log('| --- | --- | --- |');
  const baseTotal = total(baseLines);
  console.log(`| the sample, defaults | $${baseTotal.toFixed(2)} | |`);
  for (const v of VARIANTS) {
    const counts = v.overrides ? countTemplate(sampleTemplate(v.overrides)) : base;
    const sum = total(costLines(counts, PRICES, v.options));
    const change = sum - baseTotal;
    console.log(`| ${v.name} | $${sum.toFixed(2)} | ${change >= 0 ? '+' : '−'}$${Math.abs(change).toFixed(2)} |`);
  }
}

if (require.main === module) main();
