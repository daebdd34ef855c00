// Size rules for what travels in events. EventBridge caps an entry (and a PutEvents request) at 256 KB, and
// task:created events are delivered onward to SQS (also 256 KB, with EventBridge's wrapper around the detail),
// so details keep a wide margin and large results travel by reference.

export const EVENTBRIDGE_MAX_REQUEST_BYTES = 256 * 1024;
/** Budget for one detail: leaves room for source, detail-type and the SQS/EventBridge wrapping. */
export const MAX_DETAIL_BYTES = 200 * 1024;
/** Results above this are stored and referenced (a detail may carry a result plus resolved arguments). */
export const MAX_INLINE_RESULT_BYTES = 64 * 1024;

export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

export type ResultPayload = { result: unknown } | { resultRef: string };

/**
 * Decides inline vs stored for a task result: small results travel in the event, large ones are written
 * with `store` and the event carries the reference it returns.
 */
export async function inlineOrStored(
  result: unknown,
  store: (value: unknown) => Promise<string>,
  maxInlineBytes: number = MAX_INLINE_RESULT_BYTES,
): Promise<ResultPayload> {
  if (jsonByteLength(result) <= maxInlineBytes) return { result };
  return { resultRef: await store(result) };
}
