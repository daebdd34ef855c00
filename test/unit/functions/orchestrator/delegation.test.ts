// POST /v1/sessions/{id}/messages on a stage with per-user BC access: the caller's own bearer token is handed to
// the delegation exactly once per plan that will call BC (never for a reply or a plan that only validates), and a refused delegation answers
// 403 with BC's reason (503 when the identity provider is down) with nothing stored and nothing published.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createOrchestrator } from '../../../../functions/orchestrator/app.js';
import { DelegationRefusedError, type BcDelegationPort } from '../../../../functions/orchestrator/start-plan.js';
import { delegationPort } from '../../../../functions/orchestrator/delegation.js';
import { BcDelegationError, type BcDelegation } from '../../../../functions/core/bc/index.js';
import { createPublisher } from '../../../../functions/core/events/index.js';
import { startDynamo, TEST_CREDENTIALS, type TestDynamo } from '../../../support/dynamo.js';
import { startPutEventsSink, type PutEventsSink } from '../../../support/put-events-sink.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';
import { testOrchestrator } from '../../../support/orchestrator.js';

let dynamo: TestDynamo;
let sink: PutEventsSink;
let events: EventBridgeClient;

let accepted: Array<[string, string, string]> = [];
let refuse: Error | undefined;
const delegation: BcDelegationPort = {
  async accept(tenantId, userId, assertion) {
    accepted.push([tenantId, userId, assertion]);
    if (refuse) throw refuse;
    return { expiresAt: new Date().toISOString() };
  },
};

let handle: ReturnType<typeof createOrchestrator>;
beforeAll(async () => {
  dynamo = await startDynamo();
  sink = await startPutEventsSink();
  events = new EventBridgeClient({ endpoint: sink.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  handle = testOrchestrator(dynamo, {
    publisher: createPublisher({ busName: 'bc-agent-test', component: 'orchestrator', client: events, maxAttempts: 1, sleep: async () => {} }),
    delegation,
  });
});
afterAll(async () => {
  events.destroy();
  await sink.stop();
  await dynamo.stop();
});
beforeEach(() => {
  accepted = [];
  refuse = undefined;
  sink.reset();
});

const post = (tenant: string, text: string, authorization = 'Bearer eyJ.alice-api-token.sig') =>
  handle(httpEvent('POST', '/v1/sessions/s-1/messages', { body: JSON.stringify({ text }), claims: { sub: 'alice', tenant }, headers: { authorization } }));

async function storedFor(tenant: string): Promise<number> {
  const { Items = [] } = await dynamo.doc.send(new ScanCommand({ TableName: dynamo.tables.STATE_TABLE }));
  return Items.filter((i) => String(i.pk).includes(`#${tenant}#`) || String(i.pk).endsWith(`#${tenant}`)).length;
}

describe('messages under per-user BC access', () => {
  it("hands the caller's token to the delegation once per plan that calls BC, and never for a reply", async () => {
    const answer = await post('deleg-ok', 'count customers');
    expect(answer.statusCode).toBe(202);
    expect(accepted).toEqual([['deleg-ok', 'alice', 'eyJ.alice-api-token.sig']]);
    expect(await storedFor('deleg-ok')).toBeGreaterThan(0);
    expect(await post('deleg-ok', 'hello there')).toMatchObject({ statusCode: 202 });
    expect(accepted).toHaveLength(1);
    // A plan whose tasks never call BC (a validation against the catalogue) needs no grant either.
    expect(await post('deleg-ok', 'validate a customer')).toMatchObject({ statusCode: 202 });
    expect(accepted).toHaveLength(1);
  });

  it("answers BC's refusal readably, storing and publishing nothing", async () => {
    refuse = new DelegationRefusedError('BcSignInRequired', 'Business Central refused to act on behalf of alice: AADSTS50034: The user account alice does not exist in the local directory.', false);
    const answer = await post('deleg-refused', 'count customers');
    expect(answer.statusCode).toBe(403);
    expect(jsonBody(answer)).toEqual({ error: { code: 'BcSignInRequired', message: expect.stringMatching(/AADSTS50034/) } });
    expect(await storedFor('deleg-refused')).toBe(0);
    expect(sink.requests).toHaveLength(0);
  });

  it('answers 503 when the identity provider cannot be reached, and 403 without a bearer token', async () => {
    refuse = new DelegationRefusedError('BcDelegationUnavailable', 'the identity provider did not answer', true);
    expect((await post('deleg-down', 'count customers')).statusCode).toBe(503);
    refuse = undefined;
    const noToken = await post('deleg-none', 'count customers', 'Basic abc');
    expect(noToken.statusCode).toBe(403);
    expect(accepted).toHaveLength(1);
    expect(await storedFor('deleg-none')).toBe(0);
  });

  it("turns the BC package's refusals into the route's error, and leaves other failures alone", async () => {
    const refusing = (error: Error) => delegationPort({ accept: () => Promise.reject(error) } as unknown as BcDelegation);
    await expect(refusing(new BcDelegationError('BcDelegationMisconfigured', 'invalid_client', false)).accept('t', 'u', 'a')).rejects.toMatchObject({
      name: 'DelegationRefusedError',
      code: 'BcDelegationMisconfigured',
      transient: false,
    });
    await expect(refusing(new Error('KMS is down')).accept('t', 'u', 'a')).rejects.toThrow('KMS is down');
  });
});
