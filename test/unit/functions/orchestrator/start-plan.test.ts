// startPlan when a write fails midway: what the session shows must never point at a plan that was not stored,
// and nothing is published for a plan that was not stored.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { startPlan } from '../../../../functions/orchestrator/start-plan.js';
import type { StateStore } from '../../../../functions/core/store/index.js';
import type { TestDynamo } from '../../../support/dynamo.js';
import { recordingBus } from '../../../support/approvals.js';
import { scriptedPlanner } from '../../../support/scripted-planner.js';
import { silentLogger, withTestStore } from '../../../support/execution.js';

let dynamo: TestDynamo;
let store: StateStore;
const logger = silentLogger();
withTestStore((fixture) => ({ dynamo, store } = fixture));

const input = (tenantId: string) => ({ tenantId, sessionId: 's-1', userId: 'alice', text: 'count customers', correlationId: 'corr-00000001' });

/** startPlan for `tenantId` over the store with one write failing with `error`; it must fail with that error. */
async function startWhileFailing<P extends 'plans' | 'sessions'>(part: P, write: keyof StateStore[P], error: string, tenantId: string) {
  const failing: StateStore = { ...store, [part]: Object.assign(Object.create(store[part]) as object, { [write]: () => Promise.reject(new Error(error)) }) };
  const bus = recordingBus();
  await expect(startPlan({ store: failing, planner: scriptedPlanner, publisher: bus, logger }, input(tenantId))).rejects.toThrow(error);
  return bus;
}

describe('startPlan when the store fails midway', () => {
  it('leaves no message pointing at a plan that could not be stored, and publishes nothing', async () => {
    const bus = await startWhileFailing('plans', 'createPlan', 'ProvisionedThroughputExceededException', 'plan-write-fails');
    expect(await store.sessions.listMessages('plan-write-fails', 's-1')).toEqual([]);
    expect(bus.events).toEqual([]);
  });

  it('does not leave a running plan behind when its message cannot be stored', async () => {
    const bus = await startWhileFailing('sessions', 'appendMessage', 'InternalServerError', 'message-write-fails');
    expect(bus.events).toEqual([]);
    const { Items = [] } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.STATE_TABLE }));
    const plans = Items.filter((i) => String(i.pk).startsWith('TENANT#message-write-fails#PLAN#'));
    expect(plans.filter((p) => p.status !== 'failed')).toEqual([]);
  });
});
