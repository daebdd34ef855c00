// JSON $batch: operations run in order; with `Isolation: snapshot` one failure rolls every change back.
import { describe, expect, it } from 'vitest';
import type { BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { SandboxClient, filter, withSandboxClient } from '../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let client: SandboxClient;
withSandboxClient((fixture) => ({ sandbox, client } = fixture), { resetEach: true });

const batch = (requests: unknown[], headers: Record<string, string> = {}) => client.post('$batch', { requests }, headers);

describe('$batch', () => {
  it('runs operations in order with relative, server-relative and absolute URLs', async () => {
    const [customer] = await client.list(client.company('customers?$top=1'));
    const response = await batch([
      { id: '1', method: 'POST', url: client.company('vendors'), body: { displayName: 'Batch Vendor A' } },
      { id: '2', method: 'GET', url: `/v2.0/local/sandbox/api/v2.0/${client.company(`customers(${customer.id})`)}?$select=number` },
      { id: '3', method: 'PATCH', url: `${sandbox.apiUrl}/${client.company(`customers(${customer.id})`)}`, headers: { 'If-Match': customer['@odata.etag'] }, body: { city: 'Batchville' } },
    ]);
    expect(response.status).toBe(200);
    const [created, read, patched] = response.body.responses;
    expect(created).toMatchObject({ id: '1', status: 201, body: { displayName: 'Batch Vendor A' } });
    expect(read).toMatchObject({ id: '2', status: 200, body: { number: customer.number } });
    expect(patched).toMatchObject({ id: '3', status: 200, body: { city: 'Batchville' } });
  });

  it('without isolation keeps the successful operations when one fails', async () => {
    const response = await batch([
      { id: 'a', method: 'POST', url: client.company('vendors'), body: { displayName: 'Kept Vendor' } },
      { id: 'b', method: 'POST', url: client.company('vendors'), body: {} },
      { id: 'c', method: 'POST', url: client.company('vendors'), body: { displayName: 'Depends on b' }, dependsOn: ['b'] },
    ]);
    expect(response.body.responses.map((r: { status: number }) => r.status)).toEqual([201, 400, 424]);
    expect(response.body.responses[1].body.error.code).toBe('BadRequest_RequiredParamNotProvided');
    expect(await client.list(client.company('vendors') + filter("displayName eq 'Kept Vendor'"))).toHaveLength(1);
    expect(await client.list(client.company('vendors') + filter("displayName eq 'Depends on b'"))).toHaveLength(0);
  });

  it('with Isolation: snapshot rolls back every change when one operation fails', async () => {
    const [order] = await client.list(client.company('purchaseOrders?$top=1'));
    const vendorsBefore = await client.list(client.company('vendors'));
    const linesBefore = await client.list(client.company(`purchaseOrders(${order.id})/purchaseOrderLines`));
    const [item] = await client.list(client.company('items') + filter('blocked eq false', '&$top=1'));
    const [blocked] = await client.list(client.company('items') + filter('blocked eq true'));
    const response = await batch(
      [
        { id: '1', method: 'POST', url: client.company('vendors'), body: { displayName: 'Rolled Back Vendor' } },
        { id: '2', method: 'POST', url: client.company(`purchaseOrders(${order.id})/purchaseOrderLines`), body: { itemId: item.id, quantity: 4 } },
        { id: '3', method: 'POST', url: client.company(`purchaseOrders(${order.id})/purchaseOrderLines`), body: { itemId: blocked.id, quantity: 1 } },
        { id: '4', method: 'POST', url: client.company('vendors'), body: { displayName: 'Never Run' } },
      ],
      { Isolation: 'snapshot' },
    );
    expect(response.status).toBe(200);
    const statuses = response.body.responses.map((r: { status: number }) => r.status);
    expect(statuses).toEqual([424, 424, 400, 424]);
    expect(response.body.responses[2].body.error.code).toBe('Application_FieldValidationException');
    expect((await client.list(client.company('vendors'))).map((v) => v.id)).toEqual(vendorsBefore.map((v) => v.id));
    expect(await client.list(client.company(`purchaseOrders(${order.id})/purchaseOrderLines`))).toEqual(linesBefore);
    expect((await client.get(client.company(`purchaseOrders(${order.id})`))).body['@odata.etag']).toBe(order['@odata.etag']);
  });

  it('with Isolation: snapshot commits when every operation succeeds', async () => {
    const response = await batch(
      [
        { id: '1', method: 'POST', url: client.company('vendors'), body: { displayName: 'Atomic One' } },
        { id: '2', method: 'POST', url: client.company('vendors'), body: { displayName: 'Atomic Two' } },
      ],
      { Isolation: 'snapshot' },
    );
    expect(response.body.responses.map((r: { status: number }) => r.status)).toEqual([201, 201]);
    expect(await client.list(client.company('vendors') + filter("startswith(displayName, 'Atomic')"))).toHaveLength(2);
  });

  it('refuses more than 100 operations, malformed bodies and nested batches', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ id: String(i), method: 'GET', url: 'companies' }));
    const tooMany = await batch(many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('BadRequest');
    expect((await batch(many.slice(0, 100))).body.responses).toHaveLength(100);
    expect((await client.post('$batch', { ops: [] })).status).toBe(400);
    const nested = await batch([{ id: '1', method: 'POST', url: '$batch', body: { requests: [] } }]);
    expect(nested.body.responses[0].status).toBe(404);
    expect((await client.get('$batch')).status).toBe(405);
  });
});
