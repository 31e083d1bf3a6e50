// Stands in for @aws-sdk/client-ec2 in tests (jest.config.js moduleNameMapper): the infra owner
// takes the EC2 client from the Lambda runtime rather than from its bundle, and the package is not
// a dependency of this repository. The shapes are the SDK's: a Client whose `send` takes Command
// objects carrying `input`, and a ServiceException base class, so aws-sdk-client-mock installs
// the model under it like under every other client.
export class EC2ServiceException extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: object;
  constructor(options: { name?: string; message?: string; $fault?: 'client' | 'server'; $metadata?: object }) {
    super(options.message);
    this.name = options.name ?? 'EC2ServiceException';
    this.$fault = options.$fault ?? 'client';
    this.$metadata = options.$metadata ?? {};
  }
}

class Command<I> {
  constructor(readonly input: I) {}
}

interface RevokeInput {
  GroupId: string;
  IpPermissions: { IpProtocol: string; IpRanges?: { CidrIp: string }[]; UserIdGroupPairs?: { GroupId: string; UserId?: string }[] }[];
}

export class RevokeSecurityGroupIngressCommand extends Command<RevokeInput> {}
export class RevokeSecurityGroupEgressCommand extends Command<RevokeInput> {}

export class EC2Client {
  constructor(readonly config: object = {}) {}
  send(_command: Command<unknown>): Promise<unknown> {
    return Promise.reject(new Error('EC2Client: no AWS here; install the AwsWorld model (test/support/aws-model.ts)'));
  }
}
