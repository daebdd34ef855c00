// Authentication of the local MCP function URL: on AWS the URL uses IAM auth (SigV4); locally a request is
// let in when it carries a SigV4 signature by the credentials the local cloud gives its functions, or a
// bearer token the local HTTP API would accept (`npm run token`).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** How far a signed request's X-Amz-Date may be from now, as AWS allows. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Verifies an `Authorization: AWS4-HMAC-SHA256 ...` header: recomputes the canonical request from the signed
 * headers, method, path, query and body, and compares signatures. Returns the reason on failure.
 */
export function verifySigV4(
  request: { headers: IncomingHttpHeaders; method: string; url: string; body: Buffer },
  credentials: SigV4Credentials,
  now: Date = new Date(),
): { ok: true } | { ok: false; reason: string } {
  const authorization = headerValue(request.headers, 'authorization');
  const parsed = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(authorization ?? '');
  if (!parsed) return { ok: false, reason: 'no SigV4 Authorization header' };
  const [, credential, signedHeaderList, signature] = parsed as unknown as [string, string, string, string];
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') {
    return { ok: false, reason: 'malformed credential scope' };
  }
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, reason: 'unknown access key' };
  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!amzDate || !amzDate.startsWith(date)) return { ok: false, reason: 'missing or mismatched X-Amz-Date' };
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signedAt) || Math.abs(now.getTime() - signedAt) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: 'signature expired or not yet valid' };
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { ok: false, reason: 'the host header must be signed' };
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? sha256(request.body);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(request.body)) {
    return { ok: false, reason: 'payload hash does not match the body' };
  }
  const queryAt = request.url.indexOf('?');
  const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : request.url.slice(queryAt + 1);
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${credentials.secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding SigV4 uses (encodeURIComponent leaves !'()* alone). */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Services other than S3 sign the path with each segment encoded once more (the SDKs' default). */
function canonicalPath(path: string): string {
  if (path === '' || path === '/') return '/';
  return path.split('/').map((segment) => uriEncode(segment)).join('/');
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
      const key = decode(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
      return [uriEncode(key), uriEncode(value)] as const;
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}
