// Payload format 2.0: the event API Gateway HTTP APIs send a Lambda integration, and the reading of the
// function's answer (full structured form or the simple "return a value" form).
import type { IncomingHttpHeaders } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import type { JWTPayload } from 'jose';

export interface HttpRequestInfo {
  method: string;
  /** Path and query as received, e.g. `/v1/plans/p1?x=1`. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  protocol: string;
}

export interface RouteContext {
  apiId: string;
  stage: string;
  routeKey: string;
  pathParameters: Record<string, string>;
  requestId: string;
  now: Date;
  /** Verified token claims and scopes on routes with a JWT authorizer. */
  jwt?: { claims: JWTPayload; scopes: string[] };
}

export type HttpApiEvent = Omit<APIGatewayProxyEventV2WithJWTAuthorizer, 'requestContext'> & {
  requestContext: Omit<APIGatewayProxyEventV2WithJWTAuthorizer['requestContext'], 'authorizer'> & {
    authorizer?: APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'];
  };
};

/** Bodies API Gateway passes as text; anything else arrives base64-encoded. */
const TEXT_CONTENT_TYPE = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|x-www-form-urlencoded|javascript|graphql))/i;

export function buildHttpApiEvent(request: HttpRequestInfo, route: RouteContext): HttpApiEvent {
  const queryAt = request.rawUrl.indexOf('?');
  const rawPath = queryAt === -1 ? request.rawUrl : request.rawUrl.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : request.rawUrl.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') {
      // Payload 2.0 moves cookies out of the headers into their own list.
      cookies = joined.split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name.toLowerCase()] = joined;
  }

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    // Repeated parameters arrive comma-joined.
    queryStringParameters[name] = Object.hasOwn(queryStringParameters, name) ? `${queryStringParameters[name]},${value}` : value;
  }

  const path = safeDecode(rawPath);
  const domainName = headers.host ?? 'localhost';
  const hasBody = request.body.length > 0;
  const isText = TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const authorizer = route.jwt
    ? { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: flattenClaims(route.jwt.claims), scopes: route.jwt.scopes.length ? route.jwt.scopes : null } } }
    : {};

  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: route.apiId,
      ...authorizer,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: request.method,
        path,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: route.requestId,
      routeKey: route.routeKey,
      stage: route.stage,
      time: clfTime(route.now),
      timeEpoch: route.now.getTime(),
    },
    ...(Object.keys(route.pathParameters).length ? { pathParameters: route.pathParameters } : {}),
    ...(hasBody ? { body: isText ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  } as HttpApiEvent;
}

/**
 * API Gateway hands JWT claims to the function as strings: numbers and booleans stringified, arrays as
 * `[a b]`, objects as JSON. Local events do the same so handlers parse what they will get on AWS.
 */
export function flattenClaims(claims: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) out[name] = `[${value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(' ')}]`;
    else if (typeof value === 'object' && value !== null) out[name] = JSON.stringify(value);
    else out[name] = String(value);
  }
  return out;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Turns a function's payload-2.0 answer into the HTTP response; undefined when the answer is malformed. */
export function readHttpApiResult(result: unknown): HttpResponse | undefined {
  if (isStructured(result)) {
    const statusCode = Number(result.statusCode);
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return undefined;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      if (value === undefined || value === null) continue;
      if (typeof value === 'object') return undefined;
      headers[name.toLowerCase()] = String(value);
    }
    if (Array.isArray(result.cookies) && result.cookies.length) headers['set-cookie'] = result.cookies.map(String);
    if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
    const body = result.body ? Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8') : Buffer.alloc(0);
    return { statusCode, headers, body };
  }
  // The simple form: any other value is the JSON body of a 200.
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text, 'utf8') };
}

interface StructuredResult {
  statusCode: unknown;
  headers?: Record<string, unknown>;
  body?: unknown;
  cookies?: unknown[];
  isBase64Encoded?: unknown;
}

function isStructured(result: unknown): result is StructuredResult {
  return typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `27/Nov/2026:14:39:02 +0000`, the request time format of API Gateway's request context. */
function clfTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
