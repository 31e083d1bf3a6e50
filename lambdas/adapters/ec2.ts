// The VPC's default security group, closed (invariant-free hardening: nothing of the release uses
// it). A new VPC's default group has two rules (VPC User Guide, "Default security groups for your
// VPCs"): inbound all traffic from the group itself, and outbound all IPv4 traffic.
import { EC2Client, RevokeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { errorName } from './clients';

/** EC2's answer when the rule to revoke is not there (EC2 API Reference, error codes). */
const NOT_FOUND = 'InvalidPermission.NotFound';

async function revoke(send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (err) {
    if (errorName(err) === NOT_FOUND) return false;
    throw err;
  }
}

/** Revokes both default rules of `groupId`; a rule already gone is fine. Says which it revoked. */
export async function closeDefaultSecurityGroup(ec2: EC2Client, groupId: string): Promise<{ ingress: boolean; egress: boolean }> {
  const ingress = await revoke(() =>
    ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }] })),
  );
  const egress = await revoke(() =>
    ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })),
  );
  return { ingress, egress };
}
