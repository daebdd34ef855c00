// The handler's dependencies as the environment wires them: the correlation id of the running step reaches
// BC as a header, and a breaker transition caused by a step is published as breaker:state-changed in that
// step's context.
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runSagaStep, sagaDepsFromEnv, withSagaContext, type PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { startDynamo, type TestDynamo } from '../../../../support/dynamo.js';
import { observerClient, orderFixture, recordingPublisher, sagaInput, type OrderFixture, type RecordingPublisher } from '../../../../support/saga.js';
import { sandboxBcEnv } from '../../../../support/bc-sandbox.js';

let sandbox: BcSandbox;
let dynamo: TestDynamo;
let fixture: OrderFixture;
let publisher: RecordingPublisher;
let deps: PurchaseOrderSagaDeps;
const sentHeaders: Headers[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  [sandbox, dynamo] = await Promise.all([startBcSandbox({ port: 0 }), startDynamo()]);
  fixture = await orderFixture(observerClient(sandbox));
  Object.assign(process.env, dynamo.env);
  publisher = recordingPublisher();
  const env = {
    ...dynamo.env,
    ...sandboxBcEnv(sandbox),
    BREAKER_THRESHOLD: '2',
  };
  const capture: typeof fetch = (input, init) => {
    sentHeaders.push(new Headers(init?.headers));
    return fetch(input, init);
  };
  deps = await sagaDepsFromEnv(env, new Logger({ logLevel: 'SILENT' }), { publisher, bcMaxRetries: 0, bcOptions: { fetch: capture } });
});

afterAll(async () => {
  await Promise.all([sandbox?.stop(), dynamo?.stop()]);
  process.env = savedEnv;
});

it('sends the step correlation id to BC and publishes breaker transitions in the step context', async () => {
  const input = sagaInput(fixture);
  const context = { tenantId: input.tenantId, sessionId: input.sessionId, planId: input.planId, taskId: input.taskId, correlationId: input.correlationId };
  await withSagaContext(context, () => runSagaStep(deps, 'validate', input));
  const apiCalls = sentHeaders.filter((h) => h.has('authorization'));
  expect(apiCalls.length).toBeGreaterThan(0);
  expect(apiCalls.every((h) => h.get('x-correlation-id') === input.correlationId)).toBe(true);

  sandbox.addFault({ entitySet: 'vendors', status: 503, count: 2 });
  for (let i = 0; i < 2; i++) {
    await expect(withSagaContext(context, () => runSagaStep(deps, 'validate', input))).rejects.toMatchObject({ name: 'BcTransientError' });
  }
  const transitions = publisher.events.filter((e) => e.name === 'breaker:state-changed');
  expect(transitions).toHaveLength(1);
  expect(transitions[0]!.detail).toMatchObject({
    breakerKey: `bc:${sandbox.tenant}:${sandbox.environment}`,
    from: 'closed',
    to: 'open',
    failureCount: 2,
    taskId: input.taskId,
    correlationId: input.correlationId,
  });
});
