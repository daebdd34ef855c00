// BC sandbox posting: latency of `salesInvoices({id})/Microsoft.NAV.post` over HTTP (median and p95 over a fixed
// number of one-line draft invoices), the records one posting writes (counts that do not drift: item ledger and
// G/L entries), and the size of the state the all-or-nothing snapshot copies.
import { startBcSandbox } from '../local/bc-sandbox/index.js';

const RUNS = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<void> {
  const sandbox = await startBcSandbox();
  try {
    const headers = { Authorization: `Bearer ${await sandbox.getToken()}`, 'Content-Type': 'application/json' };
    const company = `${sandbox.apiUrl}/companies(${sandbox.companyIds()[0]})`;
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
      const started = performance.now();
      const response = await fetch(`${company}/salesInvoices(${id})/Microsoft.NAV.post`, { method: 'POST', headers });
      await response.arrayBuffer();
      times.push(performance.now() - started);
      if (response.status !== 204) throw new Error(`post answered ${response.status}`);
    }
    times.sort((a, b) => a - b);
    const perPost = { items: ((await count('itemLedgerEntries')) - before.items) / RUNS, gl: ((await count('generalLedgerEntries')) - before.gl) / RUNS };
    console.log(`POST salesInvoices({id})/Microsoft.NAV.post (1 item line): median ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms`);
    console.log(`records per posting: ${perPost.items} item ledger entries, ${perPost.gl} G/L entries; state copied by the snapshot: ${(stateBytes / 1024).toFixed(0)} KiB before, ${(sandbox.snapshot().length / 1024).toFixed(0)} KiB after`);
  } finally {
    await sandbox.stop();
  }
}
