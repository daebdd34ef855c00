// Authentication of the local MCP function URL: on AWS the URL uses IAM auth (SigV4); locally a request is
// let in when it carries a SigV4 signature by the credentials the local cloud gives its functions, or a
// bearer token the local HTTP API would accept (`npm run token`).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../functions/core/mcp/index.js';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** How far a signed request's X-Amz-Date may be from now, as AWS allows. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Verifies an `Authorization: AWS4-HMAC-SHA256 ...` header by signing the same request again with the AWS
 * SDK's own signer (`@smithy/signature-v4`): the headers the caller signed, its method, path, query, body and
 * signing time, in its credential scope. Returns the reason on failure.
 */
export async function verifySigV4(
  request: { headers: IncomingHttpHeaders; method: string; url: string; body: Buffer },
  credentials: SigV4Credentials,
  now: Date = new Date(),
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const parsed = AUTHORIZATION.exec(headerValue(request.headers, 'authorization') ?? '');
  if (!parsed) return { ok: false, reason: 'no SigV4 Authorization header' };
  const [, credential, signedHeaderList, signature] = parsed as unknown as [string, string, string, string];
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return { ok: false, reason: 'malformed credential scope' };
  }
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, reason: 'unknown access key' };
  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!amzDate || !amzDate.startsWith(date)) return { ok: false, reason: 'missing or mismatched X-Amz-Date' };
  const signedAt = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signedAt.getTime()) || Math.abs(now.getTime() - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: 'signature expired or not yet valid' };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, reason: 'the host header must be signed' };
  // The signer takes a declared payload hash as given; the body must match it.
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (payloadHash !== undefined && payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(request.body).digest('hex')) {
    return { ok: false, reason: 'payload hash does not match the body' };
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = headerValue(request.headers, name) ?? '';
  const queryAt = request.url.indexOf('?');
  const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256 });
  const resigned = await signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
      query: queryOf(queryAt === -1 ? '' : request.url.slice(queryAt + 1)),
      headers,
      body: request.body,
    },
    { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
  );
  const expected = AUTHORIZATION.exec(String(resigned.headers.authorization ?? ''))?.[3];
  if (!expected) return { ok: false, reason: 'signature mismatch' };
  const given = Buffer.from(signature, 'hex');
  const wanted = Buffer.from(expected, 'hex');
  // The signer signs exactly the headers it was given: a different list means the caller signed something else.
  const sameHeaders = /SignedHeaders=([^,\s]+)/.exec(String(resigned.headers.authorization))?.[1] === signedHeaderList;
  return sameHeaders && given.length === wanted.length && timingSafeEqual(given, wanted) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The query as the signer takes it: decoded names and values, repeated names as lists. */
function queryOf(text: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}
