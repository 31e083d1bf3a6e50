// EC2 security group rules, for the default security group the infra owner closes.
//
// * A new VPC's default security group has an inbound rule allowing all traffic from the group
//   itself and an outbound rule allowing all IPv4 traffic (VPC User Guide, "Default security
//   groups for your VPCs").
// * RevokeSecurityGroupIngress / RevokeSecurityGroupEgress remove the rules that match the given
//   permissions exactly; "If the values you specify do not match the existing rule's values, an
//   InvalidPermission.NotFound client error is returned, and no rules are revoked" (EC2 API
//   Reference). An unknown group is InvalidGroup.NotFound.
import { CommandFn, ServiceModel, WorldRef } from './common';
import { awsError } from './errors';

type Permission = { IpProtocol: string; IpRanges?: { CidrIp: string }[]; UserIdGroupPairs?: { GroupId: string; UserId?: string }[] };

/** One rule as a comparable key: protocol and the one peer (a CIDR or a group). */
const ruleKeys = (p: Permission): string[] => [
  ...(p.IpRanges ?? []).map((r) => `${p.IpProtocol} cidr ${r.CidrIp}`),
  ...(p.UserIdGroupPairs ?? []).map((g) => `${p.IpProtocol} group ${g.GroupId}`),
];

export interface SecurityGroupRules {
  readonly ingress: Set<string>;
  readonly egress: Set<string>;
}

export class Ec2Model implements ServiceModel {
  readonly securityGroups = new Map<string, SecurityGroupRules>();

  constructor(private readonly world: WorldRef) {}

  /** A VPC's default security group, with its two default rules. */
  addDefaultSecurityGroup(groupId: string): SecurityGroupRules {
    const rules = { ingress: new Set([`-1 group ${groupId}`]), egress: new Set(['-1 cidr 0.0.0.0/0']) };
    this.securityGroups.set(groupId, rules);
    return rules;
  }

  private revoke(direction: 'ingress' | 'egress'): CommandFn {
    return (input: { GroupId: string; IpPermissions: Permission[] }) => {
      const group = this.securityGroups.get(input.GroupId);
      if (!group) throw awsError('ec2', 'InvalidGroup.NotFound', `The security group '${input.GroupId}' does not exist`);
      const keys = input.IpPermissions.flatMap(ruleKeys);
      if (keys.length === 0 || keys.some((k) => !group[direction].has(k))) {
        throw awsError('ec2', 'InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
      }
      for (const k of keys) group[direction].delete(k);
      return { Return: true };
    };
  }

  readonly commands: Record<string, CommandFn> = {
    RevokeSecurityGroupIngress: this.revoke('ingress'),
    RevokeSecurityGroupEgress: this.revoke('egress'),
  };
}
