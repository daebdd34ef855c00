// The local WebSocket API server on its own: $connect decides the handshake, the route selection expression
// picks the route, route responses go back, $disconnect follows a close, and the @connections management API
// (through the real ApiGatewayManagementApi client, SigV4-signed) posts, describes and deletes connections.
import {
  ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../../local/cloud/config.js';
import { verifySigV4 } from '../../../../local/cloud/lambda/function-url-auth.js';
import { startWebSocketServer, type LocalWebSocketServer } from '../../../../local/cloud/websocket-api/server.js';
import { ConnectRefusedError, PushClient } from '../../../support/push-client.js';
import { eventually } from '../../../support/local-cloud.js';

let server: LocalWebSocketServer;
const invocations: Array<{ fn: string; event: any }> = [];
let management: ApiGatewayManagementApiClient;
const clients: PushClient[] = [];

beforeAll(async () => {
  server = await startWebSocketServer(0);
  server.attach({
    api: {
      logicalId: 'Api', apiId: 'abc123', stage: 'v1', routeSelectionExpression: '$request.body.action',
      routes: [
        { routeKey: '$connect', functionName: 'routes', returnResponse: false },
        { routeKey: '$disconnect', functionName: 'routes', returnResponse: false },
        { routeKey: 'echo', functionName: 'routes', returnResponse: true },
        { routeKey: 'silent', functionName: 'routes', returnResponse: false },
        { routeKey: 'boom', functionName: 'routes', returnResponse: true },
      ],
    },
    invoke: async (fn, event: any) => {
      invocations.push({ fn, event });
      const { routeKey } = event.requestContext;
      if (routeKey === '$connect') return event.queryStringParameters?.token === 'ok' ? { statusCode: 200 } : { statusCode: 403, body: '{"no":"entry"}' };
      if (routeKey === 'boom') throw new Error('function failed');
      return { statusCode: 200, body: JSON.stringify({ type: 'echo', got: JSON.parse(event.body) }) };
    },
    verifyRequest: async (request) => (await verifySigV4(request, LOCAL_CREDENTIALS)).ok,
    onError: () => undefined,
  });
  management = new ApiGatewayManagementApiClient({ endpoint: `${server.url}/v1`, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  management?.destroy();
  await server?.stop();
});

async function open(): Promise<PushClient> {
  const client = await PushClient.connect(`${server.wsUrl}/v1`, 'ok');
  clients.push(client);
  return client;
}

describe('the local WebSocket API server', () => {
  it('accepts a connection only when $connect answers 2xx, with the query string in the event', async () => {
    const refused = await PushClient.connect(`${server.wsUrl}/v1`, 'nope').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectRefusedError);
    expect((refused as ConnectRefusedError).status).toBe(403);
    expect((refused as ConnectRefusedError).body).toBe('{"no":"entry"}');
    const wrongStage = await PushClient.connect(`${server.wsUrl}/prod`, 'ok').catch((e: unknown) => e);
    expect((wrongStage as ConnectRefusedError).status).toBe(404);
    await open();
    const connect = invocations.filter((i) => i.event.requestContext.routeKey === '$connect').at(-1)!;
    expect(connect.event).toMatchObject({
      queryStringParameters: { token: 'ok' },
      requestContext: { eventType: 'CONNECT', stage: 'v1', apiId: 'abc123', connectionId: expect.any(String) },
    });
  });

  it('routes by the body\'s action, sends route responses back, and answers unrouted messages like API Gateway', async () => {
    const client = await open();
    client.send({ action: 'echo', n: 1 });
    expect(await client.waitFor((m) => m.type === 'echo', 'the echo')).toMatchObject({ got: { action: 'echo', n: 1 } });
    client.send({ action: 'silent' });
    client.send({ action: 'nowhere' });
    expect(await client.waitFor((m: any) => m.message === 'Forbidden', 'Forbidden')).toMatchObject({ connectionId: expect.any(String) });
    client.send({ action: 'boom' });
    await client.waitFor((m: any) => m.message === 'Internal server error', 'the integration error');
    expect(client.messages.filter((m) => m.type === 'echo')).toHaveLength(1); // `silent` has no route response
  });

  it('posts to, describes and deletes a connection through the management API; a gone one is GoneException', async () => {
    const client = await open();
    const id = invocations.filter((i) => i.event.requestContext.routeKey === '$connect').at(-1)!.event.requestContext.connectionId as string;
    await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"type":"hello"}') }));
    await client.waitFor((m) => m.type === 'hello', 'the posted message');
    const info = await management.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await client.waitFor(() => false, 'the close', 0, 5000).catch(() => undefined);
    expect(client.closed).toBe(true);
    const disconnect = await eventually('$disconnect', async () =>
      invocations.find((i) => i.event.requestContext.routeKey === '$disconnect' && i.event.requestContext.connectionId === id),
    );
    expect(disconnect.event.requestContext.eventType).toBe('DISCONNECT');
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('x') }))).rejects.toBeInstanceOf(GoneException);
  });

  it('refuses management requests not signed with the local credentials', async () => {
    const forged = new ApiGatewayManagementApiClient({ endpoint: `${server.url}/v1`, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'wrong' } });
    await expect(forged.send(new PostToConnectionCommand({ ConnectionId: 'whatever', Data: Buffer.from('x') }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    forged.destroy();
  });
});
