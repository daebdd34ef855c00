// OData JSON $batch: up to 100 operations run in order through the same API handler. With `Isolation: snapshot`
// the batch is atomic: on the first failure the store is restored to its state before the batch and every
// other operation answers 424 (Failed Dependency). `dependsOn` is honoured the same way per operation.
import { BcError, bcErrors, errorBody } from './errors.js';
import { parseApiPath } from './routes.js';
import type { ApiRequest, ApiResponse, BcApi } from './api.js';
import type { Store } from './store.js';

export const MAX_BATCH_OPERATIONS = 100;

interface BatchOperation {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

interface BatchResult {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

function parseOperations(body: unknown): BatchOperation[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { requests?: unknown }).requests)) {
    throw bcErrors.badRequest("Invalid Request Body: a JSON batch needs a 'requests' array");
  }
  const requests = (body as { requests: unknown[] }).requests;
  if (requests.length === 0) throw bcErrors.badRequest('The batch request contains no operations');
  if (requests.length > MAX_BATCH_OPERATIONS) {
    throw bcErrors.badRequest(`The batch request contains ${requests.length} operations; at most ${MAX_BATCH_OPERATIONS} are allowed`);
  }
  const ids = new Set<string>();
  return requests.map((raw, index) => {
    if (typeof raw !== 'object' || raw === null) throw bcErrors.badRequest(`Batch operation ${index} is not an object`);
    const r = raw as Record<string, unknown>;
    const id = r.id === undefined ? String(index + 1) : String(r.id);
    if (ids.has(id)) throw bcErrors.badRequest(`Duplicate batch operation id '${id}'`);
    ids.add(id);
    if (typeof r.method !== 'string' || typeof r.url !== 'string') throw bcErrors.badRequest(`Batch operation '${id}' needs a method and a url`);
    const headers: Record<string, string> = {};
    if (r.headers && typeof r.headers === 'object') {
      for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
    }
    const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
    return { id, method: r.method.toUpperCase(), url: r.url, headers, body: r.body, dependsOn };
  });
}

/** Resolves an operation URL: absolute, server-relative (`/v2.0/…`) or relative to the service root. */
function operationUrl(url: string, serviceRoot: string): URL {
  if (/^https?:\/\//.test(url)) return new URL(url);
  const root = new URL(serviceRoot);
  if (url.startsWith('/')) return new URL(url, root.origin);
  return new URL(`${serviceRoot}/${url}`);
}

export function executeBatch(api: BcApi, store: Store, outer: ApiRequest, correlationId: string): ApiResponse {
  const operations = parseOperations(outer.body);
  const atomic = (outer.headers.isolation ?? '').toLowerCase() === 'snapshot';
  const snapshot = atomic ? store.snapshot() : undefined;
  const results: BatchResult[] = [];
  const failed = new Set<string>();
  let atomicFailure = false;
  const failedDependency = (id: string): BatchResult => ({
    id,
    status: 424,
    headers: { 'content-type': 'application/json' },
    body: errorBody(new BcError(424, 'BadRequest', 'The operation was not applied because another operation of the batch failed'), correlationId),
  });
  for (const operation of operations) {
    if (atomicFailure || operation.dependsOn.some((d) => failed.has(d))) {
      failed.add(operation.id);
      results.push(failedDependency(operation.id));
      continue;
    }
    const result = runOperation(api, outer, operation, correlationId);
    results.push(result);
    if (result.status >= 400) {
      failed.add(operation.id);
      if (atomic) atomicFailure = true;
    }
  }
  if (atomicFailure && snapshot) {
    store.restore(snapshot);
    for (const [index, result] of results.entries()) if (result.status < 400) results[index] = failedDependency(result.id);
  }
  return { status: 200, headers: {}, body: { responses: results } };
}

function runOperation(api: BcApi, outer: ApiRequest, operation: BatchOperation, correlationId: string): BatchResult {
  try {
    const url = operationUrl(operation.url, outer.location.serviceRoot);
    const location = parseApiPath(url.pathname, url.origin);
    if (!location || location.segments[0]?.name === '$batch') throw bcErrors.resourceNotFound(url.pathname);
    const response = api.handle({ method: operation.method, location, query: url.searchParams, headers: operation.headers, body: operation.body, url });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.headers)) headers[k.toLowerCase()] = v;
    if (response.body !== undefined) headers['content-type'] = 'application/json; odata.metadata=minimal';
    return { id: operation.id, status: response.status, headers, ...(response.body !== undefined ? { body: response.body } : response.text !== undefined ? { body: response.text } : {}) };
  } catch (error) {
    const bcError = error instanceof BcError ? error : bcErrors.internal(error instanceof Error ? error.message : String(error));
    return { id: operation.id, status: bcError.status, headers: { 'content-type': 'application/json', ...bcError.headers }, body: errorBody(bcError, correlationId) };
  }
}
