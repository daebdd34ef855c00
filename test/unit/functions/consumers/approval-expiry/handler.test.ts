// The scheduled expiry sweep's entry (functions/consumers/approval-expiry), configured only through its
// environment as CDK would configure it: it expires what is overdue in every tenant and announces it.
import { describe, expect, it } from 'vitest';
import { ApprovalService, ApprovalStore, DEFAULT_APPROVAL_SETTINGS } from '../../../../../functions/core/approvals/index.js';
import type { TestDynamo } from '../../../../support/dynamo.js';
import { withEntryEnvironment } from '../../../../support/handler-entry.js';
import type { PutEventsSink } from '../../../../support/put-events-sink.js';
import { recordingBus, recordingSaga, testClock, writeRequest } from '../../../../support/approvals.js';

let dynamo: TestDynamo;
let sink: PutEventsSink;
let handler: (typeof import('../../../../../functions/consumers/approval-expiry/index.js'))['handler'];

withEntryEnvironment({}, async (environment) => {
  ({ dynamo, sink } = environment);
  ({ handler } = await import('../../../../../functions/consumers/approval-expiry/index.js'));
});

describe('approval expiry sweep', () => {
  it('expires overdue approvals of every tenant and publishes approval:expired for each', async () => {
    // Requested an hour ago (15-minute deadline), and one just now.
    const past = new ApprovalService({
      store: new ApprovalStore(dynamo.doc, dynamo.tables.APPROVALS_TABLE),
      publisher: recordingBus(),
      settings: DEFAULT_APPROVAL_SETTINGS,
      saga: recordingSaga(),
      now: testClock(Date.now() - 60 * 60_000).now,
    });
    const current = new ApprovalService({ store: new ApprovalStore(dynamo.doc, dynamo.tables.APPROVALS_TABLE), publisher: recordingBus(), settings: DEFAULT_APPROVAL_SETTINGS, saga: recordingSaga() });
    const late = [await past.request(writeRequest('t-a')), await past.request(writeRequest('t-b'))];
    const fresh = await current.request(writeRequest('t-a'));

    expect(await handler()).toEqual({ expired: 2 });
    expect(sink.accepted.map((e) => [e.busName, e.detailType, e.detail.approvalId]).sort()).toEqual(
      late.map((a) => ['bc-agent-test', 'approval:expired', a.approvalId]).sort(),
    );
    expect(JSON.stringify(sink.accepted)).not.toContain(fresh.approvalId);
    expect(await handler()).toEqual({ expired: 0 });
  });
});
