// Builds API Gateway payload 2.0 events as the HTTP API (JWT authorizer) delivers them.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface EventOptions {
  body?: string;
  contentType?: string | null;
  claims?: Record<string, unknown> | null;
  base64?: boolean;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export function httpEvent(method: string, path: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const claims = options.claims === undefined ? { sub: 'alice', tenant: 'contoso', roles: '[approver]' } : options.claims;
  const body = options.body === undefined ? undefined : options.base64 ? Buffer.from(options.body).toString('base64') : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
      ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
    },
    isBase64Encoded: options.base64 ?? false,
    ...(body !== undefined ? { body } : {}),
  } as APIGatewayProxyEventV2;
}

export function jsonBody(response: { body?: string }): any {
  return JSON.parse(response.body ?? 'null');
}
