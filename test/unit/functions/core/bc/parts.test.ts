// The client's pure parts: retry timing, error mapping, the ETag cache, batch splitting and reading, and the
// write-payload checks.
import { describe, expect, it } from 'vitest';
import { buildBatchBody, chunkBatch, readBatchResponse, type PreparedBatchOperation } from '../../../../../functions/core/bc/batch.js';
import { findEntitySet } from '../../../../../functions/core/bc/entities.js';
import {
  BcConflictError,
  BcInvalidRequestError,
  BcNotFoundError,
  BcThrottledError,
  BcUnavailableError,
  BcValidationError,
  errorFromResponse,
  splitCorrelationId,
} from '../../../../../functions/core/bc/errors.js';
import { EtagCache } from '../../../../../functions/core/bc/etag-cache.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay } from '../../../../../functions/core/bc/retry.js';
import { checkWritePayload, schemaFor } from '../../../../../functions/core/bc/schema.js';

describe('Retry-After and backoff', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });

  it('uses full jitter under an exponentially growing, capped ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });

  it('honours Retry-After, stops at the budget and at an over-long Retry-After', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetries: 2, maxRetryAfterMs: 10_000 };
    expect(retryDelay(0, 7000, policy)).toBe(7000);
    expect(retryDelay(1, undefined, policy, () => 0.5)).toBe(250);
    expect(retryDelay(2, 1000, policy)).toBeUndefined();
    expect(retryDelay(0, 60_000, policy)).toBeUndefined();
  });
});

describe('error mapping', () => {
  const failure = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    errorFromResponse({ method: 'PATCH', path: '/x', status, headers: new Headers(headers), bodyText: typeof body === 'string' ? body : JSON.stringify(body) });

  it("carries BC's code and the correlation id from the message", () => {
    const error = failure(412, { error: { code: 'Request_EntityChanged', message: 'Another user has already changed the record.  CorrelationId:  1f3c5a7e-0000-4000-8000-000000000001.' } });
    expect(error).toBeInstanceOf(BcConflictError);
    expect(error.kind).toBe('conflict');
    expect(error.code).toBe('Request_EntityChanged');
    expect(error.correlationId).toBe('1f3c5a7e-0000-4000-8000-000000000001');
    expect(error.message).toBe('BC PATCH /x failed: 412 Request_EntityChanged: Another user has already changed the record.');
    expect(error.retryable).toBe(false);
  });

  it('falls back to the request-id header and to the status when the body is not BC JSON', () => {
    const error = failure(503, '<html>busy</html>', { 'request-id': 'abc-123' });
    expect(error).toBeInstanceOf(BcUnavailableError);
    expect(error.code).toBe('Http_503');
    expect(error.correlationId).toBe('abc-123');
    expect(error.retryable).toBe(true);
  });

  it('classifies by status', () => {
    expect(failure(404, { error: { code: 'Internal_RecordNotFound', message: 'gone' } })).toBeInstanceOf(BcNotFoundError);
    expect(failure(400, { error: { code: 'BadRequest_InvalidToken', message: 'no If-Match' } })).toBeInstanceOf(BcValidationError);
    expect(failure(429, { error: { code: 'Application_TooManyRequests', message: 'slow' } })).toBeInstanceOf(BcThrottledError);
    expect(failure(409, { error: { code: 'Request_EntityChanged', message: 'changed' } })).toBeInstanceOf(BcConflictError);
    expect(failure(401, { error: 'invalid_client', error_description: 'bad secret' }).code).toBe('invalid_client');
    expect(failure(500, {}).kind).toBe('server');
  });

  it('splits only a trailing correlation id', () => {
    expect(splitCorrelationId('Nope.  CorrelationId:  abcdef12-3456.')).toEqual({ message: 'Nope.', correlationId: 'abcdef12-3456' });
    expect(splitCorrelationId('Plain message')).toEqual({ message: 'Plain message' });
  });
});

describe('ETag cache', () => {
  it('keys by company, entity set and id (case-insensitive ids) and evicts the least recently used', () => {
    const cache = new EtagCache(2);
    cache.set('C1', 'customers', 'AA', 'e1');
    expect(cache.get('c1', 'customers', 'aa')).toBe('e1');
    expect(cache.get('c2', 'customers', 'aa')).toBeUndefined();
    expect(cache.get('c1', 'vendors', 'aa')).toBeUndefined();
    cache.set('c1', 'customers', 'bb', 'e2');
    cache.get('c1', 'customers', 'aa'); // aa is now the most recent
    cache.set('c1', 'customers', 'cc', 'e3');
    expect(cache.size).toBe(2);
    expect(cache.get('c1', 'customers', 'bb')).toBeUndefined();
    expect(cache.get('c1', 'customers', 'aa')).toBe('e1');
    cache.remember('c1', 'customers', { id: 'dd', '@odata.etag': 'W/"x"' });
    expect(cache.get('c1', 'customers', 'dd')).toBe('W/"x"');
    cache.delete('c1', 'customers', 'dd');
    expect(cache.get('c1', 'customers', 'dd')).toBeUndefined();
  });
});

describe('batch', () => {
  const op = (index: number, method: 'GET' | 'POST' | 'PATCH' | 'DELETE' = 'POST'): PreparedBatchOperation => ({
    index,
    operation: { method, entitySet: 'customers' },
    relativeUrl: 'companies(c)/customers',
    ...(method === 'POST' ? { body: { displayName: `n${index}` } } : {}),
    ...(method === 'PATCH' ? { ifMatch: 'W/"e"', body: { displayName: 'x' } } : {}),
  });

  it('splits into requests of at most 100 and refuses an atomic batch over 100', () => {
    const ops = Array.from({ length: 250 }, (_, i) => i);
    expect(chunkBatch(ops, false).map((c) => c.length)).toEqual([100, 100, 50]);
    expect(chunkBatch(ops.slice(0, 100), true)).toHaveLength(1);
    expect(() => chunkBatch(ops.slice(0, 101), true)).toThrow(BcInvalidRequestError);
    expect(() => chunkBatch(ops.slice(0, 101), true)).toThrow(/at most 100 operations \(got 101\)/);
  });

  it('builds JSON batch requests with ids, headers and bodies', () => {
    expect(buildBatchBody([op(0), op(1, 'PATCH'), op(2, 'GET')])).toEqual({
      requests: [
        { id: '1', method: 'POST', url: 'companies(c)/customers', headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, body: { displayName: 'n0' } },
        { id: '2', method: 'PATCH', url: 'companies(c)/customers', headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'If-Match': 'W/"e"' }, body: { displayName: 'x' } },
        { id: '3', method: 'GET', url: 'companies(c)/customers', headers: { Accept: 'application/json' } },
      ],
    });
  });

  it('matches answers by id, maps failures, and marks an atomic batch with a failure as rolled back', () => {
    const chunk = [op(0), op(1)];
    const body = {
      responses: [
        { id: '2', status: 400, body: { error: { code: 'BadRequest_RequiredParamNotProvided', message: "Field 'displayName' must not be blank." } } },
        { id: '1', status: 201, headers: { ETag: 'W/"1"' }, body: { id: 'a', displayName: 'n0' } },
      ],
    };
    const plain = readBatchResponse(chunk, body, false, '/$batch');
    expect(plain[0]).toMatchObject({ index: 0, status: 201, ok: true, etag: 'W/"1"' });
    expect(plain[1]).toMatchObject({ index: 1, status: 400, ok: false });
    expect(plain[1].error?.code).toBe('BadRequest_RequiredParamNotProvided');
    const atomic = readBatchResponse(chunk, body, true, '/$batch');
    expect(atomic[0]).toMatchObject({ ok: false, rolledBack: true, status: 201 });
    const missing = readBatchResponse(chunk, { responses: [body.responses[1]] }, false, '/$batch');
    expect(missing[1]).toMatchObject({ ok: false, status: 0 });
    expect(missing[1].error?.code).toBe('Client_MissingBatchResponse');
    expect(() => readBatchResponse(chunk, {}, false, '/$batch')).toThrow(/responses/);
  });
});

describe('write payloads', () => {
  const lookup = (name: string) => findEntitySet(name);

  it('drops annotations, refuses unknown and read-only fields', () => {
    expect(checkWritePayload(schemaFor('customers'), { displayName: 'A', '@odata.etag': 'W/"1"' }, 'update', lookup)).toEqual({ displayName: 'A' });
    expect(() => checkWritePayload(schemaFor('customers'), { displayName: 'A', isAdmin: true }, 'create', lookup)).toThrow(/Unknown field 'isAdmin'/);
    expect(() => checkWritePayload(schemaFor('customers'), { id: '5d115c9c-44e3-ea11-bb43-000d3a2feca1' }, 'create', lookup)).toThrow(/'id' of 'customers' is read-only/);
    expect(() => checkWritePayload(schemaFor('customers'), {}, 'update', lookup)).toThrow(/Nothing to update/);
    expect(() => checkWritePayload(schemaFor('customers'), [1], 'create', lookup)).toThrow(/JSON object/);
  });

  it('allows deep-inserted lines on create only, each line checked', () => {
    const order = checkWritePayload(schemaFor('purchaseOrders'), { vendorNumber: '20000', purchaseOrderLines: [{ lineObjectNumber: '1000', quantity: 2 }] }, 'create', lookup);
    expect(order.purchaseOrderLines).toEqual([{ lineObjectNumber: '1000', quantity: 2 }]);
    expect(() => checkWritePayload(schemaFor('purchaseOrders'), { purchaseOrderLines: [{ bogus: 1 }] }, 'create', lookup)).toThrow(/Unknown field 'bogus' for 'purchaseOrderLines'/);
    expect(() => checkWritePayload(schemaFor('purchaseOrders'), { purchaseOrderLines: [] }, 'update', lookup)).toThrow(/Unknown field/);
  });
});
