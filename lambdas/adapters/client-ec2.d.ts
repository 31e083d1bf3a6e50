// The part of @aws-sdk/client-ec2 the infra owner uses. The package is not bundled: the Lambda
// Node.js runtimes include the AWS SDK for JavaScript v3 (Lambda Developer Guide, "Building
// Lambda functions with Node.js"), and aws-cdk-lib's own default-security-group handler loads
// this client from the runtime in the same way. Tests map the module to test/support/model/client-ec2.ts.
declare module '@aws-sdk/client-ec2' {
  export interface IpPermission {
    IpProtocol: string;
    IpRanges?: { CidrIp: string }[];
    UserIdGroupPairs?: { GroupId: string; UserId?: string }[];
  }
  export interface RevokeSecurityGroupRulesInput {
    GroupId: string;
    IpPermissions: IpPermission[];
  }
  export class RevokeSecurityGroupIngressCommand {
    constructor(input: RevokeSecurityGroupRulesInput);
    readonly input: RevokeSecurityGroupRulesInput;
  }
  export class RevokeSecurityGroupEgressCommand {
    constructor(input: RevokeSecurityGroupRulesInput);
    readonly input: RevokeSecurityGroupRulesInput;
  }
  export class EC2ServiceException extends Error {
    readonly $fault: 'client' | 'server';
  }
  export class EC2Client {
    constructor(config: object);
    send(command: RevokeSecurityGroupIngressCommand | RevokeSecurityGroupEgressCommand): Promise<{ Return?: boolean }>;
  }
}
