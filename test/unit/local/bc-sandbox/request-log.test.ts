// The BC sandbox's bounded log of recent API requests with their x-correlation-id (for following a story into BC).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../local/bc-sandbox/index.js';
import { RequestLog } from '../../../../local/bc-sandbox/request-log.js';

describe('RequestLog', () => {
  it('keeps the latest entries up to its capacity, oldest first', () => {
    const log = new RequestLog(3, () => Date.parse('2026-01-02T03:04:05Z'));
    for (let i = 1; i <= 5; i++) log.record({ method: 'GET', path: `/p${i}`, correlationId: `corr-${i}` });
    expect(log.list().map((e) => e.path)).toEqual(['/p3', '/p4', '/p5']);
    expect(log.list()[0]).toEqual({ at: '2026-01-02T03:04:05.000Z', method: 'GET', path: '/p3', correlationId: 'corr-3' });
    log.clear();
    expect(log.list()).toEqual([]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RequestLog(0)).toThrow(/positive integer/);
  });
});

describe('the sandbox request log', () => {
  let sandbox: BcSandbox;
  beforeAll(async () => {
    sandbox = await startBcSandbox({ port: 0 });
  });
  afterAll(() => sandbox?.stop());

  it('records each API request with its x-correlation-id, readable over GET /_admin/requests', async () => {
    const token = await sandbox.getToken();
    const company = sandbox.companyIds()[0]!;
    await fetch(`${sandbox.apiUrl}/companies(${company})/customers?$top=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-correlation-id': 'corr-sandbox-1' },
    });
    await fetch(`${sandbox.apiUrl}/companies(${company})/vendors?$top=1`, { headers: { authorization: `Bearer ${token}` } });

    const response = await fetch(`${sandbox.url}/_admin/requests`);
    expect(response.status).toBe(200);
    const { value } = (await response.json()) as { value: Record<string, unknown>[] };
    expect(value).toEqual(sandbox.requests());
    // Token and admin requests are not BC API traffic.
    expect(value.map((e) => [e.method, e.entitySet, e.correlationId])).toEqual([
      ['GET', 'customers', 'corr-sandbox-1'],
      ['GET', 'vendors', undefined],
    ]);
    expect(value[0]!.path).toBe(`/v2.0/${sandbox.tenant}/${sandbox.environment}/api/v2.0/companies(${company})/customers`);

    expect((await fetch(`${sandbox.url}/_admin/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(sandbox.requests()).toEqual([]);
  });
});
