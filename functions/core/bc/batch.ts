// JSON `$batch` (OData 4.01 JSON batch format, as BC API v2.0 accepts it): request bodies, splitting into
// requests of at most 100 operations, and reading the answers back into one result per operation.
import { type BcError, errorFromBatchItem, invalidRequest } from './errors.js';

/** BC's limit on operations in one `$batch` request. */
export const MAX_BATCH_OPERATIONS = 100;

/** OData's answer for an operation skipped because one it depended on (or its atomic group) failed. */
const FAILED_DEPENDENCY = 424;

export type BatchMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface BatchOperation {
  method: BatchMethod;
  entitySet: string;
  id?: string;
  data?: Record<string, unknown>;
  etag?: string;
}

export interface BatchResult {
  /** Position of the operation in the caller's array. */
  index: number;
  method: BatchMethod;
  entitySet: string;
  id?: string;
  status: number;
  /** True only when the operation took effect (false for every operation of a rolled-back atomic batch). */
  ok: boolean;
  body?: Record<string, unknown>;
  etag?: string;
  error?: BcError;
  /**
   * Set on operations that did not take effect only because another operation of an atomic batch failed
   * (answered 424 Failed Dependency, or reported success before the batch was rolled back).
   */
  rolledBack?: boolean;
}

/** One operation ready to send: its URL relative to the API root and its headers resolved. */
export interface PreparedBatchOperation {
  index: number;
  operation: BatchOperation;
  relativeUrl: string;
  ifMatch?: string;
  body?: Record<string, unknown>;
}

export interface BatchRequestBody {
  requests: {
    id: string;
    method: BatchMethod;
    url: string;
    headers: Record<string, string>;
    body?: Record<string, unknown>;
  }[];
}

/** Splits prepared operations into requests of at most 100; an atomic batch must fit in one. */
export function chunkBatch<T>(operations: readonly T[], atomic: boolean): T[][] {
  if (operations.length === 0) return [];
  if (atomic && operations.length > MAX_BATCH_OPERATIONS) {
    throw invalidRequest(
      `An atomic batch can hold at most ${MAX_BATCH_OPERATIONS} operations (got ${operations.length}); ` +
        'splitting it would lose the all-or-nothing guarantee. Send smaller atomic batches or a non-atomic batch.',
      'BadRequest',
    );
  }
  const chunks: T[][] = [];
  for (let i = 0; i < operations.length; i += MAX_BATCH_OPERATIONS) chunks.push(operations.slice(i, i + MAX_BATCH_OPERATIONS));
  return chunks;
}

export function buildBatchBody(chunk: readonly PreparedBatchOperation[]): BatchRequestBody {
  return {
    requests: chunk.map((op) => {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (op.body !== undefined) headers['Content-Type'] = 'application/json';
      if (op.ifMatch !== undefined) headers['If-Match'] = op.ifMatch;
      return {
        id: String(op.index + 1),
        method: op.operation.method,
        url: op.relativeUrl,
        headers,
        ...(op.body !== undefined ? { body: op.body } : {}),
      };
    }),
  };
}

interface BatchItemResponse {
  id?: unknown;
  status?: unknown;
  headers?: Record<string, string>;
  body?: unknown;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * One result per prepared operation, matched by request id. An operation with no answer counts as failed;
 * in an atomic batch a single failure means nothing took effect, so successes are reported as rolled back.
 */
export function readBatchResponse(
  chunk: readonly PreparedBatchOperation[],
  responseBody: unknown,
  atomic: boolean,
  batchPath: string,
): BatchResult[] {
  const responses = (responseBody as { responses?: unknown })?.responses;
  if (!Array.isArray(responses)) {
    throw invalidRequest(`BC answered $batch without a 'responses' array`, 'Client_InvalidResponse');
  }
  const byId = new Map<string, BatchItemResponse>();
  for (const item of responses as BatchItemResponse[]) {
    if (item && (typeof item.id === 'string' || typeof item.id === 'number')) byId.set(String(item.id), item);
  }
  const results = chunk.map((op): BatchResult => {
    const { method, entitySet, id } = op.operation;
    const base = { index: op.index, method, entitySet, ...(id !== undefined ? { id } : {}) };
    const item = byId.get(String(op.index + 1));
    if (!item || typeof item.status !== 'number') {
      return {
        ...base,
        status: 0,
        ok: false,
        error: errorFromBatchItem(method, `${batchPath} #${op.index + 1}`, 500, {
          error: { code: 'Client_MissingBatchResponse', message: `BC gave no answer for operation ${op.index + 1}` },
        }, undefined),
      };
    }
    const body = item.body && typeof item.body === 'object' ? (item.body as Record<string, unknown>) : undefined;
    if (item.status >= 400) {
      return { ...base, status: item.status, ok: false, error: errorFromBatchItem(method, op.relativeUrl, item.status, item.body, item.headers) };
    }
    const etag = (typeof body?.['@odata.etag'] === 'string' ? (body['@odata.etag'] as string) : undefined) ?? headerValue(item.headers, 'etag');
    return { ...base, status: item.status, ok: true, ...(body ? { body } : {}), ...(etag ? { etag } : {}) };
  });
  if (atomic && results.some((r) => !r.ok)) {
    return results.map((r) => (r.ok || r.status === FAILED_DEPENDENCY ? { ...r, ok: false, rolledBack: true } : r));
  }
  return results;
}
