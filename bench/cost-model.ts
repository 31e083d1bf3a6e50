// What a synthesized template costs a month: every quantity is counted from the template (so the
// table follows it when the construct changes), every price comes from a checked-in price list
// (bench/prices/<region>.json, each price with its source page and the date it was read), and
// every assumption about use is in that file's `usage`. Pure: no synthesis, no I/O.

export interface Price {
  readonly value: number | null;
  readonly unit: string;
  readonly source: string;
  readonly evidence: string;
  readonly found: boolean;
}

export interface Usage {
  readonly releasesPerMonth: number;
  readonly buildMinutesPerRelease: number;
  readonly pipelineActionMinutesPerRelease: number;
  readonly lcuPerHour: number;
  readonly natGbPerMonth: number;
  readonly logGbPerMonth: number;
  readonly controlPlaneInvocationsPerRelease: number;
  readonly controlPlaneSecondsPerInvocation: number;
  readonly auditPublishesPerRelease: number;
  /**
   * With previousSlotRetention: the hours a release keeps the other slot warm before its
   * retention starts (the candidate's deploy, the wait for approval, the bake).
   */
  readonly releaseHoursBeforeRetention: number;
}

export interface PriceList {
  readonly region: string;
  readonly read: string;
  readonly hoursPerMonth: number;
  readonly prices: Record<string, Price>;
  readonly usage: Usage;
}

type Resource = { Type: string; Properties?: Record<string, any> };
export interface CfnTemplate {
  readonly Resources: Record<string, Resource>;
}

/** What the table counts in a template. */
export interface TemplateCounts {
  readonly slots: number;
  readonly desiredCount: number;
  /** vCPU and GB of one slot task, and its architecture. */
  readonly task: { vcpu: number; gb: number; arm: boolean };
  readonly loadBalancers: number;
  /** Subnets of the internet-facing load balancers: one public IPv4 address each. */
  readonly loadBalancerPublicAddresses: number;
  readonly natGateways: number;
  /** Elastic IPs (the NAT gateways'). */
  readonly elasticIps: number;
  readonly kmsKeys: number;
  readonly metricAlarms: number;
  readonly compositeAlarms: number;
  readonly logGroups: number;
  readonly containerInsights: boolean;
  readonly buildComputeType: string | null;
  readonly functions: number;
  /** The largest memory of the template's functions, in MB (the control plane's invocations are priced at it). */
  readonly functionMemoryMb: number;
  readonly topics: number;
  readonly emailSubscriptions: number;
  readonly schedules: number;
  /** previousSlotRetention in seconds, from the release configuration; null when the previous slot stays warm. */
  readonly retentionSeconds: number | null;
}

const ofType = (t: CfnTemplate, type: string): Resource[] => Object.values(t.Resources).filter((r) => r.Type === type);

/** Every literal string inside a CloudFormation value (the pieces of an Fn::Join included). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The release configuration's desiredCount, from the config parameter the construct writes. */
function configuredDesiredCount(t: CfnTemplate): number {
  const config = ofType(t, 'AWS::SSM::Parameter').find((p) => strings(p.Properties?.Name).some((n) => /^\/bluegreen\/.+\/config$/.test(n)));
  const match = strings(config?.Properties?.Value).map((s) => /"desiredCount":(\d+)/.exec(s)).find((m) => m !== null);
  if (!match) throw new Error('the template has no /bluegreen/<pipeline>/config parameter with a desiredCount: not a BlueGreenPipeline template');
  return Number(match[1]);
}

/** The release configuration's previousSlotRetention.seconds, or null without it. */
function configuredRetention(t: CfnTemplate): number | null {
  const config = ofType(t, 'AWS::SSM::Parameter').find((p) => strings(p.Properties?.Name).some((n) => /^\/bluegreen\/.+\/config$/.test(n)));
  const match = strings(config?.Properties?.Value).map((s) => /"previousSlotRetention":\{"seconds":(\d+)/.exec(s)).find((m) => m !== null);
  return match ? Number(match[1]) : null;
}

export function countTemplate(t: CfnTemplate): TemplateCounts {
  const slots = ofType(t, 'Custom::BlueGreenSlotService');
  const taskDefinitions = ofType(t, 'AWS::ECS::TaskDefinition');
  if (slots.length === 0 || taskDefinitions.length === 0) throw new Error('the template has no slot services: not a BlueGreenPipeline template');
  const td = taskDefinitions[0].Properties ?? {};
  const internetFacing = ofType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').filter((lb) => (lb.Properties?.Scheme ?? 'internet-facing') === 'internet-facing');
  const project = ofType(t, 'AWS::CodeBuild::Project')[0];
  const functions = ofType(t, 'AWS::Lambda::Function');
  return {
    slots: slots.length,
    desiredCount: configuredDesiredCount(t),
    task: { vcpu: Number(td.Cpu) / 1024, gb: Number(td.Memory) / 1024, arm: td.RuntimePlatform?.CpuArchitecture === 'ARM64' },
    loadBalancers: ofType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer').length,
    loadBalancerPublicAddresses: internetFacing.reduce((n, lb) => n + ([] as unknown[]).concat(lb.Properties?.Subnets ?? []).length, 0),
    natGateways: ofType(t, 'AWS::EC2::NatGateway').length,
    elasticIps: ofType(t, 'AWS::EC2::EIP').length,
    kmsKeys: ofType(t, 'AWS::KMS::Key').length,
    metricAlarms: ofType(t, 'AWS::CloudWatch::Alarm').length,
    compositeAlarms: ofType(t, 'AWS::CloudWatch::CompositeAlarm').length,
    logGroups: ofType(t, 'AWS::Logs::LogGroup').length,
    containerInsights: ofType(t, 'AWS::ECS::Cluster').some((c) =>
      ([] as Array<{ Name: string; Value: string }>).concat(c.Properties?.ClusterSettings ?? []).some((s) => s.Name === 'containerInsights' && s.Value !== 'disabled'),
    ),
    buildComputeType: project?.Properties?.Environment?.ComputeType ?? null,
    functions: functions.length,
    functionMemoryMb: Math.max(128, ...functions.map((f) => Number(f.Properties?.MemorySize ?? 128))),
    topics: ofType(t, 'AWS::SNS::Topic').length,
    emailSubscriptions: ofType(t, 'AWS::SNS::Subscription').filter((s) => s.Properties?.Protocol === 'email').length,
    schedules: ofType(t, 'AWS::Scheduler::Schedule').length,
    retentionSeconds: configuredRetention(t),
  };
}

export interface CostLine {
  readonly what: string;
  /** What the template holds, and the assumption about use where there is one. */
  readonly quantity: string;
  readonly monthly: number | null;
  /** The price-list keys this line used (for the sources under the table). */
  readonly prices: readonly string[];
}

export interface CostOptions {
  /** Slots whose tasks run all month, overriding what the template says (2: the previous slot kept warm; 1: scaled to zero). */
  readonly warmSlots?: number;
}

/**
 * Slot-months of tasks: the live slot all month; the previous slot all month when it stays warm,
 * else for each release the hours before its retention starts plus the retention (at most the month).
 */
function warmSlotMonths(counts: TemplateCounts, u: Usage, hoursPerMonth: number, options: CostOptions): { months: number; what: string } {
  if (options.warmSlots !== undefined) return { months: options.warmSlots, what: `${options.warmSlots} slot(s) warm` };
  if (counts.retentionSeconds === null || counts.slots < 2) return { months: counts.slots, what: `${counts.slots} slot(s) warm` };
  const perRelease = u.releaseHoursBeforeRetention + counts.retentionSeconds / 3600;
  const hours = Math.min(hoursPerMonth, u.releasesPerMonth * perRelease);
  return {
    months: counts.slots - 1 + hours / hoursPerMonth,
    what: `the live slot warm + the previous slot ${Math.round(hours)} h (${u.releasesPerMonth} releases × ${perRelease} h, previousSlotRetention ${counts.retentionSeconds / 3600} h)`,
  };
}

const money = (n: number) => `$${n.toFixed(2)}`;

/** The itemised month of `counts` at `list`'s prices. */
export function costLines(counts: TemplateCounts, list: PriceList, options: CostOptions = {}): CostLine[] {
  const p = (key: string): number => {
    const price = list.prices[key];
    if (!price || price.value === null) throw new Error(`the price list has no value for ${key}`);
    return price.value;
  };
  const u = list.usage;
  const h = list.hoursPerMonth;
  const warm = warmSlotMonths(counts, u, h, options);
  const arch = counts.task.arm ? 'Arm' : 'X86';
  const taskHour = counts.task.vcpu * p(`fargateVcpuHour${arch}`) + counts.task.gb * p(`fargateGbHour${arch}`);
  const tasks = warm.months * counts.desiredCount;
  const addresses = counts.loadBalancerPublicAddresses + counts.elasticIps;
  const gbSeconds = (u.controlPlaneInvocationsPerRelease * u.releasesPerMonth * u.controlPlaneSecondsPerInvocation * counts.functionMemoryMb) / 1024;
  const lines: CostLine[] = [
    {
      what: 'Fargate tasks',
      quantity: `${warm.what} × ${counts.desiredCount} task(s) × ${counts.task.vcpu} vCPU, ${counts.task.gb} GB (${counts.task.arm ? 'ARM64' : 'X86_64'})`,
      monthly: tasks * taskHour * h,
      prices: [`fargateVcpuHour${arch}`, `fargateGbHour${arch}`],
    },
    {
      what: 'Application Load Balancer',
      quantity: `${counts.loadBalancers} load balancer(s), ${u.lcuPerHour} LCU an hour (light load)`,
      monthly: counts.loadBalancers * (p('albHour') + u.lcuPerHour * p('albLcuHour')) * h,
      prices: ['albHour', 'albLcuHour'],
    },
    {
      what: 'NAT gateway',
      quantity: counts.natGateways === 0 ? 'none in the template (the VPC you give brings its own)' : `${counts.natGateways} gateway(s), ${u.natGbPerMonth} GB processed`,
      monthly: counts.natGateways * p('natGatewayHour') * h + (counts.natGateways > 0 ? u.natGbPerMonth * p('natGatewayGb') : 0),
      prices: ['natGatewayHour', 'natGatewayGb'],
    },
    {
      what: 'public IPv4 addresses',
      quantity: `${counts.loadBalancerPublicAddresses} of the load balancer (one per subnet) + ${counts.elasticIps} Elastic IP(s)`,
      monthly: addresses * p('publicIpv4Hour') * h,
      prices: ['publicIpv4Hour'],
    },
    { what: 'KMS keys', quantity: `${counts.kmsKeys} customer-managed key(s)`, monthly: counts.kmsKeys * p('kmsKeyMonth'), prices: ['kmsKeyMonth'] },
    {
      what: 'CloudWatch alarms',
      quantity: `${counts.metricAlarms} metric alarm(s), ${counts.compositeAlarms} composite alarm(s)`,
      monthly: counts.metricAlarms * p('alarmMonth') + counts.compositeAlarms * p('compositeAlarmMonth'),
      prices: ['alarmMonth', 'compositeAlarmMonth'],
    },
    {
      what: 'log ingestion',
      quantity: `${counts.logGroups} log group(s), ${u.logGbPerMonth} GB a month in all`,
      monthly: u.logGbPerMonth * p('logsIngestGb'),
      prices: ['logsIngestGb'],
    },
    {
      what: 'Container Insights',
      quantity: counts.containerInsights ? 'on for the cluster: metrics by task and service' : 'off',
      monthly: counts.containerInsights ? null : 0,
      prices: ['containerInsightsMonth'],
    },
    {
      what: 'CodeBuild',
      quantity: `${counts.buildComputeType ?? 'no project'}, ${u.buildMinutesPerRelease} minutes × ${u.releasesPerMonth} releases`,
      monthly: counts.buildComputeType === 'BUILD_GENERAL1_MEDIUM' ? u.buildMinutesPerRelease * u.releasesPerMonth * p('codebuildMediumMinute') : null,
      prices: ['codebuildMediumMinute'],
    },
    {
      what: 'CodePipeline (V2)',
      quantity: `${u.pipelineActionMinutesPerRelease} action minutes × ${u.releasesPerMonth} releases`,
      monthly: u.pipelineActionMinutesPerRelease * u.releasesPerMonth * p('codepipelineActionMinute'),
      prices: ['codepipelineActionMinute'],
    },
    {
      what: 'Lambda (control plane)',
      quantity: `${counts.functions} function(s); ${u.controlPlaneInvocationsPerRelease} invocations × ${u.releasesPerMonth} releases at ${counts.functionMemoryMb} MB, ${u.controlPlaneSecondsPerInvocation} s`,
      monthly: (u.controlPlaneInvocationsPerRelease * u.releasesPerMonth * p('lambdaRequestMillion')) / 1e6 + gbSeconds * p('lambdaGbSecond'),
      prices: ['lambdaRequestMillion', 'lambdaGbSecond'],
    },
    {
      what: 'EventBridge Scheduler',
      quantity: counts.retentionSeconds === null ? 'none (the previous slot stays warm)' : `1 one-time schedule × ${u.releasesPerMonth} releases (previousSlotRetention)`,
      monthly: ((counts.schedules + (counts.retentionSeconds === null ? 0 : 1)) * u.releasesPerMonth * p('schedulerInvocationMillion')) / 1e6,
      prices: ['schedulerInvocationMillion'],
    },
    {
      what: 'SNS',
      quantity: `${counts.topics} topic(s); ${counts.emailSubscriptions} approval email(s) and ${u.auditPublishesPerRelease} audit messages × ${u.releasesPerMonth} releases`,
      monthly: (counts.emailSubscriptions * u.releasesPerMonth * p('snsEmailHundredThousand')) / 1e5 + (u.auditPublishesPerRelease * u.releasesPerMonth * p('snsPublishMillion')) / 1e6,
      prices: ['snsEmailHundredThousand', 'snsPublishMillion'],
    },
  ];
  return lines;
}

export const total = (lines: readonly CostLine[]): number => lines.reduce((sum, l) => sum + (l.monthly ?? 0), 0);

/** The lines as a Markdown table, a total, and the sources of the prices they used. */
export function renderTable(lines: readonly CostLine[], list: PriceList): string {
  const rows = lines.map((l) => `| ${l.what} | ${l.quantity} | ${l.monthly === null ? 'not priced' : money(l.monthly)} |`);
  const used = [...new Set(lines.flatMap((l) => l.prices))];
  const sources = used.map((key) => {
    const price = list.prices[key];
    return `* ${key}: ${price.value === null ? 'no figure' : `$${price.value}`} ${price.unit}; ${price.source}${price.found ? '' : ' (NOT FOUND by search: unverified)'}`;
  });
  return [
    '| what | in the template (and assumed use) | a month |',
    '| --- | --- | --- |',
    ...rows,
    `| **total** | ${list.region}, prices read ${list.read} | **${money(total(lines))}** |`,
    '',
    ...sources,
  ].join('\n');
}
