// Which resources of the template hold state, and which of their properties cannot change in
// place. A change to such a property makes CloudFormation replace the resource (or refuse the
// update); a changed logical ID does the same. Either loses the state in every existing stack.
//
// Sources:
// * AWS resource types: `createOnlyProperties` of the CloudFormation resource provider schemas
//   (as shipped with cfn-lint 1.51.0, region eu-west-1), top-level properties only.
// * AWS::KMS::Key: the schema has none, but "If you change the value of the KeySpec, KeyUsage,
//   Origin, or MultiRegion properties of an existing KMS key, the update request fails"
//   (CloudFormation Template Reference, AWS::KMS::Key).
// * The custom resources: "ServiceToken … Updates aren't supported" (AWS::CloudFormation::CustomResource);
//   the infra owner refuses a change of a slot service's ClusterArn or ServiceName
//   (lambdas/infra-owner/slot-service.ts), which would replace the ECS service.

/** The state a resource of this type holds, and its properties that cannot change in place. */
export interface StatefulType {
  readonly holds: string;
  readonly createOnly: readonly string[];
}

export const STATEFUL_TYPES: Readonly<Record<string, StatefulType>> = {
  'AWS::ECR::Repository': { holds: 'every release image', createOnly: ['RepositoryName', 'EncryptionConfiguration'] },
  'AWS::S3::Bucket': { holds: 'artifacts and access logs', createOnly: ['BucketName', 'BucketNamePrefix', 'BucketNamespace'] },
  'AWS::KMS::Key': { holds: 'the keys to everything encrypted under it', createOnly: ['KeySpec', 'KeyUsage', 'Origin', 'MultiRegion'] },
  'AWS::Logs::LogGroup': { holds: 'logs kept for their retention period', createOnly: ['LogGroupName'] },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { holds: 'the DNS name clients resolve', createOnly: ['Name', 'Type', 'Scheme'] },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    holds: "a slot's registered tasks (production's targets)",
    createOnly: ['TargetType', 'ProtocolVersion', 'Port', 'Name', 'VpcId', 'Protocol', 'IpAddressType'],
  },
  'AWS::SQS::Queue': { holds: 'failed control-plane invocations', createOnly: ['FifoQueue', 'QueueName'] },
  'AWS::ECS::Cluster': { holds: 'the slot services and their tasks', createOnly: ['ClusterName'] },
  'AWS::EC2::VPC': { holds: 'every network interface of the stack', createOnly: ['CidrBlock', 'Ipv4IpamPoolId', 'Ipv4NetmaskLength'] },
  'AWS::CodeBuild::ReportGroup': { holds: 'the scan reports', createOnly: ['Name', 'Type'] },
  'Custom::BlueGreenSlotService': { holds: "a slot's running tasks", createOnly: ['ServiceToken', 'ClusterArn', 'ServiceName'] },
  'Custom::BlueGreenRoutes': { holds: 'the production and test routes', createOnly: ['ServiceToken'] },
};
