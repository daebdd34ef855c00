import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalDynamoDb } from './dynamodb.js';
import { AwsError, handleJsonRequest, readBody, sendError, sendJson, type JsonService } from './protocol.js';

/**
 * The one HTTP endpoint every SDK client points at (AWS_ENDPOINT_URL): routes by `X-Amz-Target` to
 * DynamoDB (dynalite) or to the JSON-protocol services.
 */
export function createEndpoint(dynamodb: LocalDynamoDb, services: JsonService[]): Server {
  const byPrefix = new Map(services.map((service) => [service.targetPrefix, service]));
  const fallback = { contentType: 'application/x-amz-json-1.1' };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.headers['x-amz-target'];
    if (req.method === 'GET' && (req.url === '/' || req.url === '/_health')) {
      sendJson(res, 200, 'application/json', { status: 'ok', services: ['dynamodb', ...byPrefix.keys()] });
      return;
    }
    if (typeof target !== 'string' || !target.includes('.')) {
      await readBody(req).catch(() => '');
      sendError(res, fallback, new AwsError('UnknownOperationException',
        'Missing X-Amz-Target: this endpoint speaks the AWS JSON protocols (DynamoDB, SQS JSON, EventBridge, Step Functions, Secrets Manager)'));
      return;
    }
    const dot = target.indexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    if (prefix.startsWith('DynamoDB_')) {
      dynamodb.forward(req, res);
      return;
    }
    const service = byPrefix.get(prefix);
    if (!service) {
      await readBody(req).catch(() => '');
      sendError(res, fallback, new AwsError('UnknownOperationException', `Service ${prefix} is not served by the local endpoint`));
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      sendError(res, service, error);
      return;
    }
    await handleJsonRequest(service, operation, body, res);
  };

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, fallback, error);
      else res.destroy();
    });
  });
}
