// The correlation id of one chat message: accepted from the caller when well-formed, otherwise minted.
import { randomUUID } from 'node:crypto';

/** Header that carries the correlation id API → MCP → BC. */
export const CORRELATION_HEADER = 'x-correlation-id';

const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

/** A caller-supplied id is kept only if it is safe to log and to forward as a header. */
export function correlationIdFrom(candidate: string | undefined | null): string {
  return candidate && WELL_FORMED.test(candidate) ? candidate : randomUUID();
}
