// The saga's state machine as the stack synthesizes it: the dev stack is built in-process (no bundling), its
// AWS::StepFunctions::StateMachine definition resolved the way the local cloud resolves it (LocalStack), with
// the ARN of the saga-steps function and the bus name it targets.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { configFor, type ConfigOverrides } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/constructs/handler-function.js';
import { BcAgentStack } from '../../lib/stack.js';
import { LocalStack } from '../../local/cloud/template/local-stack.js';
import { readStateMachines } from '../../local/cloud/template/model.js';
import type { CfnTemplate } from '../../local/cloud/template/types.js';

export interface SynthesizedSaga {
  name: string;
  /** ASL JSON text with every intrinsic resolved. */
  definition: string;
  stepsFunctionArn: string;
  busName: string;
  /** The steps function's environment variables that are plain strings in the template (e.g. SAGA_RESERVATIONS). */
  stepsEnvironment: Record<string, string>;
}

const STACK_NAME = 'BcAgent-dev';

/** `overrides`: the dev stage's configuration overrides (e.g. `{ saga: { reservations: true } }`); none: dev's defaults. */
export function synthesizeSaga(aws: { url: string; region: string; accountId: string }, overrides: ConfigOverrides = {}): SynthesizedSaga {
  const outdir = mkdtempSync(join(tmpdir(), 'saga-synth-'));
  try {
    const context = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
    const stack = new BcAgentStack(app, STACK_NAME, { config: configFor('dev', overrides) });
    const template = app.synth().getStackByName(STACK_NAME).template as CfnTemplate;
    const local = new LocalStack(template, {
      stackName: STACK_NAME, region: aws.region, accountId: aws.accountId, awsUrl: aws.url,
      apiUrl: 'http://127.0.0.1:1', functionUrl: 'http://127.0.0.1:1/',
    });
    const logicalId = (element: unknown) => Stack.of(stack).getLogicalId(element as CfnElement);
    const machineId = logicalId(stack.saga.stateMachine.node.defaultChild);
    const machine = readStateMachines(local).find((m) => m.logicalId === machineId);
    if (!machine) throw new Error(`the template has no state machine ${machineId}`);
    const stepsId = logicalId(stack.saga.steps.function.node.defaultChild);
    const variables = (template.Resources[stepsId]?.Properties as { Environment?: { Variables?: Record<string, unknown> } } | undefined)?.Environment?.Variables ?? {};
    return {
      stepsEnvironment: Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
      name: machine.name,
      definition: machine.definition,
      stepsFunctionArn: String(local.getAtt(logicalId(stack.saga.steps.function.node.defaultChild), 'Arn')),
      busName: String(local.ref(logicalId(stack.backbone.bus.node.defaultChild))),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The same definition with every retrier waiting 1 s flat (IntervalSeconds 1, BackoffRate 1, no jitter or
 * cap) so a test sees every retry without the production backoff; which errors are retried and how often
 * is unchanged.
 */
export function withShortRetries(definition: string): string {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.Retry)) {
      for (const retrier of record.Retry as Record<string, unknown>[]) {
        retrier.IntervalSeconds = 1;
        retrier.BackoffRate = 1;
        delete retrier.JitterStrategy;
        delete retrier.MaxDelaySeconds;
      }
    }
    Object.values(record).forEach(visit);
  };
  const parsed = JSON.parse(definition) as unknown;
  visit(parsed);
  return JSON.stringify(parsed);
}
