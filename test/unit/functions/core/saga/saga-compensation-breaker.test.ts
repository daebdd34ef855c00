// Compensations meet an open breaker (issue 9): the saga's real state machine on the local AWS endpoint, its
// steps against the BC sandbox with a breaker that opens after two failures. The forward step is refused
// once the breaker is open; the compensations still go through, and BC ends exactly as before. Also: the
// events the state machine publishes itself carry an envelope the audit consumer can read.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from 'aws-lambda';
import type { BcClient } from '../../../../../functions/core/bc/index.js';
import { envelopeSchema } from '../../../../../functions/core/events/index.js';
import { orderKeyFor } from '../../../../../functions/core/saga/index.js';
import { createDocumentClient } from '../../../../../functions/core/store/index.js';
import { AuditLog } from '../../../../../functions/consumers/audit/audit-log.js';
import type { BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { TEST_TABLES } from '../../../../support/dynamo.js';
import { startSagaHarness, type SagaHarness } from '../../../../support/saga-harness.js';
import { bcSnapshot, sagaFootprint, sagaInput, type OrderFixture } from '../../../../support/saga.js';

let harness: SagaHarness;
let sandbox: BcSandbox;
let observer: BcClient;
let fixture: OrderFixture;

beforeAll(async () => {
  // The production open window (60 s); two counted failures open it.
  harness = await startSagaHarness({ shortRetries: true, env: { BREAKER_THRESHOLD: '2', BREAKER_OPEN_SECONDS: '60' } });
  ({ sandbox, observer, fixture } = harness);
  // The observer's keep-alive socket from the fixture outlived the sandbox's idle timeout during synthesis;
  // the first request on it may be reset (the observer does not retry), so one read opens a fresh one.
  await observer.companies().catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
});

beforeEach(() => {
  sandbox.clearFaults();
});

/** A task id as long as the write worker's (the execution is named after it, so its ARN is long too). */
const realisticTaskId = () => `task-${randomUUID()}-${randomUUID()}`;

// First: the breaker test below leaves the breaker open for its window.
describe('events the state machine publishes itself', () => {
  it('have the envelope the audit consumer reads, with a long execution ARN', async () => {
    const input = { ...sagaInput(fixture), taskId: realisticTaskId() };
    // Fail at reserveInventory: checkpoints, rollback:initiated and rollback:completed all get published.
    sandbox.addFault({ entitySet: 'itemReservations', method: 'POST', status: 400 });
    const { execution, events } = await harness.runSaga(input);
    sandbox.clearFaults();
    expect(execution.status).toBe('FAILED');
    const own = events.filter((e) => e.source === 'bc-agent.saga' && /^(checkpoint|rollback):/.test(e.name));
    expect(own.map((e) => e.name)).toEqual(['checkpoint:created', 'checkpoint:created', 'rollback:initiated', 'rollback:completed']);
    expect(String(own[0]!.detail.executionId).length).toBeGreaterThan(128);

    const audit = new AuditLog(createDocumentClient(), TEST_TABLES.AUDIT_TABLE, 30);
    for (const event of own) {
      expect(envelopeSchema.safeParse(event.detail).error).toBeUndefined();
      const { readable } = await audit.record(event.raw as unknown as EventBridgeEvent<string, unknown>);
      expect(readable, event.name).toBe(true);
      expect(event.detail).toMatchObject({ taskId: input.taskId, causationId: input.taskId });
    }
  });
});

describe('a saga whose breaker opens at the failing step', () => {
  it('is refused forward but compensates through the open breaker: BC ends exactly as before', async () => {
    const input = sagaInput(fixture);
    const before = await bcSnapshot(observer);
    sandbox.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', status: 503 });
    sandbox.resetStats();
    const started = Date.now();
    const { execution, events } = await harness.runSaga(input);
    const elapsedMs = Date.now() - started;
    const stats = sandbox.stats().byRoute;
    sandbox.clearFaults();

    expect(execution).toMatchObject({ status: 'FAILED', error: 'PurchaseOrderSagaFailed' });
    // The breaker opened and refused the forward step's later retries (fewer line POSTs than attempts × client tries).
    const breaker = events.find((e) => e.name === 'breaker:state-changed');
    expect(breaker?.detail).toMatchObject({ from: 'closed', to: 'open' });
    expect(stats['POST purchaseOrderLines']).toBeLessThan(4 * 2);
    const initiated = events.find((e) => e.name === 'rollback:initiated')!;
    expect(initiated.detail).toMatchObject({ failedStep: 'addLines', error: { message: expect.stringContaining('circuit open') } });
    // …while the compensations went through it.
    expect(events.some((e) => e.name === 'rollback:compensation-failed')).toBe(false);
    expect(events.find((e) => e.name === 'rollback:completed')!.detail).toMatchObject({ status: 'succeeded', compensated: ['deleteLines', 'deleteOrder'], failed: [] });
    expect(stats['DELETE purchaseOrders']).toBe(1);
    expect((await sagaFootprint(observer, orderKeyFor(input))).orders).toHaveLength(0);
    expect(await bcSnapshot(observer)).toEqual(before);
    // Within the breaker's open window plus one retry period.
    expect(elapsedMs).toBeLessThan(60_000 + 2_000);
  });
});
