// Custom::BlueGreenDefaultSecurityGroup: closes the default security group of a VPC the construct
// created, in place of aws-cdk-lib's own function for it (which runs outside the VPC, with no
// dead-letter queue and an AWS-managed policy).
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CustomResourceEvent } from '../core/events';
import { closeDefaultSecurityGroup } from '../adapters/ec2';
import { ResourceResult } from './routes';

const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

function groupIdOf(props: Record<string, unknown>): string {
  const id = props.SecurityGroupId;
  if (typeof id !== 'string' || !GROUP_ID.test(id)) throw new Error(`SecurityGroupId must be a security group id like sg-0123456789abcdef0 (got ${JSON.stringify(id)})`);
  return id;
}

/**
 * Create and Update close the group named by SecurityGroupId (a changed id is a new VPC: its group
 * is closed). Delete leaves the group alone: it goes with its VPC.
 */
export async function defaultSecurityGroupResource(ec2: EC2Client, event: CustomResourceEvent): Promise<ResourceResult> {
  if (event.requestType === 'Delete') return { physicalResourceId: event.physicalResourceId ?? '', data: {} };
  const groupId = groupIdOf(event.properties);
  const revoked = await closeDefaultSecurityGroup(ec2, groupId);
  const what = [revoked.ingress ? 'the inbound rule' : '', revoked.egress ? 'the outbound rule' : ''].filter(Boolean).join(' and ');
  return {
    physicalResourceId: `bluegreen-default-sg:${groupId}`,
    data: { SecurityGroupId: groupId },
    note: what ? `Closed the default security group ${groupId}: revoked ${what}.` : undefined,
  };
}
