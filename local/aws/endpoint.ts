import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalDynamoDb } from './dynamodb.js';
import {
  isLambdaRequest, LOGS_TARGET_PREFIX, sendLambdaNotEmulated, sendLogsNotEmulated, signingService,
} from './not-emulated.js';
import { AwsError, handleJsonRequest, readBody, sendError, sendJson, type JsonService } from './protocol.js';
import { handleSqsQueryRequest, sendQueryError } from './sqs/query.js';

const SERVED = 'DynamoDB, SQS, EventBridge, Step Functions, Secrets Manager, CloudWatch metrics, KMS';
/** SigV4 signing names of the services served here. */
const SERVED_SIGNING_NAMES = new Set(['dynamodb', 'sqs', 'events', 'states', 'secretsmanager', 'monitoring', 'kms']);

/**
 * The one HTTP endpoint every SDK client points at (AWS_ENDPOINT_URL): routes by `X-Amz-Target` to
 * DynamoDB (dynalite) or to the JSON-protocol services; form-encoded `Action=…` requests (the AWS query
 * protocol) to SQS; Lambda and CloudWatch Logs requests to a plain "not emulated" error.
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
      if (isLambdaRequest(req)) {
        await readBody(req).catch(() => '');
        sendLambdaNotEmulated(res);
        return;
      }
      const body = await readBody(req).catch(() => '');
      const query = queryParameters(req, body);
      if (query) {
        const service = signingService(req);
        const sqs = byPrefix.get('AmazonSQS');
        if (sqs && (service === undefined || service === 'sqs')) await handleSqsQueryRequest(sqs, query, new URL(req.url ?? '/', 'http://local').pathname, res);
        else sendQueryError(res, new AwsError('InvalidAction', `Service ${service ?? 'unknown'} is not emulated by the local cloud; its query protocol is served for SQS only`));
        return;
      }
      const signedFor = signingService(req);
      sendError(res, fallback, new AwsError('UnknownOperationException', signedFor && !SERVED_SIGNING_NAMES.has(signedFor)
        ? `Service ${signedFor} is not emulated by the local cloud (it serves ${SERVED})`
        : `Missing X-Amz-Target: this endpoint speaks the AWS JSON protocols (${SERVED}) and the SQS query protocol`));
      return;
    }
    const dot = target.indexOf('.');
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    if (prefix === LOGS_TARGET_PREFIX) {
      await readBody(req).catch(() => '');
      sendLogsNotEmulated(res);
      return;
    }
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

/**
 * The parameters of an AWS query-protocol request (`Action=…` in a form-encoded body or the URL), or
 * undefined when the request is not one.
 */
function queryParameters(req: IncomingMessage, body: string): Map<string, string> | undefined {
  const contentType = String(req.headers['content-type'] ?? '');
  const params = new Map(new URL(req.url ?? '/', 'http://local').searchParams);
  if (contentType.startsWith('application/x-www-form-urlencoded')) for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
  return params.has('Action') ? params : undefined;
}
