import { PolicyStatement, allowed, resolveCfn } from './iam';

const RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/alb/1/2/3';
const statements: PolicyStatement[] = [
  { Effect: 'Allow', Action: ['elasticloadbalancing:DeleteRule'], Resource: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/*', Condition: { StringEquals: { 'aws:ResourceTag/bluegreen:stack': 'stack-1' } } },
  { Effect: 'Allow', Action: 'elasticloadbalancing:Describe*', Resource: '*' },
];

describe('the IAM model', () => {
  test('allows only what a statement allows, conditions included, and denies everything else', () => {
    expect(allowed(statements, { action: 'elasticloadbalancing:DeleteRule', resource: RULE, context: { 'aws:ResourceTag/bluegreen:stack': 'stack-1' } })).toBe(true);
    expect(allowed(statements, { action: 'elasticloadbalancing:DeleteRule', resource: RULE, context: { 'aws:ResourceTag/bluegreen:stack': 'stack-2' } })).toBe(false);
    expect(allowed(statements, { action: 'elasticloadbalancing:DeleteRule', resource: RULE, context: {} })).toBe(false);
    expect(allowed(statements, { action: 'elasticloadbalancing:ModifyRule', resource: RULE, context: { 'aws:ResourceTag/bluegreen:stack': 'stack-1' } })).toBe(false);
    expect(allowed(statements, { action: 'elasticloadbalancing:DescribeTags', resource: '*', context: {} })).toBe(true);
    expect(allowed([...statements, { Effect: 'Deny', Action: '*', Resource: '*' }], { action: 'elasticloadbalancing:DescribeTags', resource: '*', context: {} })).toBe(false);
    expect(() => allowed([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { NumericLessThan: { k: '1' } } }], { action: 'a', resource: 'r', context: {} })).toThrow(/not modelled/);
  });

  test('resolves the intrinsics a synthesized policy uses, and refuses an unmapped reference', () => {
    const listener = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb/1/2';
    const pattern = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x/', { 'Fn::Select': [4, { 'Fn::Split': ['/', { Ref: 'L' }] }] }, '/*']] };
    expect(resolveCfn(pattern, { 'AWS::Partition': 'aws', L: listener })).toBe('arn:aws:x/2/*');
    expect(() => resolveCfn({ 'Fn::GetAtt': ['Fn', 'Arn'] }, {})).toThrow(/no value for Fn.Arn/);
  });
});
