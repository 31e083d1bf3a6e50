import { ArnFormat, CfnResource, CustomResource, Stack } from 'aws-cdk-lib';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { ROUTE_RULE_TAG } from '../../lambdas/core/events';
import type { TestRouteBinding } from '../test-route';
import { InfraOwner } from './infra-owner';
import { Slots } from './slots';

export const ROUTES_RESOURCE_TYPE = 'Custom::BlueGreenRoutes';

export interface RoutesProps {
  readonly productionListener: elbv2.IApplicationListener;
  /** Absent with a header test route (`testRoute.headerName`): its rule is on the production listener. */
  readonly testListener?: elbv2.IApplicationListener;
  readonly testRoute: TestRouteBinding;
  readonly slots: Slots;
  /** Answers the routes resource; granted the rule writes here. */
  readonly infraOwner: InfraOwner;
}

/**
 * The routes: `Custom::BlueGreenRoutes` creates rule a on the production listener and rule b on
 * the test listener (or, for a header test route, a header rule ahead of production on the
 * production listener), and from then on only the control plane moves them (invariant 6).
 */
export class Routes {
  public readonly resource: CustomResource;
  public readonly productionRuleArn: string;
  public readonly testRuleArn: string;

  constructor(scope: Construct, props: RoutesProps) {
    const stack = Stack.of(scope);
    this.resource = new CustomResource(scope, 'Routes', {
      serviceToken: props.infraOwner.serviceToken,
      resourceType: ROUTES_RESOURCE_TYPE,
      properties: {
        ProductionListenerArn: props.productionListener.listenerArn,
        ...testRouteProperties(props),
        SlotATargetGroupArn: props.slots.a.targetGroup.targetGroupArn,
        SlotBTargetGroupArn: props.slots.b.targetGroup.targetGroupArn,
      },
    });
    // A service can only register with a target group that a listener rule already forwards to.
    props.slots.a.resource.node.addDependency(this.resource);
    props.slots.b.resource.node.addDependency(this.resource);
    this.productionRuleArn = this.resource.getAttString('ProductionRuleArn');
    this.testRuleArn = this.resource.getAttString('TestRuleArn');
    const listenerArns = [props.productionListener, ...(props.testListener ? [props.testListener] : [])].map((l) => l.listenerArn);
    this.grantRuleOwnership(stack, props.infraOwner, listenerArns, props.testRoute.headerName !== undefined);
  }

  /** The two rules, by the ARNs the routes resource answers with (they exist before any release function). */
  public get ruleArns(): string[] {
    return [this.productionRuleArn, this.testRuleArn];
  }

  /**
   * The infra owner's rule writes are scoped by the tags every rule of this Routes resource
   * carries (this stack, this resource), not by listener: a rule stays writable on a listener
   * the template has moved away from, and CloudFormation's rollback needs no rule on a listener
   * the policy no longer names.
   */
  private grantRuleOwnership(stack: Stack, infraOwner: InfraOwner, listenerArns: string[], headerRoute: boolean): void {
    const owner = infraOwner.handler;
    const routesLogicalId = (this.resource.node.defaultChild as CfnResource).logicalId;
    const ruleTags = (key: 'aws:RequestTag' | 'aws:ResourceTag') => ({
      [`${key}/${ROUTE_RULE_TAG.stack}`]: stack.stackId,
      [`${key}/${ROUTE_RULE_TAG.resource}`]: routesLogicalId,
    });
    const anyListenerRule = stack.formatArn({ service: 'elasticloadbalancing', resource: 'listener-rule', resourceName: 'app/*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    owner.allow(['elasticloadbalancing:CreateRule'], listenerArns, { StringEquals: ruleTags('aws:RequestTag') });
    // Tags given to CreateRule are authorised as AddTags on the new rule (ELB API permissions to tag resources during creation).
    owner.allow(['elasticloadbalancing:AddTags'], [anyListenerRule], {
      StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule', ...ruleTags('aws:RequestTag') },
    });
    // With a header route, SetRulePriorities moves production behind the header rule (a priority, never a
    // route); it takes the listener-rule resource type and aws:ResourceTag like ModifyRule (Service
    // Authorization Reference, Elastic Load Balancing V2).
    const ruleWrites = ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule', ...(headerRoute ? ['elasticloadbalancing:SetRulePriorities'] : [])];
    owner.allow(ruleWrites, [anyListenerRule], { StringEquals: ruleTags('aws:ResourceTag') });
    // Describe actions have no resource-level permissions.
    owner.allow(['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetHealth'], ['*']);
  }
}

/** The test route's properties of Custom::BlueGreenRoutes: the test listener, or the header rule's condition. */
function testRouteProperties(props: RoutesProps): Record<string, unknown> {
  const { headerName, headerValue, sourceCidrs } = props.testRoute;
  if (headerName === undefined) return { TestListenerArn: props.testListener!.listenerArn };
  return {
    TestHeaderName: headerName,
    ...(headerValue !== undefined ? { TestHeaderValue: headerValue } : {}),
    ...(sourceCidrs !== undefined ? { TestSourceCidrs: sourceCidrs } : {}),
  };
}
