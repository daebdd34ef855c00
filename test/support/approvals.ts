// Shared pieces of the approvals tests: an in-memory bus, a recording saga waiter, a controllable clock and
// a service over dynalite.
import type { DomainEvent, EventPublisher } from '../../functions/core/events/index.js';
import { ApprovalService, ApprovalStore, DEFAULT_APPROVAL_SETTINGS, type ApprovalRequest, type ApprovalSettings, type SagaApprovalOutput, type SagaWaiter } from '../../functions/core/approvals/index.js';
import { createStateStore, type StateStore } from '../../functions/core/store/index.js';
import type { TestDynamo } from './dynamo.js';

export interface RecordingBus extends EventPublisher {
  events: DomainEvent[];
  names(): string[];
  clear(): void;
}

/** A publisher that keeps what it is given (as source `source`). */
export function recordingBus(source = 'bc-agent.test'): RecordingBus {
  const events: DomainEvent[] = [];
  return {
    source,
    events,
    async publish(batch) {
      events.push(...batch);
      return { published: batch.length, failed: [], putEventsCalls: 1 };
    },
    names: () => events.map((e) => e.name),
    clear: () => void events.splice(0),
  };
}

export type SagaCall = { kind: 'succeed'; token: string; output: SagaApprovalOutput } | { kind: 'fail'; token: string; error: string; cause: string };

export function recordingSaga(): SagaWaiter & { calls: SagaCall[] } {
  const calls: SagaCall[] = [];
  return {
    calls,
    succeed: async (token, output) => void calls.push({ kind: 'succeed', token, output }),
    fail: async (token, error, cause) => void calls.push({ kind: 'fail', token, error, cause }),
  };
}

/** A clock the test moves. */
export function testClock(start = Date.parse('2026-03-01T10:00:00.000Z')) {
  let at = start;
  return {
    now: () => new Date(at),
    advanceMinutes: (minutes: number) => void (at += minutes * 60_000),
  };
}

export interface Harness {
  service: ApprovalService;
  store: ApprovalStore;
  state: StateStore;
  bus: RecordingBus;
  saga: ReturnType<typeof recordingSaga>;
  clock: ReturnType<typeof testClock>;
}

export function harness(dynamo: TestDynamo, settings: Partial<ApprovalSettings> = {}): Harness {
  const bus = recordingBus();
  const saga = recordingSaga();
  const clock = testClock();
  const store = new ApprovalStore(dynamo.doc, dynamo.tables.APPROVALS_TABLE);
  const state = createStateStore({ tableName: dynamo.tables.STATE_TABLE, db: dynamo.doc });
  const service = new ApprovalService({
    store,
    publisher: bus,
    settings: { ...DEFAULT_APPROVAL_SETTINGS, ...settings },
    saga,
    now: clock.now,
  });
  return { service, store, state, bus, saga, clock };
}

let counter = 0;
/** A single-write request in a fresh plan of `tenantId`, asked by alice. */
export function writeRequest(tenantId: string, overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  counter++;
  return {
    tenantId,
    sessionId: 'chat-1',
    planId: `plan-${counter}`,
    taskId: 't1',
    correlationId: `corr-${counter}`,
    requestedBy: 'alice',
    operation: { tool: 'bc_create_entity', arguments: { entity: 'customers', data: { displayName: 'Fabrikam' } } },
    summary: "Create a customer in customers with displayName = 'Fabrikam'.",
    ...overrides,
  };
}

export const approver = (tenantId: string, sub = 'carol') => ({ sub, tenantId, roles: ['approver'] });
