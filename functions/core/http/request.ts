// Reading what the caller sent: headers, the JSON body (content type, size, base64), path ids.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { badRequest, payloadTooLarge, unsupportedMediaType, validationError } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Header lookup that does not depend on the case the gateway (or the local cloud) delivered. */
export function header(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * The request body parsed as JSON: 415 unless the content type is JSON, 413 over `maxBytes`, 400 when
 * missing or malformed.
 */
export function parseJsonBody(
  event: Pick<APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded'>,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): unknown {
  if (!isJsonContentType(header(event, 'content-type'))) throw unsupportedMediaType();
  const raw = event.body ?? '';
  // Reject on the encoded size first so a huge body is never decoded.
  const encodedBytes = Buffer.byteLength(raw, 'utf8');
  if ((event.isBase64Encoded ? Math.floor((encodedBytes * 3) / 4) - 2 : encodedBytes) > maxBytes) throw payloadTooLarge(maxBytes);
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw payloadTooLarge(maxBytes);
  if (bytes.length === 0) throw badRequest('the request body is empty; send a JSON object');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A path id (session, plan, approval): letters, digits, . _ : - (at most 128), else 400. */
export function pathId(params: Record<string, string | undefined>, name: string): string {
  const value = params[name];
  if (value === undefined || !ID_PATTERN.test(value)) {
    throw validationError(`${name} must be 1-128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit`);
  }
  return value;
}
