// BC web client links: the documented URL form, built from the stage's settings, for the records a result names.
import { describe, expect, it } from 'vitest';
import { recordLinks, recordUrl, webClientSettingsFromEnv, MAX_LINKS_PER_TASK } from '../../../../../functions/core/record-links/index.js';
import { linksOf } from '../../../../../functions/orchestrator/routes/plan-details.js';
import type { StoredTask } from '../../../../../functions/core/store/index.js';

const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('recordUrl', () => {
  it('opens the card page of the record, filtered on its SystemId, in the configured tenant, environment and company', () => {
    const url = new URL(recordUrl({ baseUrl: 'https://businesscentral.dynamics.com', tenant: 'contoso.onmicrosoft.com', environment: 'Production', companyName: 'CRONUS & Co' }, 'vendors', id)!);
    expect(url.pathname).toBe('/contoso.onmicrosoft.com/Production/');
    expect(Object.fromEntries(url.searchParams)).toEqual({ company: 'CRONUS & Co', page: '26', filter: `'SystemId' IS '${id}'` });
  });

  it("leaves out the tenant `common` and the company when not configured, and keeps a base URL's path", () => {
    const url = new URL(recordUrl({ baseUrl: 'http://127.0.0.1:4580/bc/', tenant: 'common', environment: 'sandbox' }, 'salesOrders', id)!);
    expect(url.pathname).toBe('/bc/sandbox/');
    expect(url.searchParams.get('company')).toBeNull();
    expect(url.searchParams.get('page')).toBe('42');
  });

  it('gives no link for a set without a card page or an id that is not a SystemId (nothing injected into the filter)', () => {
    const settings = { baseUrl: 'https://businesscentral.dynamics.com' };
    expect(recordUrl(settings, 'itemLedgerEntries', id)).toBeUndefined();
    expect(recordUrl(settings, 'customers', "x' OR 'No.' IS '*")).toBeUndefined();
  });
});

describe('recordLinks', () => {
  const settings = { baseUrl: 'https://businesscentral.dynamics.com', environment: 'sandbox' };
  it('links query rows and a returned record, at most MAX_LINKS_PER_TASK', () => {
    const rows = Array.from({ length: MAX_LINKS_PER_TASK + 5 }, (_, i) => ({ id: `0f8fad5b-d9cb-469f-a165-${String(i).padStart(12, '0')}`, number: `C${i}`, displayName: `Customer ${i}` }));
    const links = recordLinks(settings, 'customers', { value: rows });
    expect(links).toHaveLength(MAX_LINKS_PER_TASK);
    expect(links[0]).toMatchObject({ entitySet: 'customers', label: 'C0 Customer 0' });
    expect(recordLinks(settings, 'items', { id, number: '1896-S' })).toEqual([expect.objectContaining({ label: '1896-S', id })]);
    expect(recordLinks(settings, 'items', null)).toEqual([]);
    expect(recordLinks(settings, 'items', 42)).toEqual([]);
  });

  it("links a purchase-order saga's order, and nothing for tools that name no record", () => {
    const task = (tool: string, args: Record<string, unknown> = {}) => ({ id: 't1', type: 'write', tool, arguments: args }) as unknown as StoredTask;
    expect(linksOf(settings, task('saga_purchase_order'), { orderId: id, orderNumber: '106001', lines: 1, reservations: 1 })).toEqual([
      expect.objectContaining({ entitySet: 'purchaseOrders', id, label: '106001' }),
    ]);
    expect(linksOf(settings, task('bc_delete_entity', { entity: 'customers', id }), { id })).toEqual([]);
    expect(linksOf(undefined, task('bc_create_entity', { entity: 'customers' }), { id })).toEqual([]);
  });
});

describe('webClientSettingsFromEnv', () => {
  it('is off without BC_WEB_CLIENT_URL and reads the stage addressing with it', () => {
    expect(webClientSettingsFromEnv({ BC_TENANT: 't' })).toBeUndefined();
    expect(webClientSettingsFromEnv({ BC_WEB_CLIENT_URL: 'https://bc.example', BC_TENANT: 't', BC_ENVIRONMENT: 'e', BC_COMPANY_NAME: 'C' })).toEqual({ baseUrl: 'https://bc.example', tenant: 't', environment: 'e', companyName: 'C' });
  });
});
