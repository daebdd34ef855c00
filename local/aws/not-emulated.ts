import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, sendError } from './protocol.js';

/**
 * Services a client may reasonably point at the local endpoint but that the local cloud does not emulate.
 * Their requests get a plain error in the service's own wire shape (so the SDK or CLI prints the message)
 * that says so and where to look instead, rather than a protocol error about a missing header.
 */

const FUNCTION_LOGS = "function logs are printed in npm start's output, one line per log record prefixed with the function's name";

export const LAMBDA_NOT_EMULATED = 'The local cloud does not emulate the Lambda API (the functions of the template run inside npm start, '
  + `invoked by their HTTP routes, queues, rules and state machines); ${FUNCTION_LOGS}.`;
export const LOGS_NOT_EMULATED = `The local cloud does not emulate CloudWatch Logs: ${FUNCTION_LOGS}.`;

/** `X-Amz-Target` prefix of CloudWatch Logs (JSON 1.1). */
export const LOGS_TARGET_PREFIX = 'Logs_20140328';

// Lambda's REST paths all start with an API-version date and a resource collection.
const LAMBDA_PATH = /^\/20\d\d-\d\d-\d\d\/(functions|event-source-mappings|layers|tags|account-settings|code-signing-configs)(\/|\?|$)/;

export const isLambdaRequest = (req: IncomingMessage): boolean =>
  LAMBDA_PATH.test(req.url ?? '') || signingService(req) === 'lambda';

/** The service a SigV4-signed request was signed for (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export function signingService(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  return /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/([^/,\s]+)\/aws4_request/.exec(authorization)?.[1];
}

/** Lambda's REST-JSON error shape: `x-amzn-errortype` header and a `Type`/`message` body. */
export function sendLambdaNotEmulated(res: ServerResponse): void {
  const body = JSON.stringify({ Type: 'User', message: LAMBDA_NOT_EMULATED });
  res.writeHead(400, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': 'UnknownOperationException',
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(body);
}

/** CloudWatch Logs' JSON 1.1 error shape. */
export function sendLogsNotEmulated(res: ServerResponse): void {
  sendError(res, { contentType: 'application/x-amz-json-1.1' }, new AwsError('UnknownOperationException', LOGS_NOT_EMULATED));
}
