// Application Load Balancer: listeners, listener rules (the release routes) and target groups.
// Target health is derived from the ECS model: a target group's targets are the running tasks of
// the services registered with it.
import type {
  Action,
  DescribeListenersOutput,
  DescribeRulesOutput,
  DescribeTagsOutput,
  DescribeTargetGroupsOutput,
  DescribeTargetHealthOutput,
  Listener,
  ModifyRuleOutput,
  CreateRuleOutput,
  Rule,
  RuleCondition,
  TargetGroup,
  TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsError } from './errors';
import { CommandFn, IdSource, ServiceModel, WorldRef, clone } from './common';

interface ListenerState {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  defaultActions: Action[];
}

interface RuleState {
  arn: string;
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  actions: Action[];
}

interface TargetGroupState {
  arn: string;
  name: string;
  port: number;
  vpcId: string;
  healthCheckPath: string;
}

const err = (name: string, message: string) => awsError('elbv2', name, message);

export class Elbv2Model implements ServiceModel {
  readonly listeners = new Map<string, ListenerState>();
  readonly rules = new Map<string, RuleState>();
  readonly targetGroups = new Map<string, TargetGroupState>();
  private readonly ids = new IdSource();

  constructor(private readonly world: WorldRef) {}

  // ---- seeding ---------------------------------------------------------------------------------

  addTargetGroup(opts: { name: string; port?: number; healthCheckPath?: string }): string {
    const arn = `arn:aws:elasticloadbalancing:${this.world.region}:${this.world.account}:targetgroup/${opts.name}/${this.ids.hex(16)}`;
    this.targetGroups.set(arn, {
      arn,
      name: opts.name,
      port: opts.port ?? 80,
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      healthCheckPath: opts.healthCheckPath ?? '/health',
    });
    return arn;
  }

  addListener(opts: { loadBalancerArn: string; port: number; protocol?: 'HTTP' | 'HTTPS' }): string {
    const lb = opts.loadBalancerArn.split(':loadbalancer/')[1];
    const arn = `arn:aws:elasticloadbalancing:${this.world.region}:${this.world.account}:listener/${lb}/${this.ids.hex(16)}`;
    this.listeners.set(arn, {
      arn,
      loadBalancerArn: opts.loadBalancerArn,
      port: opts.port,
      protocol: opts.protocol ?? 'HTTP',
      defaultActions: [
        {
          Type: 'fixed-response',
          Order: 1,
          FixedResponseConfig: { StatusCode: '503', ContentType: 'text/plain', MessageBody: 'Service unavailable' },
        },
      ],
    });
    return arn;
  }

  /** A new load balancer's ARN (listeners hang off it; the balancer itself has no modelled state). */
  addLoadBalancer(name: string): string {
    return `arn:aws:elasticloadbalancing:${this.world.region}:${this.world.account}:loadbalancer/app/${name}/${this.ids.hex(16)}`;
  }

  /** The target groups a rule forwards traffic to (weight > 0). */
  forwardTargets(ruleArn: string): string[] {
    const rule = this.rules.get(ruleArn);
    if (!rule) return [];
    return rule.actions
      .filter((a) => a.Type === 'forward')
      .flatMap((a) => (a.ForwardConfig?.TargetGroups ?? []).filter((t) => (t.Weight ?? 1) > 0))
      .map((t) => t.TargetGroupArn!);
  }

  /** The load balancers a target group is attached to: those whose listener rules forward to it. */
  loadBalancersOf(targetGroupArn: string): string[] {
    const lbs = new Set<string>();
    for (const r of this.rules.values()) {
      if (this.forwardTargets(r.arn).includes(targetGroupArn)) lbs.add(this.listeners.get(r.listenerArn)!.loadBalancerArn);
    }
    return [...lbs];
  }

  /** Removes a listener and its rules (DeleteListener, or CloudFormation deleting a replaced listener). */
  deleteListener(listenerArn: string): void {
    if (!this.listeners.delete(listenerArn)) throw err('ListenerNotFoundException', 'One or more listeners not found');
    for (const r of [...this.rules.values()]) {
      if (r.listenerArn === listenerArn) {
        this.rules.delete(r.arn);
        this.world.tags.remove(r.arn);
      }
    }
  }

  /**
   * DeleteTargetGroup: "You can delete a target group if it is not referenced by any actions"
   * (Elastic Load Balancing API Reference, DeleteTargetGroup); otherwise ResourceInUse.
   */
  deleteTargetGroup(targetGroupArn: string): void {
    if (!this.targetGroups.has(targetGroupArn)) throw err('TargetGroupNotFoundException', 'One or more target groups not found');
    if ([...this.rules.values()].some((r) => this.forwardTargets(r.arn).includes(targetGroupArn))) {
      throw err('ResourceInUseException', `Target group '${targetGroupArn}' is currently in use by a listener or a rule`);
    }
    this.targetGroups.delete(targetGroupArn);
    this.world.tags.remove(targetGroupArn);
  }

  /** Test shortcut: point a rule at one target group without going through the API. */
  setForward(ruleArn: string, targetGroupArn: string): void {
    const rule = this.rules.get(ruleArn);
    if (!rule) throw new Error(`no rule ${ruleArn}`);
    rule.actions = [forward(targetGroupArn)];
  }

  // ---- API -------------------------------------------------------------------------------------

  readonly commands: Record<string, CommandFn> = {
    DescribeRules: (input: { RuleArns?: string[]; ListenerArn?: string }): DescribeRulesOutput => {
      if (input.RuleArns && input.ListenerArn) {
        throw err('ValidationError', 'Rule ARNs and a listener ARN cannot be specified at the same time');
      }
      if (input.RuleArns) {
        const missing = input.RuleArns.filter((a) => !this.rules.has(a));
        if (missing.length > 0) throw err('RuleNotFoundException', 'One or more rules not found');
        return { Rules: input.RuleArns.map((a) => this.ruleShape(this.rules.get(a)!)) };
      }
      if (input.ListenerArn) {
        const listener = this.listeners.get(input.ListenerArn);
        if (!listener) throw err('ListenerNotFoundException', 'One or more listeners not found');
        const rules = [...this.rules.values()]
          .filter((r) => r.listenerArn === listener.arn)
          .sort((x, y) => x.priority - y.priority)
          .map((r) => this.ruleShape(r));
        rules.push({
          RuleArn: `${listener.arn.replace(':listener/', ':listener-rule/')}/default`,
          Priority: 'default',
          Conditions: [],
          Actions: clone(listener.defaultActions),
          IsDefault: true,
        });
        return { Rules: rules };
      }
      throw err('ValidationError', 'A listener ARN or a set of rule ARNs must be specified');
    },

    ModifyRule: (input: { RuleArn: string; Actions?: Action[]; Conditions?: RuleCondition[] }): ModifyRuleOutput => {
      const rule = this.rules.get(input.RuleArn);
      if (!rule) throw err('RuleNotFoundException', 'One or more rules not found');
      if (input.Actions) {
        const actions = this.normaliseActions(input.Actions);
        this.checkAssociation(this.listeners.get(rule.listenerArn)!, actions, rule.arn);
        rule.actions = actions;
      }
      if (input.Conditions) rule.conditions = normaliseConditions(input.Conditions);
      return { Rules: [this.ruleShape(rule)] };
    },

    // CreateRule has no idempotency token (Elastic Load Balancing API Reference, CreateRule): a
    // retried request whose first attempt took effect gets PriorityInUse.
    CreateRule: (input: {
      ListenerArn: string;
      Priority: number;
      Conditions: RuleCondition[];
      Actions: Action[];
      Tags?: { Key: string; Value?: string }[];
    }): CreateRuleOutput => {
      const listener = this.listeners.get(input.ListenerArn);
      if (!listener) throw err('ListenerNotFoundException', 'One or more listeners not found');
      if (!Number.isInteger(input.Priority) || input.Priority < 1 || input.Priority > 50000) {
        throw err('ValidationError', `Priority '${input.Priority}' must be between 1 and 50000`);
      }
      const taken = [...this.rules.values()].some((r) => r.listenerArn === listener.arn && r.priority === input.Priority);
      if (taken) throw err('PriorityInUseException', `Priority '${input.Priority}' is currently in use`);
      if (!input.Conditions?.length) throw err('ValidationError', 'A rule must have at least one condition');
      const actions = this.normaliseActions(input.Actions);
      this.checkAssociation(listener, actions);
      const tags = tagMap(input.Tags ?? []);
      const arn = `${listener.arn.replace(':listener/', ':listener-rule/')}/${this.ids.hex(16)}`;
      const rule: RuleState = {
        arn,
        listenerArn: listener.arn,
        priority: input.Priority,
        conditions: normaliseConditions(input.Conditions),
        actions,
      };
      this.rules.set(arn, rule);
      if (Object.keys(tags).length > 0) this.world.tags.put(arn, tags);
      return { Rules: [this.ruleShape(rule)] };
    },

    // SetRulePriorities: each rule to a priority no other rule of its listener holds
    // (PriorityInUse), from 1 to 50000; the default rule has none to set (API reference, SetRulePriorities).
    SetRulePriorities: (input: { RulePriorities: { RuleArn: string; Priority: number }[] }) => {
      const changes = input.RulePriorities ?? [];
      for (const { RuleArn, Priority } of changes) {
        if (RuleArn.endsWith('/default')) throw err('OperationNotPermittedException', 'The default rule cannot be reprioritized');
        const rule = this.rules.get(RuleArn);
        if (!rule) throw err('RuleNotFoundException', 'One or more rules not found');
        if (!Number.isInteger(Priority) || Priority < 1 || Priority > 50000) throw err('ValidationError', `Priority '${Priority}' must be between 1 and 50000`);
        const moving = new Set(changes.map((ch) => ch.RuleArn));
        const taken = [...this.rules.values()].some((r) => r.listenerArn === rule.listenerArn && !moving.has(r.arn) && r.priority === Priority);
        if (taken) throw err('PriorityInUseException', `Priority '${Priority}' is currently in use`);
      }
      for (const { RuleArn, Priority } of changes) this.rules.get(RuleArn)!.priority = Priority;
      return { Rules: changes.map((ch) => this.ruleShape(this.rules.get(ch.RuleArn)!)) };
    },

    DeleteRule: (input: { RuleArn: string }) => {
      if (!this.rules.delete(input.RuleArn)) throw err('RuleNotFoundException', 'One or more rules not found');
      this.world.tags.remove(input.RuleArn);
      return {};
    },

    // AddTags / DescribeTags: up to 20 resources a call, 50 tags a resource; an unknown ARN is an
    // error named after its type (Elastic Load Balancing API Reference, AddTags and DescribeTags).
    AddTags: (input: { ResourceArns: string[]; Tags: { Key: string; Value?: string }[] }) => {
      if (!input.Tags?.length) throw err('ValidationError', 'Tags must contain at least one tag');
      const tags = tagMap(input.Tags);
      for (const arn of this.checkArns(input.ResourceArns)) {
        if (Object.keys({ ...this.world.tags.of(arn), ...tags }).length > 50) throw err('TooManyTagsException', "You've reached the limit on the number of tags for this resource.");
      }
      for (const arn of input.ResourceArns) this.world.tags.put(arn, tags);
      return {};
    },

    DescribeListeners: (input: { ListenerArns?: string[]; LoadBalancerArn?: string }): DescribeListenersOutput => {
      let found: ListenerState[];
      if (input.ListenerArns) {
        if (input.ListenerArns.some((a) => !this.listeners.has(a))) {
          throw err('ListenerNotFoundException', 'One or more listeners not found');
        }
        found = input.ListenerArns.map((a) => this.listeners.get(a)!);
      } else {
        found = [...this.listeners.values()].filter((l) => l.loadBalancerArn === input.LoadBalancerArn);
      }
      const shape = (l: ListenerState): Listener => ({
        ListenerArn: l.arn,
        LoadBalancerArn: l.loadBalancerArn,
        Port: l.port,
        Protocol: l.protocol,
        DefaultActions: clone(l.defaultActions),
      });
      return { Listeners: found.map(shape) };
    },

    DescribeTargetGroups: (input: { TargetGroupArns?: string[]; Names?: string[] }): DescribeTargetGroupsOutput => {
      let found: TargetGroupState[];
      if (input.TargetGroupArns) {
        if (input.TargetGroupArns.some((a) => !this.targetGroups.has(a))) {
          throw err('TargetGroupNotFoundException', 'One or more target groups not found');
        }
        found = input.TargetGroupArns.map((a) => this.targetGroups.get(a)!);
      } else if (input.Names) {
        found = [...this.targetGroups.values()].filter((t) => input.Names!.includes(t.name));
        if (found.length !== input.Names.length) {
          throw err('TargetGroupNotFoundException', 'One or more target groups not found');
        }
      } else {
        found = [...this.targetGroups.values()];
      }
      return { TargetGroups: found.map((t) => this.targetGroupShape(t)) };
    },

    DescribeTargetHealth: (input: { TargetGroupArn: string }): DescribeTargetHealthOutput => {
      const tg = this.targetGroups.get(input.TargetGroupArn);
      if (!tg) throw err('TargetGroupNotFoundException', 'One or more target groups not found');
      return {
        TargetHealthDescriptions: this.world.ecs.targetsOf(tg.arn).map((t) => ({
          Target: { Id: t.ip, Port: t.port, AvailabilityZone: t.az },
          HealthCheckPort: String(t.port),
          TargetHealth: targetHealth(t.health),
        })),
      };
    },

    DescribeTags: (input: { ResourceArns: string[] }): DescribeTagsOutput => ({
      TagDescriptions: this.checkArns(input.ResourceArns).map((arn) => ({
        ResourceArn: arn,
        Tags: Object.entries(this.world.tags.of(arn)).map(([Key, Value]) => ({ Key, Value })),
      })),
    }),
  };

  // ---- checks ----------------------------------------------------------------------------------

  /**
   * A target group serves one load balancer: "Load balancers per target group: 1" (Quotas for your
   * Application Load Balancers), and "you can specify the same target group in multiple listeners,
   * but these listeners must belong to the same Application Load Balancer" (Create a target group
   * for your Application Load Balancer). Forwarding to one attached elsewhere is
   * TargetGroupAssociationLimit (CreateRule and ModifyRule errors).
   */
  private checkAssociation(listener: ListenerState, actions: Action[], ruleArn?: string): void {
    for (const a of actions) {
      for (const g of a.ForwardConfig?.TargetGroups ?? []) {
        const elsewhere = [...this.rules.values()].some(
          (r) => r.arn !== ruleArn && this.forwardTargets(r.arn).includes(g.TargetGroupArn!) && this.listeners.get(r.listenerArn)!.loadBalancerArn !== listener.loadBalancerArn,
        );
        if (elsewhere) throw err('TargetGroupAssociationLimitException', "You've reached the limit on the number of load balancers per target group.");
      }
    }
  }

  private checkArns(arns: string[] | undefined): string[] {
    if (!arns?.length || arns.length > 20) throw err('ValidationError', 'ResourceArns must contain between 1 and 20 items');
    for (const arn of arns) {
      if (arn.includes(':listener-rule/') && !this.rules.has(arn)) throw err('RuleNotFoundException', 'One or more rules not found');
      if (arn.includes(':targetgroup/') && !this.targetGroups.has(arn)) throw err('TargetGroupNotFoundException', 'One or more target groups not found');
      if (arn.includes(':listener/') && !this.listeners.has(arn)) throw err('ListenerNotFoundException', 'One or more listeners not found');
    }
    return arns;
  }

  // ---- shapes ----------------------------------------------------------------------------------

  /**
   * A forward action, as the API stores it: its target groups in ForwardConfig (a single one also
   * in the legacy TargetGroupArn), each with a weight of 0 to 999 (API reference, TargetGroupTuple),
   * at most 5 of them ("Target groups per action per Application Load Balancer: 5", Quotas for your
   * Application Load Balancers), and target-group stickiness whose duration, 1 to 604800 seconds,
   * is required when it is enabled (API reference, TargetGroupStickinessConfig).
   */
  private normaliseActions(actions: Action[]): Action[] {
    if (!actions.length) throw err('ValidationError', 'A rule must have at least one action');
    return actions.map((a, i) => {
      if (a.Type !== 'forward') return { ...clone(a), Order: a.Order ?? i + 1 };
      const groups = a.ForwardConfig?.TargetGroups ?? (a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn }] : []);
      if (!groups.length) throw err('ValidationError', 'A forward action must specify a target group');
      if (a.TargetGroupArn && a.ForwardConfig && (groups.length !== 1 || groups[0].TargetGroupArn !== a.TargetGroupArn)) {
        throw err('ValidationError', 'TargetGroupArn and ForwardConfig must specify the same target group');
      }
      if (groups.length > 5) throw err('ValidationError', 'A forward action can have at most 5 target groups');
      if (new Set(groups.map((g) => g.TargetGroupArn)).size !== groups.length) throw err('ValidationError', 'A target group can be specified only once in a forward action');
      for (const g of groups) {
        if (g.Weight !== undefined && (!Number.isInteger(g.Weight) || g.Weight < 0 || g.Weight > 999)) {
          throw err('ValidationError', `Target group weight '${g.Weight}' must be between 0 and 999`);
        }
      }
      if (groups.some((g) => !g.TargetGroupArn || !this.targetGroups.has(g.TargetGroupArn))) {
        throw err('TargetGroupNotFoundException', 'One or more target groups not found');
      }
      const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
      if (sticky?.Enabled) {
        const d = sticky.DurationSeconds;
        if (d === undefined || !Number.isInteger(d) || d < 1 || d > 604800) {
          throw err('ValidationError', 'Target group stickiness duration must be between 1 and 604800 seconds when stickiness is enabled');
        }
      }
      const action: Action = {
        Type: 'forward',
        Order: a.Order ?? i + 1,
        ForwardConfig: {
          TargetGroups: groups.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 })),
          TargetGroupStickinessConfig: sticky?.Enabled ? { Enabled: true, DurationSeconds: sticky.DurationSeconds } : { Enabled: false },
        },
      };
      // Like the API: a single-group forward is also reported in the legacy `TargetGroupArn`.
      if (groups.length === 1) action.TargetGroupArn = groups[0].TargetGroupArn;
      return action;
    });
  }

  /** The weight of each target group production-style forwarding sends traffic to (weight > 0). */
  forwardWeights(ruleArn: string): Record<string, number> {
    const rule = this.rules.get(ruleArn);
    const out: Record<string, number> = {};
    for (const a of rule?.actions ?? []) {
      if (a.Type !== 'forward') continue;
      for (const t of a.ForwardConfig?.TargetGroups ?? []) if ((t.Weight ?? 1) > 0) out[t.TargetGroupArn!] = t.Weight ?? 1;
    }
    return out;
  }

  /** The rule's target-group stickiness duration in seconds; 0 when off. */
  stickinessOf(ruleArn: string): number {
    const sticky = this.rules.get(ruleArn)?.actions.find((a) => a.Type === 'forward')?.ForwardConfig?.TargetGroupStickinessConfig;
    return sticky?.Enabled ? sticky.DurationSeconds ?? 0 : 0;
  }

  private ruleShape(r: RuleState): Rule {
    return {
      RuleArn: r.arn,
      Priority: String(r.priority),
      Conditions: clone(r.conditions),
      Actions: clone(r.actions),
      IsDefault: false,
    };
  }

  private targetGroupShape(t: TargetGroupState): TargetGroup {
    const lbs = this.loadBalancersOf(t.arn);
    return {
      TargetGroupArn: t.arn,
      TargetGroupName: t.name,
      Protocol: 'HTTP',
      Port: t.port,
      VpcId: t.vpcId,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: t.healthCheckPath,
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: lbs,
      TargetType: 'ip',
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    };
  }
}

function tagMap(tags: { Key: string; Value?: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    if (t.Key in out) throw err('DuplicateTagKeysException', 'A tag key was specified more than once.');
    out[t.Key] = t.Value ?? '';
  }
  if (Object.keys(out).length > 50) throw err('TooManyTagsException', "You've reached the limit on the number of tags for this resource.");
  return out;
}

export function forward(targetGroupArn: string): Action {
  return {
    Type: 'forward',
    Order: 1,
    TargetGroupArn: targetGroupArn,
    ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
}

export function pathPatternAll(): RuleCondition[] {
  return normaliseConditions([{ Field: 'path-pattern', Values: ['*'] }]);
}

function normaliseConditions(conditions: RuleCondition[]): RuleCondition[] {
  return conditions.map((c) => {
    if (c.Field !== 'path-pattern') return clone(c);
    const values = c.PathPatternConfig?.Values ?? c.Values ?? [];
    return { Field: 'path-pattern', Values: [...values], PathPatternConfig: { Values: [...values] } };
  });
}

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

function targetHealth(state: TargetHealthState): TargetHealth {
  switch (state) {
    case 'healthy':
      return { State: 'healthy' };
    case 'initial':
      return { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' };
    case 'unhealthy':
      return { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [502]' };
    case 'draining':
      return { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
  }
}
