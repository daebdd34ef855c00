// With an Anthropic key in Secrets Manager, exactly the functions that call Claude get its ARN and may read it.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { configFor } from '../../lib/config.js';
import { BcAgentStack } from '../../lib/stack.js';
import { logicalIdOf, referencedId, resourcesOf } from './support.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bc-agent/anthropic-AbCdEf';

describe('the Anthropic key', () => {
  it('reaches the orchestrator, the analysis worker and plan progress only', () => {
    const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new BcAgentStack(app, 'BcAgent-staging', {
      config: configFor('staging', { claude: { secretArn: SECRET_ARN, model: 'claude-opus-4-1' } }),
    });
    const template = Template.fromStack(stack);
    const callers = [stack.orchestrator, stack.workers.analysis.handler, stack.consumers.planProgress.handler];
    const callerFunctions = callers.map((handler) => logicalIdOf(stack, handler.function));
    const callerRoles = callers.map((handler) => logicalIdOf(stack, handler.role));

    for (const [id, fn] of Object.entries(resourcesOf(template, 'AWS::Lambda::Function'))) {
      const env = fn.Properties!.Environment.Variables;
      if (callerFunctions.includes(id)) {
        expect(env, id).toMatchObject({ ANTHROPIC_SECRET_ARN: SECRET_ARN, ANTHROPIC_MODEL: 'claude-opus-4-1' });
      } else {
        expect(env.ANTHROPIC_SECRET_ARN, id).toBeUndefined();
      }
    }
    const readers = Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties!.PolicyDocument).includes(SECRET_ARN))
      .map((policy) => referencedId(policy.Properties!.Roles[0]));
    expect(readers.sort()).toEqual([...callerRoles].sort());
  });
});
