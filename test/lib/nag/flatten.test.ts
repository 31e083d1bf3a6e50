import * as fc from 'fast-check';
// cdk-nag's own flattening, which names the findings the construct acknowledges.
import { flattenCfnReference as nagFlatten } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { flattenCfnReference } from '../../../lib/private/nag-acknowledgements';

const cfnValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('*', 'arn:aws:s3:::bucket/*', '${AWS::Partition}', ':listener-rule/app/', 'plain'),
    fc.record({ Ref: fc.constantFrom('AWS::AccountId', 'Listener1', 'Bucket2') }),
    fc.record({ 'Fn::GetAtt': fc.tuple(fc.constantFrom('Bucket2', 'Function3'), fc.constantFrom('Arn', 'LoadBalancerFullName')) }),
    fc.record({ 'Fn::Join': fc.tuple(fc.constantFrom('', '/', ':'), fc.array(tie('value'), { maxLength: 4 })) }),
    fc.record({ 'Fn::Select': fc.tuple(fc.nat(4), tie('value')) }),
    fc.record({ 'Fn::Split': fc.tuple(fc.constantFrom('/', ':'), tie('value')) }),
    fc.record({ 'Fn::ImportValue': fc.constantFrom('Shared-Arn') }),
  ),
})).value;

describe('flattenCfnReference', () => {
  test('it names a resolved value exactly as cdk-nag does in its finding ids', () => {
    fc.assert(fc.property(cfnValue, (value) => flattenCfnReference(value) === nagFlatten(value)), { numRuns: 500 });
  });

  test('it joins, references and falls back to JSON like the findings it acknowledges', () => {
    const value = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/', { 'Fn::Select': [1, ['a', 'b']] }, '/*']],
    };
    expect(flattenCfnReference(value)).toBe('arn:<AWS::Partition>:s3:::<Bucket.Arn>/{"Fn::Select":[1,["a","b"]]}/*');
  });
});
