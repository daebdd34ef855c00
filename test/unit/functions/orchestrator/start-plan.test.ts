// startPlan when a write fails midway: what the session shows must never point at a plan that was not stored,
// and nothing is published for a plan that was not stored.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlan } from '../../../../functions/orchestrator/start-plan.js';
import { createLogger } from '../../../../functions/core/observability/index.js';
import { createStateStore, type StateStore } from '../../../../functions/core/store/index.js';
import { startDynamo, type TestDynamo } from '../../../support/dynamo.js';
import { recordingBus } from '../../../support/approvals.js';
import { scriptedPlanner } from '../../../support/scripted-planner.js';

let dynamo: TestDynamo;
let store: StateStore;
const logger = createLogger('start-plan-test');
logger.setLogLevel('SILENT');

beforeAll(async () => {
  dynamo = await startDynamo();
  store = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
});
afterAll(async () => {
  await dynamo.stop();
});

const input = (tenantId: string) => ({ tenantId, sessionId: 's-1', userId: 'alice', text: 'count customers', correlationId: 'corr-00000001' });

describe('startPlan when the store fails midway', () => {
  it('leaves no message pointing at a plan that could not be stored, and publishes nothing', async () => {
    const failing: StateStore = {
      ...store,
      plans: Object.assign(Object.create(store.plans) as typeof store.plans, {
        createPlan: () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
      }),
    };
    const bus = recordingBus();
    await expect(startPlan({ store: failing, planner: scriptedPlanner, publisher: bus, logger }, input('plan-write-fails'))).rejects.toThrow(
      /ProvisionedThroughput/,
    );
    expect(await store.sessions.listMessages('plan-write-fails', 's-1')).toEqual([]);
    expect(bus.events).toEqual([]);
  });

  it('does not leave a running plan behind when its message cannot be stored', async () => {
    const failing: StateStore = {
      ...store,
      sessions: Object.assign(Object.create(store.sessions) as typeof store.sessions, {
        appendMessage: () => Promise.reject(new Error('InternalServerError')),
      }),
    };
    const bus = recordingBus();
    await expect(startPlan({ store: failing, planner: scriptedPlanner, publisher: bus, logger }, input('message-write-fails'))).rejects.toThrow(
      /InternalServerError/,
    );
    expect(bus.events).toEqual([]);
    const { Items = [] } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.STATE_TABLE }));
    const plans = Items.filter((i) => String(i.pk).startsWith('TENANT#message-write-fails#PLAN#'));
    expect(plans.filter((p) => p.status !== 'failed')).toEqual([]);
  });
});
