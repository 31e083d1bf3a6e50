import { Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { grantsOnlyForAwsResources } from './secure-defaults';

/**
 * The key that seals the state record and the release lease (SecureString parameters). Anyone in
 * the account whose IAM policy allows it may decrypt through SSM, so `bluegreen status` can read
 * the record; only the control-plane roles named with `addSealer` may encrypt with it, so nobody
 * else can write a record the control plane will trust (a rollback relies on it for the previous
 * digest and the execution that approved it).
 *
 * The key policy names the sealing roles in an `aws:PrincipalArn` condition on the account
 * principal rather than as principals: KMS rejects a key policy that names an IAM role it cannot
 * see yet, which a role created in the same deployment may be.
 */
export class StateKey extends Construct {
  public readonly key: kms.Key;
  private readonly sealers: string[] = [];

  constructor(scope: Construct, id: string, props: { readonly removalPolicy: RemovalPolicy }) {
    super(scope, id);
    const stack = Stack.of(this);
    const account = new iam.AccountRootPrincipal();
    const viaSsm = { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com`, 'kms:CallerAccount': stack.account };
    this.key = new kms.Key(this, 'Key', {
      description: 'Seals the blue/green state record and release lease: only the control plane encrypts with it',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      policy: new iam.PolicyDocument({
        statements: [
          // Key administration stays with the account (IAM policies decide who), but not encryption.
          new iam.PolicyStatement({
            sid: 'AccountAdministersTheKey',
            principals: [account],
            actions: [
              'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
              'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource',
              'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:RotateKeyOnDemand',
            ],
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'ReadersDecryptThroughSsm',
            principals: [account],
            actions: ['kms:Decrypt', 'kms:DescribeKey'],
            resources: ['*'],
            conditions: { StringEquals: viaSsm },
          }),
          new iam.PolicyStatement({
            sid: 'OnlyTheControlPlaneSeals',
            principals: [account],
            actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
            conditions: {
              StringEquals: viaSsm,
              ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.sealers }) },
            },
          }),
          grantsOnlyForAwsResources(),
        ],
      }),
    });
  }

  /** Names a control-plane role in the key policy as one that may seal; its IAM policy needs `sealStatement()` too. */
  public addSealer(role: iam.IRole): void {
    this.sealers.push(role.roleArn);
  }

  /** What writing (and reading) the record and the lease takes in IAM: the key, through SSM only. */
  public sealStatement(): iam.PolicyStatement {
    return this.statement(['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']);
  }

  /** Lets a principal read the record and the lease (decrypt through SSM only). */
  public grantUnseal(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `ssm.${Stack.of(this).region}.amazonaws.com` } },
    });
  }

  private statement(actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions,
      resources: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `ssm.${Stack.of(this).region}.amazonaws.com` } },
    });
  }
}
