// BC sandbox posting: latency of `salesInvoices({id})/Microsoft.NAV.post` over HTTP (median and p95 over a fixed
// number of one-line draft invoices), the records one posting writes (counts that do not drift: item ledger and
// G/L entries), and the size of the state the all-or-nothing snapshot copies.
import { medianAndP95, timedFetch, withSandbox } from './support/sandbox-http.js';

const RUNS = 100;

export async function run(): Promise<void> {
  await withSandbox(async ({ sandbox, company, auth }) => {
    const headers = { ...auth, 'Content-Type': 'application/json' };
    const json = async (url: string, method = 'GET', body?: unknown) => {
      const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return response.status === 204 ? undefined : ((await response.json()) as any);
    };
    const [item] = (await json(`${company}/items?$filter=${encodeURIComponent("type eq 'Inventory' and blocked eq false and inventory gt 100")}&$top=1`)).value;
    const drafts: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const invoice = await json(`${company}/salesInvoices`, 'POST', { customerNumber: '10000' });
      await json(`${company}/salesInvoices(${invoice.id})/salesInvoiceLines`, 'POST', { itemId: item.id, quantity: 0.5 });
      drafts.push(invoice.id);
    }
    const count = async (set: string) => Number(await (await fetch(`${company}/${set}/$count`, { headers })).text());
    const before = { items: await count('itemLedgerEntries'), gl: await count('generalLedgerEntries') };
    const stateBytes = sandbox.snapshot().length;
    const times: number[] = [];
    for (const id of drafts) {
      const { ms, status } = await timedFetch(`${company}/salesInvoices(${id})/Microsoft.NAV.post`, { method: 'POST', headers });
      times.push(ms);
      if (status !== 204) throw new Error(`post answered ${status}`);
    }
    const perPost = { items: ((await count('itemLedgerEntries')) - before.items) / RUNS, gl: ((await count('generalLedgerEntries')) - before.gl) / RUNS };
    console.log(`POST salesInvoices({id})/Microsoft.NAV.post (1 item line): ${medianAndP95(times)}`);
    console.log(`records per posting: ${perPost.items} item ledger entries, ${perPost.gl} G/L entries; state copied by the snapshot: ${(stateBytes / 1024).toFixed(0)} KiB before, ${(sandbox.snapshot().length / 1024).toFixed(0)} KiB after`);
  });
}
