import type { BlueGreenPipelineProps } from '../blue-green-pipeline-props';
import { repositoryWarnings } from './capacity-validation';

/**
 * The props that are valid but probably not what was meant, as [id, message] for a synthesis
 * warning.
 */
export function propWarnings(props: BlueGreenPipelineProps): Array<[string, string]> {
  const warnings: Array<[string, string]> = [];
  if (props.bakeTime !== undefined && !props.bakeTime.isUnresolved() && props.bakeTime.toMilliseconds() === 0) {
    warnings.push([
      'cdk-blue-green-pipeline:noBake',
      'bakeTime is 0: the Release stage has no Bake action, so nothing watches a new release and nothing rolls it back by itself; rolling back is up to an operator (bluegreen rollback).',
    ]);
  }
  if (props.preApprovalTests && props.testRoute?.kind === 'header' && props.testRoute.bind([]).sourceCidrs !== undefined) {
    warnings.push([
      'cdk-blue-green-pipeline:testsSourceAddress',
      'preApprovalTests with a header test route limited to testListenerAllowedCidrs: the header rule forwards the tests to green only when their source address is in those CIDRs (the VPC\'s private addresses for an internal load balancer, the NAT gateway\'s public address for an internet-facing one); from anywhere else their requests reach production.',
    ]);
  }
  warnings.push(...repositoryWarnings(props));
  return warnings;
}
