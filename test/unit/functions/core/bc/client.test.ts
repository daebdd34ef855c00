// The BC client against the BC sandbox: paging, ETags and conflicts, retries on injected faults, timeouts,
// batches (split and atomic), token caching and refresh, typed errors with BC's codes, and the custom API.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BcAuthError, BcClient, BcConflictError, BcInvalidRequestError, BcNotFoundError, BcServerError, BcThrottledError, BcUnavailableError, BcValidationError, BcTimeoutError, BcNetworkError, itemReservationsApi, withBcDeadline, type BcRequestInfo } from '../../../../../functions/core/bc/index.js';
import { startBcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { addFault, clearFaults, CREDENTIALS, recordedClient, sandboxConfig, type Sandbox } from '../../../../support/bc-client.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
});

afterAll(async () => {
  await sandbox?.stop();
});

afterEach(async () => {
  await clearFaults(sandbox);
});

const bcCalls = (requests: BcRequestInfo[]) => requests.filter((r) => !r.path.endsWith('/oauth2/v2.0/token'));

describe('companies and paging', () => {
  it('addresses the first company by default, and a company by name', async () => {
    const { client } = recordedClient(sandbox);
    const companies = await client.companies();
    expect(companies.length).toBeGreaterThanOrEqual(2);
    expect(await client.resolveCompany()).toBe(companies[0]!.id);
    expect(await client.resolveCompany(String(companies[1]!.name))).toBe(companies[1]!.id);
    await expect(client.resolveCompany('No Such Company')).rejects.toThrow(/No company named 'No Such Company'/);
  });

  it('follows nextLink up to the page cap, reports the rest, and continues from it', async () => {
    const { client, requests } = recordedClient(sandbox);
    const all = await client.query('customers', { count: true, orderby: [{ field: 'number' }] });
    expect(all.value.length).toBeGreaterThanOrEqual(30);
    expect(all.count).toBe(all.value.length);
    expect(all.nextLink).toBeUndefined();

    requests.length = 0;
    const capped = await client.query('customers', { orderby: [{ field: 'number' }] }, { pageSize: 10, maxPages: 2 });
    expect(capped.value).toHaveLength(20);
    expect(capped.nextLink).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\.0\/local\/sandbox\/api\/v2\.0\//);
    expect(bcCalls(requests).filter((r) => r.path.endsWith('/customers'))).toHaveLength(2);

    const rest = await client.continueQuery('customers', capped.nextLink!, { pageSize: 10, maxPages: 100 });
    expect(rest.nextLink).toBeUndefined();
    const numbers = [...capped.value, ...rest.value].map((c) => c.number);
    expect(numbers).toEqual(all.value.map((c) => c.number));
  });

  it('sends a structured filter BC evaluates, and an injection attempt matches nothing', async () => {
    const { client } = recordedClient(sandbox);
    const all = await client.query('customers', { select: ['id', 'number', 'displayName'] });
    const first = all.value[0]!;
    const exact = await client.query('customers', { filter: { field: 'displayName', op: 'eq', value: first.displayName as string } });
    expect(exact.value.map((c) => c.id)).toContain(first.id);
    const injected = await client.query('customers', { filter: { field: 'displayName', op: 'eq', value: "x' or 1 eq 1 or displayName eq 'y" } });
    expect(injected.value).toHaveLength(0);
    const inList = await client.query('customers', { filter: { field: 'number', op: 'in', values: [first.number as string, "' or '1' eq '1"] } });
    expect(inList.value.map((c) => c.number)).toEqual([first.number]);
  });

  it('refuses unknown entity sets and fields before any HTTP call', async () => {
    const { client, requests } = recordedClient(sandbox);
    await expect(client.query('secrets')).rejects.toBeInstanceOf(BcInvalidRequestError);
    await expect(client.query('customers', { filter: { field: 'password', op: 'eq', value: 'x' } })).rejects.toThrow(/Unknown field 'password'/);
    await expect(
      client.query('customers', { filter: { or: [{ field: 'city', op: 'eq', value: 'A' }, { field: 'state', op: 'eq', value: 'B' }] } }),
    ).rejects.toThrow(/cannot combine different fields with 'or'/);
    await expect(client.get('customers', "x) or (1 eq 1")).rejects.toThrow(/must be a GUID/);
    expect(requests).toHaveLength(0);
  });

  it('refuses a nextLink that points anywhere else', async () => {
    const { client, requests } = recordedClient(sandbox);
    await expect(client.continueQuery('customers', 'http://evil.example/v2.0/local/sandbox/api/v2.0/companies')).rejects.toThrow(/does not belong/);
    expect(requests).toHaveLength(0);
  });
});

describe('continuing a query from a caller-supplied nextLink', () => {
  it('refuses a nextLink of another entity set, another company or a single record', async () => {
    const { client, requests } = recordedClient(sandbox);
    const companies = await client.companies();
    const [first, second] = [String(companies[0]!.id), String(companies[1]!.id)];
    const capped = await client.query('vendors', {}, { pageSize: 5, maxPages: 1 });
    expect(capped.nextLink).toContain('/vendors');
    const root = capped.nextLink!.slice(0, capped.nextLink!.indexOf('/companies('));
    requests.length = 0;
    // The entity set named in the call is what the caller (e.g. the MCP tool) checked; the link must agree.
    await expect(client.continueQuery('customers', capped.nextLink!)).rejects.toThrow(/not a page of 'customers'/);
    await expect(client.continueQuery('customers', `${root}/companies(${first})/employees?$skiptoken=1`)).rejects.toThrow(/not a page of 'customers'/);
    await expect(client.continueQuery('customers', `${root}/companies(${first})/customers(${first})`)).rejects.toThrow(/not a page of 'customers'/);
    await expect(client.continueQuery('customers', `${root}/$metadata`)).rejects.toThrow(/not a page of 'customers'/);
    const otherApi = root.replace(/\/api\/v2\.0$/, '/api/abcd');
    await expect(client.continueQuery('customers', `${otherApi}/companies(${first})/customers`)).rejects.toThrow(/not a page of 'customers'/);
    await expect(client.continueQuery('vendors', capped.nextLink!, { company: second })).rejects.toThrow(/another company/);
    expect(requests).toHaveLength(0);
    const rest = await client.continueQuery('vendors', capped.nextLink!, { company: first, pageSize: 5, maxPages: 1 });
    expect(rest.value).toHaveLength(5);
  });
});

describe('ETags', () => {
  it('sends the ETag remembered from a read; a stale one is a conflict, never an overwrite', async () => {
    const alice = recordedClient(sandbox).client;
    const bob = recordedClient(sandbox).client;
    const { value } = await alice.query('customers', { top: 1, orderby: [{ field: 'number', direction: 'desc' }] });
    const id = value[0]!.id as string;
    await bob.get('customers', id);
    const bobs = await bob.update('customers', id, { city: 'Bob City' });
    expect(bobs.city).toBe('Bob City');

    const conflict = await alice.update('customers', id, { city: 'Alice City' }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(BcConflictError);
    expect((conflict as BcConflictError).code).toBe('Request_EntityChanged');
    expect((conflict as BcConflictError).status).toBe(412);
    expect((conflict as BcConflictError).correlationId).toMatch(/^[0-9a-f-]{8,}$/i);
    expect((await bob.get('customers', id)).city).toBe('Bob City');

    // After re-reading, Alice's change goes through with the fresh ETag.
    const fresh = await alice.get('customers', id);
    const updated = await alice.update('customers', id, { city: 'Alice City' });
    expect(updated.city).toBe('Alice City');
    expect(updated['@odata.etag']).not.toBe(fresh['@odata.etag']);
  });

  it('with missingEtag=error refuses a blind write; by default reads the current ETag first', async () => {
    const strict = recordedClient(sandbox, { missingEtag: 'error' });
    const { value } = await new BcClient(sandboxConfig(sandbox)).query('vendors', { top: 1 });
    const id = value[0]!.id as string;
    await expect(strict.client.update('vendors', id, { city: 'Nowhere' })).rejects.toThrow(/No ETag known/);
    expect(bcCalls(strict.requests)).toHaveLength(1); // the company lookup only

    const lenient = recordedClient(sandbox);
    const result = await lenient.client.update('vendors', id, { city: 'Somewhere' });
    expect(result.city).toBe('Somewhere');
    expect(bcCalls(lenient.requests).map((r) => r.method)).toEqual(['GET', 'GET', 'PATCH']);
  });

  it('deletes with If-Match and reports a missing record as not found', async () => {
    const { client } = recordedClient(sandbox);
    const created = await client.create('customers', { displayName: 'Delete Me Ltd' });
    await client.delete('customers', created.id as string);
    const gone = await client.get('customers', created.id as string).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(BcNotFoundError);
    expect((gone as BcNotFoundError).code).toBe('Internal_RecordNotFound');
  });
});

describe('retries', () => {
  it('retries a 429 after exactly the Retry-After BC sent', async () => {
    const { client, requests, sleeps } = recordedClient(sandbox);
    await client.resolveCompany();
    requests.length = 0;
    await addFault(sandbox, { entitySet: 'customers', method: 'GET', status: 429, count: 2, retryAfterSeconds: 7 });
    const result = await client.query('customers', { top: 3 });
    expect(result.value).toHaveLength(3);
    expect(sleeps).toEqual([7000, 7000]);
    expect(requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('retries 503s and then succeeds; gives up with a typed error when they persist', async () => {
    const ok = recordedClient(sandbox);
    await ok.client.resolveCompany();
    await addFault(sandbox, { entitySet: 'items', method: 'GET', status: 503, count: 2, retryAfterSeconds: 1 });
    expect((await ok.client.query('items', { top: 1 })).value).toHaveLength(1);
    expect(ok.sleeps).toEqual([1000, 1000]);

    await clearFaults(sandbox);
    const limited = recordedClient(sandbox, { maxRetries: 2 });
    await limited.client.resolveCompany();
    await addFault(sandbox, { entitySet: 'items', method: 'GET', status: 503 });
    const error = await limited.client.query('items').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcUnavailableError);
    expect((error as BcUnavailableError).retryable).toBe(true);
    expect(limited.sleeps).toHaveLength(2);
    expect(bcCalls(limited.requests).filter((r) => r.path.endsWith('/items'))).toHaveLength(3);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    // The sandbox sends delta-seconds; this fetch rewrites them into the equivalent HTTP date, as some
    // gateways in front of BC do, measured against the client's (fixed) clock.
    const clock = Math.floor(Date.now() / 1000) * 1000;
    const datingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const seconds = response.headers.get('retry-after');
      if (!seconds) return response;
      const headers = new Headers(response.headers);
      headers.set('retry-after', new Date(clock + Number(seconds) * 1000).toUTCString());
      return new Response(await response.text(), { status: response.status, headers });
    };
    const { client, sleeps } = recordedClient(sandbox, {}, { fetch: datingFetch, now: () => clock });
    await client.resolveCompany();
    await addFault(sandbox, { entitySet: 'customers', method: 'GET', status: 429, count: 1, retryAfterSeconds: 4 });
    await client.query('customers', { top: 1 });
    expect(sleeps).toEqual([4000]);
  });

  it('retries network failures and then reports them typed', async () => {
    const gone = await startBcSandbox({ port: 0 });
    await gone.stop();
    const { client, requests, sleeps } = recordedClient(gone, { maxRetries: 2 });
    const error = await client.companies().catch((e: unknown) => e);
    // The token request is the first to hit the closed port.
    expect(error).toBeInstanceOf(BcNetworkError);
    expect((error as BcNetworkError).status).toBe(0);
    expect((error as BcNetworkError).retryable).toBe(true);
    expect(String((error as Error).message)).toMatch(/ECONNREFUSED/);
    expect(requests.map((r) => r.errorKind)).toEqual(['network', 'network', 'network']);
    expect(sleeps).toHaveLength(2);
  });

  it('backs off exponentially with jitter when no Retry-After is given (504)', async () => {
    const { client, sleeps } = recordedClient(sandbox, {}, { retry: { baseDelayMs: 100 } });
    await client.companies();
    await addFault(sandbox, { entitySet: 'locations', method: 'GET', status: 504, count: 3 });
    await client.query('locations');
    expect(sleeps).toEqual([50, 100, 200]); // random() = 0.5 of 100, 200, 400
  });

  it('does not repeat a POST after an ambiguous failure, nor a 500', async () => {
    const { client, requests } = recordedClient(sandbox);
    await client.resolveCompany();
    requests.length = 0;
    await addFault(sandbox, { entitySet: 'customers', method: 'POST', status: 504, count: 1 });
    await expect(client.create('customers', { displayName: 'Once Only Inc' })).rejects.toBeInstanceOf(BcUnavailableError);
    expect(requests).toHaveLength(1);

    requests.length = 0;
    await addFault(sandbox, { entitySet: 'vendors', method: 'GET', status: 500, count: 1 });
    const error = await client.query('vendors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcServerError);
    expect((error as BcServerError).code).toBe('Internal_ServerError');
    expect((error as BcServerError).correlationId).toBeTruthy();
    expect(requests).toHaveLength(1);
  });

  it('times out a hanging request and retries a GET', async () => {
    const { client, requests } = recordedClient(sandbox, { timeoutMs: 300 });
    await client.resolveCompany();
    requests.length = 0;
    await addFault(sandbox, { entitySet: 'currencies', method: 'GET', hang: true, count: 1 });
    const result = await client.query('currencies');
    expect(result.value.length).toBeGreaterThan(0);
    expect(requests.map((r) => r.errorKind ?? 'ok')).toEqual(['timeout', 'ok']);

    await addFault(sandbox, { entitySet: 'currencies', method: 'GET', hang: true });
    const strict = recordedClient(sandbox, { timeoutMs: 200, maxRetries: 0 });
    await strict.client.resolveCompany();
    await expect(strict.client.query('currencies')).rejects.toBeInstanceOf(BcTimeoutError);
  });
});

describe('writes whose outcome is unknown', () => {
  it('marks a timed-out POST as possibly applied (not to be repeated blindly), a timed-out GET not', async () => {
    const { client, requests } = recordedClient(sandbox, { timeoutMs: 150 });
    await client.resolveCompany();
    requests.length = 0;
    await addFault(sandbox, { entitySet: 'customers', method: 'POST', hang: true, count: 1 });
    const error = await client.create('customers', { displayName: 'Maybe Made' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcTimeoutError);
    expect((error as BcTimeoutError).outcomeUnknown).toBe(true);
    expect(requests).toHaveLength(1); // the client itself does not repeat it

    const reader = recordedClient(sandbox, { timeoutMs: 150, maxRetries: 0 });
    await reader.client.resolveCompany();
    await addFault(sandbox, { entitySet: 'currencies', method: 'GET', hang: true, count: 1 });
    const readError = await reader.client.query('currencies').catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(BcTimeoutError);
    expect((readError as BcTimeoutError).outcomeUnknown).toBe(false);
  });
});

describe('the invocation deadline', () => {
  it('gives up when the caller\'s time is spent instead of running timeouts and retries past it', async () => {
    const { client, requests } = recordedClient(sandbox, { timeoutMs: 2_000, maxRetries: 1 });
    await client.resolveCompany();
    requests.length = 0;
    await addFault(sandbox, { entitySet: 'currencies', method: 'GET', hang: true });
    const started = Date.now();
    const error = await withBcDeadline(Date.now() + 300, () => client.query('currencies')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcTimeoutError);
    expect((error as BcTimeoutError).retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(requests).toHaveLength(1);
    // Already past the deadline: no request at all.
    requests.length = 0;
    await expect(withBcDeadline(Date.now() - 1, () => client.query('currencies'))).rejects.toBeInstanceOf(BcTimeoutError);
    expect(requests).toHaveLength(0);
  });

  it('reports BC\'s own failure when the wait before a retry ran past the deadline', async () => {
    let clock = Date.now();
    const overrunningSleep = async (ms: number) => {
      clock += ms + 10_000; // the process was paused far longer than asked
    };
    const paused = new BcClient(sandboxConfig(sandbox), { now: () => clock, random: () => 0.5, sleep: overrunningSleep });
    await paused.resolveCompany();
    await addFault(sandbox, { entitySet: 'currencies', method: 'GET', status: 503, count: 1 });
    const error = await withBcDeadline(clock + 5_000, () => paused.query('currencies')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcUnavailableError);
  });
});

describe('$batch', () => {
  it('rolls an atomic batch back when one operation fails', async () => {
    const { client } = recordedClient(sandbox);
    const results = await client.batch(
      [
        { method: 'POST', entitySet: 'customers', data: { displayName: 'Atomic Alpha' } },
        { method: 'POST', entitySet: 'customers', data: { city: 'No Name Town' } },
      ],
      { atomic: true },
    );
    expect(results[0]).toMatchObject({ ok: false, rolledBack: true });
    expect(results[1]!.ok).toBe(false);
    expect(results[1]!.error).toBeInstanceOf(BcValidationError);
    expect(results[1]!.error!.code).toBe('BadRequest_RequiredParamNotProvided');
    const found = await client.query('customers', { filter: { field: 'displayName', op: 'eq', value: 'Atomic Alpha' } });
    expect(found.value).toHaveLength(0);

    const plain = await client.batch([
      { method: 'POST', entitySet: 'customers', data: { displayName: 'Plain Alpha' } },
      { method: 'POST', entitySet: 'customers', data: { city: 'No Name Town' } },
    ]);
    expect(plain.map((r) => r.ok)).toEqual([true, false]);
    const kept = await client.query('customers', { filter: { field: 'displayName', op: 'eq', value: 'Plain Alpha' } });
    expect(kept.value).toHaveLength(1);
  });

  it('splits a large batch into requests of 100 and refuses an atomic one over 100', async () => {
    const { client, requests } = recordedClient(sandbox);
    const { value } = await client.query('items', { top: 5 });
    requests.length = 0;
    const operations = Array.from({ length: 150 }, (_, i) => ({ method: 'GET' as const, entitySet: 'items', id: value[i % value.length]!.id as string }));
    const results = await client.batch(operations);
    expect(results).toHaveLength(150);
    expect(results.every((r) => r.ok && r.status === 200)).toBe(true);
    expect(results.map((r) => r.index)).toEqual(operations.map((_, i) => i));
    expect(requests.filter((r) => r.path.endsWith('/$batch'))).toHaveLength(2);

    requests.length = 0;
    await expect(client.batch(operations.slice(0, 101), { atomic: true })).rejects.toThrow(/at most 100 operations/);
    expect(requests).toHaveLength(0);
  });

  it('sends remembered ETags in a batch and reports a stale one as a conflict', async () => {
    const alice = recordedClient(sandbox).client;
    const bob = recordedClient(sandbox).client;
    const { value } = await alice.query('locations', { top: 1 });
    const id = value[0]!.id as string;
    await bob.update('locations', id, { city: 'Changed By Bob' });
    const [result] = await alice.batch([{ method: 'PATCH', entitySet: 'locations', id, data: { city: 'Alice' } }]);
    expect(result!.ok).toBe(false);
    expect(result!.error).toBeInstanceOf(BcConflictError);
    expect((await bob.get('locations', id)).city).toBe('Changed By Bob');
  });
});

describe('tokens', () => {
  it('requests one token for many concurrent callers, and one refresh after expiry', async () => {
    let now = Date.now();
    const { client } = recordedClient(sandbox, {}, { now: () => now });
    await Promise.all(Array.from({ length: 12 }, () => client.query('paymentTerms', { top: 1 })));
    expect(client.tokenRequests).toBe(1);
    now += 3 * 3600_000; // past any token lifetime
    await Promise.all(Array.from({ length: 12 }, () => client.query('paymentTerms', { top: 1 })));
    expect(client.tokenRequests).toBe(2);
  });

  it('refreshes once and retries when BC answers 401', async () => {
    // A sandbox whose clock runs ahead expires the token while the client still holds it.
    let sandboxNow = Date.now();
    const skewed = await startBcSandbox({ port: 0, tokenTtlSeconds: 600, now: () => sandboxNow });
    try {
      const { client, requests } = recordedClient(skewed);
      await client.companies();
      expect(client.tokenRequests).toBe(1);
      sandboxNow += 601_000;
      requests.length = 0;
      const result = await client.query('currencies', { top: 1 });
      expect(result.value).toHaveLength(1);
      expect(client.tokenRequests).toBe(2);
      expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 401', 'POST 200', 'GET 200']);

      // Many callers hit by 401 at once share one refresh.
      sandboxNow += 601_000;
      await Promise.all(Array.from({ length: 8 }, () => client.query('currencies', { top: 1 })));
      expect(client.tokenRequests).toBe(3);
    } finally {
      await skewed.stop();
    }
  });

  it('gives up with an auth error when a fresh token is rejected too', async () => {
    // Every reading of this clock is ten minutes later, so each token has expired by the time BC checks it.
    let sandboxNow = Date.now();
    const racing = await startBcSandbox({ port: 0, tokenTtlSeconds: 600, now: () => (sandboxNow += 601_000) });
    try {
      const { client, requests } = recordedClient(racing);
      const error = await client.query('currencies').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BcAuthError);
      expect((error as BcAuthError).status).toBe(401);
      expect((error as BcAuthError).code).toBe('Authentication_InvalidCredentials');
      expect(client.tokenRequests).toBe(2);
      expect(requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 200', 'GET 401', 'POST 200', 'GET 401']);
    } finally {
      await racing.stop();
    }
  });

  it('keeps the secret and the token out of a logged or serialised client', async () => {
    const { client } = recordedClient(sandbox);
    await client.companies();
    const token = await sandbox.getToken(); // a sample of the token format, to be sure the check can see one
    expect(token).toMatch(/^bcsbx\./);
    for (const text of [JSON.stringify(client), inspect(client, { depth: 20, showHidden: true })]) {
      expect(text).not.toContain(CREDENTIALS.clientSecret);
      expect(text).not.toMatch(/bcsbx\./);
    }
  });

  it('fails with an auth error that never shows the secret', async () => {
    const secret = 'wrong-secret-value-123';
    const { client } = recordedClient(sandbox, { clientSecret: secret });
    const error = await client.companies().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BcAuthError);
    expect((error as BcAuthError).code).toBe('invalid_client');
    expect(String((error as Error).message)).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(CREDENTIALS.clientSecret);
  });
});

describe('actions, metadata and the custom API', () => {
  it('reads $metadata once per client', async () => {
    const { client, requests } = recordedClient(sandbox);
    const edmx = await client.metadata();
    expect(edmx).toContain('<edmx:Edmx');
    expect(edmx).toContain('customer');
    await client.metadata();
    expect(bcCalls(requests)).toHaveLength(1);
  });

  it('adds lines under their document and runs a documented bound action; refuses an undocumented one', async () => {
    const { client } = recordedClient(sandbox);
    const { value: vendors } = await client.query('vendors', { filter: { field: 'blocked', op: 'eq', value: ' ' }, top: 1 });
    const { value: items } = await client.query('items', { filter: { field: 'type', op: 'eq', value: 'Inventory' }, top: 1 });
    const order = await client.create('purchaseOrders', { vendorId: vendors[0]!.id as string });
    const orderId = order.id as string;
    await expect(client.invokeAction('purchaseOrders', orderId, 'shipAndInvoice')).rejects.toThrow(/no bound action 'shipAndInvoice'/);
    const empty = await client.invokeAction('purchaseOrders', orderId, 'receiveAndInvoice').catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(BcValidationError);
    expect((empty as BcValidationError).code).toBe('Application_DialogException');

    const line = await client.create('purchaseOrderLines', { lineType: 'Item', itemId: items[0]!.id as string, quantity: 2 }, { parentId: orderId });
    expect(line.documentId).toBe(orderId);
    const lines = await client.query('purchaseOrderLines', {}, { parentId: orderId });
    expect(lines.value.map((l) => l.id)).toEqual([line.id]);
    await client.invokeAction('purchaseOrders', orderId, 'Microsoft.NAV.receiveAndInvoice');
    // BC removes a fully received and invoiced order.
    await expect(client.get('purchaseOrders', orderId)).rejects.toBeInstanceOf(BcNotFoundError);
  });

  it('creates, lists and deletes item reservations through the custom API', async () => {
    const { client } = recordedClient(sandbox);
    const { value: items } = await client.query('items', { filter: { field: 'inventory', op: 'gt', value: 5 }, top: 1 });
    const { value: locations } = await client.query('locations', { top: 1 });
    const reservations = client.customApi(itemReservationsApi);
    const created = await reservations.create({ itemId: items[0]!.id as string, locationId: locations[0]!.id as string, quantity: 1, sourceType: 'Other' });
    const id = created.id as string;
    const listed = await reservations.list({ filter: { field: 'itemId', op: 'eq', value: items[0]!.id as string } });
    expect(listed.value.map((r) => r.id)).toContain(id);
    await reservations.delete(id);
    const after = await reservations.list({ filter: { field: 'itemId', op: 'eq', value: items[0]!.id as string } });
    expect(after.value.map((r) => r.id)).not.toContain(id);
    await expect(reservations.list({ filter: { field: 'secret', op: 'eq', value: 'x' } })).rejects.toBeInstanceOf(BcInvalidRequestError);
  });

  it('maps BC errors to typed errors with their code', async () => {
    const { client } = recordedClient(sandbox);
    const missing = await client.get('items', '00000000-0000-0000-0000-00000000abcd').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BcNotFoundError);
    expect((missing as BcNotFoundError).code).toBe('Internal_RecordNotFound');
    expect((missing as BcNotFoundError).correlationId).toBeTruthy();
    const invalid = await client.create('vendors', { city: 'Only a city' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BcValidationError);
    expect((invalid as BcValidationError).code).toBe('BadRequest_RequiredParamNotProvided');
    await addFault(sandbox, { entitySet: 'customers', method: 'GET', status: 429, retryAfterSeconds: 120 });
    const throttled = await client.query('customers').catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(BcThrottledError);
    expect((throttled as BcThrottledError).retryAfterMs).toBe(120_000);
  });
});
