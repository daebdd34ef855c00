// §12 end to end on the local cloud: a chat message posted with a known x-correlation-id is answered, the BC
// request it causes (API → events → queue → worker → MCP server → BC) carries that id, and so does every
// event of its plan in the audit log.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect, it } from 'vitest';
import { Chat, resourceName, sandboxGet, withAgentCloud } from '../support/chat.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';

let cloud: TestCloud;
let token: string;

withAgentCloud(async (started) => {
  cloud = started;
  token = await cloud.token({ sub: 'alice', tenant: 'local' });
});

it('one correlation id finds the message’s API call, its BC request and its audit trail', async () => {
  const correlationId = `corr-e2e-${randomUUID()}`;
  const truth = await sandboxGet(cloud, 'customers/$count');
  cloud.sandbox.clearRequests();

  const posted = await fetch(`${cloud.urls.api}/v1/sessions/s-correlation/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-correlation-id': correlationId },
    body: JSON.stringify({ text: 'count customers' }),
  });
  const body = (await posted.json()) as { planId: string };
  expect(posted.status, JSON.stringify(body)).toBe(202);
  expect(posted.headers.get('x-correlation-id')).toBe(correlationId);

  const chat = new Chat(cloud, token, 's-correlation');
  const plan = await chat.until(body.planId);
  expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
  expect(plan.response).toBe(`There are ${truth} customers.`);

  // BC saw the message's id on the request that counted the customers (and nothing else since the clear).
  const requests = cloud.sandbox.requests();
  expect(requests.filter((r) => r.entitySet === 'customers').map((r) => r.correlationId)).toEqual([correlationId]);
  expect(requests.every((r) => r.correlationId === correlationId)).toBe(true);

  // The audit log of the plan: every event, from the planner's through the worker's BC operation to the
  // answer, carries the same id.
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
  const expected = ['task:created', 'bc:operation:start', 'bc:operation:success', 'task:completed', 'agent:completed'];
  const audit = await eventually('the plan’s events in the audit log', async () => {
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: resourceName(cloud, 'AWS::DynamoDB::Table', 'TablesAudit'),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#local#PLAN#${body.planId}` },
      }),
    );
    const names = new Set(Items.map((i) => i.name as string));
    return expected.every((name) => names.has(name)) ? Items : undefined;
  }, 30_000);
  expect(audit.map((i) => [i.name, i.correlationId]).filter(([, id]) => id !== correlationId)).toEqual([]);
  expect(audit.every((i) => (JSON.parse(i.detail as string) as { correlationId?: string }).correlationId === correlationId)).toBe(true);
});
