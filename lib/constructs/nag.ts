// Acknowledging cdk-nag findings (cdk-nag v3 reads CDK's Validations acknowledgements). Every acknowledgement
// names one finding and says why it is acceptable; there is no blanket suppression.
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The IAM5 finding for `<arn>:*` on `resource`: what CDK grants for a Lambda function's versions or a
 * table's indexes is named after the resource, so the wildcard stays inside one named resource.
 */
export function arnWildcardFinding(resource: IConstruct, suffix: string): string {
  const element = (resource.node.defaultChild ?? resource) as CfnElement;
  return `AwsSolutions-IAM5[Resource::<${Stack.of(element).getLogicalId(element)}.Arn>${suffix}]`;
}
