// OData $batch in both encodings BC accepts, over one executor. JSON (`{ requests: [...] }`, OData JSON Format
// 4.01 §19) and multipart/mixed (OData Protocol 4.0 §11.7, with change sets) are parsed into the same operations,
// run in order through the API handler, and the results are encoded back in the request's encoding.
// Atomicity: an atomicity group (a multipart change set, or JSON `atomicityGroup`) is all or nothing; with
// `Isolation: snapshot` the whole batch is. A failed group restores the store and its other operations answer
// 424 (Failed Dependency), as do operations whose `dependsOn` failed. A URL may start with `$<id>` to address
// what an earlier operation created (its Location), as both encodings allow.
import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import { getMultipartBoundary, MultipartParseError, parseMultipart } from '@remix-run/multipart-parser';
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
  atomicityGroup?: string;
  /** The multipart part's Content-ID, echoed on its response. */
  contentId?: string;
}

interface BatchResult {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Whether a Content-Type names a multipart/mixed batch or change set (the server then hands over the raw text). */
export function isMultipartBatch(contentType: string | undefined): boolean {
  return /^\s*multipart\/mixed\b/i.test(contentType ?? '');
}

function checkCount(count: number): void {
  if (count === 0) throw bcErrors.badRequest('The batch request contains no operations');
  if (count > MAX_BATCH_OPERATIONS) throw bcErrors.badRequest(`The batch request contains ${count} operations; at most ${MAX_BATCH_OPERATIONS} are allowed`);
}

function checkUniqueIds(operations: BatchOperation[]): void {
  const ids = new Set<string>();
  for (const { id } of operations) {
    if (ids.has(id)) throw bcErrors.badRequest(`Duplicate batch operation id '${id}'`);
    ids.add(id);
  }
}

// ---- JSON encoding ----

function parseJsonOperations(body: unknown): BatchOperation[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { requests?: unknown }).requests)) {
    throw bcErrors.badRequest("Invalid Request Body: a JSON batch needs a 'requests' array");
  }
  const requests = (body as { requests: unknown[] }).requests;
  checkCount(requests.length);
  const operations = requests.map((raw, index): BatchOperation => {
    if (typeof raw !== 'object' || raw === null) throw bcErrors.badRequest(`Batch operation ${index} is not an object`);
    const r = raw as Record<string, unknown>;
    const id = r.id === undefined ? String(index + 1) : String(r.id);
    if (typeof r.method !== 'string' || typeof r.url !== 'string') throw bcErrors.badRequest(`Batch operation '${id}' needs a method and a url`);
    const headers: Record<string, string> = {};
    if (r.headers && typeof r.headers === 'object') {
      for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
    }
    const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
    const atomicityGroup = typeof r.atomicityGroup === 'string' ? r.atomicityGroup : undefined;
    return { id, method: r.method.toUpperCase(), url: r.url, headers, body: r.body, dependsOn, ...(atomicityGroup ? { atomicityGroup } : {}) };
  });
  checkUniqueIds(operations);
  checkGroupsAdjacent(operations);
  return operations;
}

/** A group is rolled back to where it began, so nothing else may run inside it (OData JSON Format 4.01 §19.1). */
function checkGroupsAdjacent(operations: BatchOperation[]): void {
  const closed = new Set<string>();
  operations.forEach((operation, index) => {
    const previous = operations[index - 1]?.atomicityGroup;
    if (previous !== undefined && previous !== operation.atomicityGroup) closed.add(previous);
    if (operation.atomicityGroup !== undefined && closed.has(operation.atomicityGroup)) {
      throw bcErrors.badRequest(`The operations of atomicity group '${operation.atomicityGroup}' must be adjacent`);
    }
  });
}

// ---- multipart/mixed encoding ----

type MultipartItem = { kind: 'operation'; operation: BatchOperation } | { kind: 'changeset'; group: string; operations: BatchOperation[] };

const CRLF = '\r\n';

/** An `application/http` part: request line, headers, blank line, body (OData Protocol 4.0 §11.7.3). */
function parseHttpRequest(text: string, id: string, contentId: string | undefined, atomicityGroup?: string): BatchOperation {
  const normalized = text.replace(/^(\r?\n)+/, '');
  const headerEnd = /\r?\n\r?\n/.exec(normalized);
  const head = headerEnd ? normalized.slice(0, headerEnd.index) : normalized.trimEnd();
  const rawBody = headerEnd ? normalized.slice(headerEnd.index + headerEnd[0].length).trim() : '';
  const [requestLine = '', ...headerLines] = head.split(/\r?\n/);
  const match = /^([A-Za-z]+)\s+(\S+)(?:\s+HTTP\/\d\.\d)?$/.exec(requestLine.trim());
  if (!match) throw bcErrors.badRequest(`Batch operation '${id}' has no valid request line: '${requestLine.slice(0, 100)}'`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw bcErrors.badRequest(`Batch operation '${id}' has a malformed header line: '${line.slice(0, 100)}'`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body: unknown;
  if (rawBody) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw bcErrors.badRequest(`Invalid Request Body in batch operation '${id}'`);
    }
  }
  return {
    id,
    method: match[1]!.toUpperCase(),
    url: match[2]!,
    headers,
    body,
    dependsOn: [],
    ...(atomicityGroup ? { atomicityGroup } : {}),
    ...(contentId !== undefined ? { contentId } : {}),
  };
}

function boundaryOf(contentType: string | undefined): string {
  const boundary = contentType ? getMultipartBoundary(contentType) : null;
  if (!boundary) throw bcErrors.badRequest('A multipart batch needs a boundary parameter in its Content-Type');
  return boundary;
}

function partsOf(text: string, boundary: string) {
  try {
    return [...parseMultipart(Buffer.from(text, 'utf8'), { boundary, maxParts: MAX_BATCH_OPERATIONS + 1 })];
  } catch (error) {
    throw bcErrors.badRequest(`Invalid multipart batch: ${error instanceof MultipartParseError ? error.message : String(error)}`);
  }
}

function isHttpPart(contentType: string | undefined): boolean {
  return /^\s*application\/http\b/i.test(contentType ?? '');
}

function parseMultipartItems(text: string, contentType: string | undefined): MultipartItem[] {
  const items: MultipartItem[] = [];
  let count = 0;
  // Parts without a Content-ID get a position of their own, which no `$<id>` reference can name.
  const nextId = (contentId: string | undefined) => contentId ?? `#${++count}`;
  for (const [index, part] of partsOf(text, boundaryOf(contentType)).entries()) {
    const partType = part.headers['content-type'];
    if (isMultipartBatch(partType)) {
      const group = `changeset${index + 1}`;
      const operations = partsOf(part.text, boundaryOf(partType)).map((inner) => {
        if (!isHttpPart(inner.headers['content-type'])) throw bcErrors.badRequest('Every part of a change set must be application/http');
        const contentId = inner.headers['content-id'];
        const operation = parseHttpRequest(inner.text, nextId(contentId), contentId, group);
        if (operation.method === 'GET') throw bcErrors.badRequest('A change set cannot contain a GET request');
        return operation;
      });
      if (operations.length === 0) throw bcErrors.badRequest('A change set contains no operations');
      items.push({ kind: 'changeset', group, operations });
    } else if (isHttpPart(partType)) {
      const contentId = part.headers['content-id'];
      items.push({ kind: 'operation', operation: parseHttpRequest(part.text, nextId(contentId), contentId) });
    } else {
      throw bcErrors.badRequest(`A batch part must be application/http or multipart/mixed, not '${partType ?? 'none'}'`);
    }
  }
  const operations = items.flatMap((item) => (item.kind === 'operation' ? [item.operation] : item.operations));
  checkCount(operations.length);
  checkUniqueIds(operations);
  return items;
}

/** Header names as BC writes them (some clients read the parts' headers case-sensitively). */
function headerName(lower: string): string {
  const special: Record<string, string> = { etag: 'ETag', 'odata-version': 'OData-Version' };
  return special[lower] ?? lower.replace(/(^|-)([a-z])/g, (_, dash: string, ch: string) => dash + ch.toUpperCase());
}

function httpResponseText(result: BatchResult, contentId?: string): string {
  const { body, headers } = result;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const lines = [
    'Content-Type: application/http',
    'Content-Transfer-Encoding: binary',
    ...(contentId !== undefined ? [`Content-ID: ${contentId}`] : []),
    '',
    `HTTP/1.1 ${result.status} ${STATUS_CODES[result.status] ?? ''}`.trimEnd(),
    ...Object.entries({ 'odata-version': '4.0', ...headers }).map(([k, v]) => `${headerName(k)}: ${v}`),
    '',
    text,
  ];
  return lines.join(CRLF);
}

function encodeMultipart(items: MultipartItem[], results: Map<string, BatchResult>, failedGroups: Map<string, BatchResult>): ApiResponse {
  const boundary = `batchresponse_${randomUUID()}`;
  const parts = items.map((item) => {
    if (item.kind === 'operation') return httpResponseText(results.get(item.operation.id)!, item.operation.contentId);
    // A failed change set answers with the single response of the failure (OData Protocol 4.0 §11.7.4).
    const failure = failedGroups.get(item.group);
    if (failure) return httpResponseText(failure);
    const changeset = `changesetresponse_${randomUUID()}`;
    const inner = item.operations.map((o) => `--${changeset}${CRLF}${httpResponseText(results.get(o.id)!, o.contentId)}`);
    return `Content-Type: multipart/mixed; boundary=${changeset}${CRLF}${CRLF}${inner.join(CRLF)}${CRLF}--${changeset}--`;
  });
  const text = `${parts.map((p) => `--${boundary}${CRLF}${p}`).join(CRLF)}${CRLF}--${boundary}--${CRLF}`;
  return { status: 200, headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` }, text };
}

// ---- the executor ----

/** Resolves an operation URL: `$<id>` reference, absolute, server-relative (`/v2.0/…`) or relative to the root. */
function operationUrl(url: string, serviceRoot: string, results: Map<string, BatchResult>): URL {
  const reference = /^\$([^/?]+)(.*)$/.exec(url);
  if (reference && !url.startsWith('$batch') && !url.startsWith('$metadata')) {
    const location = results.get(reference[1]!)?.headers.location;
    if (!location) throw bcErrors.badRequest(`The reference '$${reference[1]}' names no earlier operation that created a record`);
    return new URL(location + reference[2]);
  }
  if (/^https?:\/\//.test(url)) return new URL(url);
  const root = new URL(serviceRoot);
  if (url.startsWith('/')) return new URL(url, root.origin);
  return new URL(`${serviceRoot}/${url}`);
}

function runOperation(api: BcApi, outer: ApiRequest, operation: BatchOperation, results: Map<string, BatchResult>, correlationId: string): BatchResult {
  try {
    const url = operationUrl(operation.url, outer.location.serviceRoot, results);
    const location = parseApiPath(url.pathname, url.origin);
    if (!location || location.segments[0]?.name === '$batch') throw bcErrors.resourceNotFound(url.pathname);
    const response = api.handle({ method: operation.method, location, query: url.searchParams, headers: operation.headers, body: operation.body, url, ...(outer.principal ? { principal: outer.principal } : {}) });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.headers)) headers[k.toLowerCase()] = v;
    return { id: operation.id, status: response.status, headers, ...(response.body !== undefined ? { body: response.body } : response.text !== undefined ? { body: response.text } : {}) };
  } catch (error) {
    const bcError = error instanceof BcError ? error : bcErrors.internal(error instanceof Error ? error.message : String(error));
    return { id: operation.id, status: bcError.status, headers: { 'content-type': 'application/json', ...bcError.headers }, body: errorBody(bcError, correlationId) };
  }
}

interface Execution {
  results: Map<string, BatchResult>;
  /** Per failed atomicity group, the failure that ended it. */
  failedGroups: Map<string, BatchResult>;
}

function execute(api: BcApi, store: Store, outer: ApiRequest, operations: BatchOperation[], correlationId: string): Execution {
  const wholeBatch = (outer.headers.isolation ?? '').toLowerCase() === 'snapshot';
  const batchSnapshot = wholeBatch ? store.snapshot() : undefined;
  const results = new Map<string, BatchResult>();
  const failed = new Set<string>();
  const failedGroups = new Map<string, BatchResult>();
  const groupSnapshots = new Map<string, ReturnType<Store['snapshot']>>();
  let batchFailed = false;
  const failedDependency = (id: string): BatchResult => ({
    id,
    status: 424,
    headers: { 'content-type': 'application/json' },
    body: errorBody(new BcError(424, 'BadRequest', 'The operation was not applied because another operation of the batch failed'), correlationId),
  });
  const members = (group: string) => operations.filter((o) => o.atomicityGroup === group);
  for (const operation of operations) {
    const group = operation.atomicityGroup;
    const blocked =
      batchFailed ||
      (group !== undefined && failedGroups.has(group)) ||
      operation.dependsOn.some((d) => failed.has(d) || failedGroups.has(d));
    if (blocked) {
      failed.add(operation.id);
      results.set(operation.id, failedDependency(operation.id));
      continue;
    }
    if (group !== undefined && !groupSnapshots.has(group)) groupSnapshots.set(group, store.snapshot());
    const result = runOperation(api, outer, operation, results, correlationId);
    results.set(operation.id, result);
    if (result.status < 400) continue;
    failed.add(operation.id);
    if (wholeBatch) batchFailed = true;
    if (group !== undefined) {
      failedGroups.set(group, result);
      if (!wholeBatch) store.restore(groupSnapshots.get(group)!);
      for (const member of members(group)) {
        if (member.id !== operation.id && results.has(member.id)) {
          failed.add(member.id);
          results.set(member.id, failedDependency(member.id));
        }
      }
    }
  }
  if (batchFailed && batchSnapshot) {
    store.restore(batchSnapshot);
    for (const [id, result] of results) if (result.status < 400) results.set(id, failedDependency(id));
  }
  return { results, failedGroups };
}

/** Runs a `$batch` request in the encoding it came in (JSON or multipart/mixed) and answers in the same one. */
export function executeBatch(api: BcApi, store: Store, outer: ApiRequest, correlationId: string): ApiResponse {
  const contentType = outer.headers['content-type'];
  if (isMultipartBatch(contentType)) {
    if (typeof outer.body !== 'string') throw bcErrors.badRequest('Invalid Request Body: the multipart batch is empty');
    const items = parseMultipartItems(outer.body, contentType);
    const operations = items.flatMap((item) => (item.kind === 'operation' ? [item.operation] : item.operations));
    const { results, failedGroups } = execute(api, store, outer, operations, correlationId);
    return encodeMultipart(items, results, failedGroups);
  }
  const operations = parseJsonOperations(outer.body);
  const { results } = execute(api, store, outer, operations, correlationId);
  return { status: 200, headers: {}, body: { responses: operations.map((o) => results.get(o.id)!) } };
}
