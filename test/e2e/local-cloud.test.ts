// Boots the local cloud from the real dev template and follows one message from the HTTP API through the
// bus to the audit table; checks the authorizer and what an operator sees through unmodified AWS SDK clients.
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient, ListEventBusesCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, ListQueuesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { generateKeyPair, SignJWT } from 'jose';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/cloud/config.js';
import { describe, expect, it } from 'vitest';
import { eventually, NodeSha256, startTestCloud, withTestCloud, type TestCloud } from '../support/local-cloud.js';

let cloud: TestCloud;


withTestCloud(async (started) => {
  cloud = started;
});

const resourceNames = (type: string): string[] =>
  cloud.stack.resourcesOfType(type).map(([logicalId]) => {
    const ref = cloud.stack.ref(logicalId);
    return type === 'AWS::SQS::Queue' ? String(cloud.stack.getAtt(logicalId, 'QueueName')) : String(ref);
  });

describe('local cloud from the dev template', () => {
  it('answers GET /v1/health without a token', async () => {
    const response = await fetch(`${cloud.urls.api}/v1/health`);
    expect(response.status).toBe(200);
  });

  it('accepts a message with a local token and its agent:started event reaches the audit table', async () => {
    const token = await cloud.token({ sub: 'alice', tenant: 'local' });
    const response = await fetch(`${cloud.urls.api}/v1/sessions/s1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'count customers' }),
    });
    expect(response.status).toBe(202);
    const { planId } = (await response.json()) as { planId: string };
    expect(planId).toBeTruthy();

    const db = DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig));
    const auditTable = cloud.lambda.functions.map((fn) => fn.environment.AUDIT_TABLE).find(Boolean)!;
    expect(auditTable).toBeTruthy();
    const started = await eventually('agent:started in the audit table', async () => {
      const { Items = [] } = await db.send(new QueryCommand({
        TableName: auditTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `TENANT#local#PLAN#${planId}` },
      }));
      return Items.find((item) => item.name === 'agent:started');
    });
    expect(started).toMatchObject({ tenantId: 'local', sessionId: 's1', planId });
  });

  it('answers 401 like API Gateway without a token, with a forged one and with an expired one', async () => {
    const post = (authorization?: string) =>
      fetch(`${cloud.urls.api}/v1/sessions/s1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ text: 'count customers' }),
      });

    const missing = await post();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: 'Unauthorized' });

    // Right issuer and audience, signed by a key the local authorizer does not trust.
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ tenant: 'local' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('mallory')
      .setIssuer(cloud.jwtConfig.issuer)
      .setAudience(cloud.jwtConfig.audience[0]!)
      .setExpirationTime('1h')
      .sign(privateKey);
    expect((await post(`Bearer ${forged}`)).status).toBe(401);

    const expired = await cloud.token({ sub: 'alice', tenant: 'local', ttlSeconds: 1 });
    await eventually('the token to expire', async () => ((await post(`Bearer ${expired}`)).status === 401 ? true : undefined), 5_000);
  });

  it('answers 404 for a path no route serves', async () => {
    const response = await fetch(`${cloud.urls.api}/v2/nothing`);
    expect(response.status).toBe(404);
  });

  it('lets SDK clients list the queues with their redrive policies, the bus and rules, the tables and the state machine', async () => {
    const sqs = new SQSClient(cloud.clientConfig);
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
    const listed = QueueUrls.map((url) => url.split('/').pop());
    expect(listed).toEqual(expect.arrayContaining(resourceNames('AWS::SQS::Queue')));
    const withRedrive = cloud.stack.resourcesOfType('AWS::SQS::Queue').filter(([, r]) => r.Properties?.RedrivePolicy);
    expect(withRedrive.length).toBeGreaterThan(0);
    for (const [logicalId] of withRedrive) {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: String(cloud.stack.ref(logicalId)), AttributeNames: ['RedrivePolicy'] }));
      expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 3, deadLetterTargetArn: expect.stringMatching(/^arn:aws:sqs:/) });
    }

    const events = new EventBridgeClient(cloud.clientConfig);
    const [busName] = resourceNames('AWS::Events::EventBus');
    const { EventBuses = [] } = await events.send(new ListEventBusesCommand({}));
    expect(EventBuses.map((bus) => bus.Name)).toContain(busName);
    // Event rules live on the custom bus, scheduled ones (the approval sweep) on the default bus.
    const rulesOn = async (bus: string) => (await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? [];
    const rules = [...(await rulesOn(busName!)), ...(await rulesOn('default'))];
    expect(rules.map((rule) => rule.Name)).toEqual(expect.arrayContaining(resourceNames('AWS::Events::Rule')));
    expect(rules.some((rule) => rule.ScheduleExpression === 'rate(1 minute)')).toBe(true);

    const { TableNames = [] } = await new DynamoDBClient(cloud.clientConfig).send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining(resourceNames('AWS::DynamoDB::Table')));

    const { stateMachines = [] } = await new SFNClient(cloud.clientConfig).send(new ListStateMachinesCommand({}));
    expect(stateMachines.map((machine) => machine.stateMachineArn)).toEqual(expect.arrayContaining(resourceNames('AWS::StepFunctions::StateMachine')));
  });

  it('guards the MCP function URL: no credentials → 401; a local token or a SigV4 signature by the local credentials gets through', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } };
    const call = (headers: Record<string, string>) =>
      fetch(cloud.urls.mcp, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(initialize) });
    expect((await call({})).status).toBe(401);
    const token = await cloud.token({ sub: 'alice', tenant: 'local' });
    // Past authentication the request reaches the MCP server function (whatever it then answers).
    expect((await call({ authorization: `Bearer ${token}` })).status).not.toBe(401);
    const url = new URL(cloud.urls.mcp);
    const signer = new SignatureV4({ service: 'lambda', region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, sha256: NodeSha256 });
    const body = JSON.stringify(initialize);
    const headers = { host: url.host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers, body });
    const viaSigV4 = await fetch(cloud.urls.mcp, { method: 'POST', headers: signed.headers, body });
    expect(viaSigV4.status).not.toBe(401);
    const badSignature = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, headers, body: `${body} ` });
    expect((await fetch(cloud.urls.mcp, { method: 'POST', headers: badSignature.headers, body })).status).toBe(401);
  });

  it('keeps state across a restart: a message sent to a DLQ is received after the cloud restarts', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'bc-agent-restart-'));
    try {
      const first = await startTestCloud({ stateDir });
      const [dlqLogicalId] = first.stack.resourcesOfType('AWS::SQS::Queue').find(([id]) => /Dlq|DeadLetter/i.test(id))!;
      try {
        await new SQSClient(first.clientConfig).send(new SendMessageCommand({ QueueUrl: String(first.stack.ref(dlqLogicalId)), MessageBody: 'kept' }));
      } finally {
        await first.stop();
      }
      const restarted = await startTestCloud({ stateDir });
      try {
        const { Messages = [] } = await new SQSClient(restarted.clientConfig).send(
          new ReceiveMessageCommand({ QueueUrl: String(restarted.stack.ref(dlqLogicalId)), WaitTimeSeconds: 1 }),
        );
        expect(Messages.map((m) => m.Body)).toEqual(['kept']);
      } finally {
        await restarted.stop();
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
