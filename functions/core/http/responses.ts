// JSON responses in API Gateway payload format 2.0.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from './errors.js';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...details } };
}

export function errorResponse(error: HttpError, headers: Record<string, string> = {}): HttpResponse {
  return json(error.status, errorBody(error.code, error.message, error.details), { ...headers, ...error.headers });
}

/** For failures that are not the caller's: a fixed message, never the error's text or stack. */
export function internalErrorResponse(headers: Record<string, string> = {}): HttpResponse {
  return json(500, errorBody('InternalError', 'something went wrong on our side; try again later'), headers);
}
