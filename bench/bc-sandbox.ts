// BC sandbox: latency of typical calls against the embedded sandbox (median and p95 over a fixed number of
// runs), and the server-side request count per call (1 for a one-page query).
import { startBcSandbox } from '../local/bc-sandbox/index.js';

const RUNS = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<void> {
  const sandbox = await startBcSandbox();
  try {
    const token = await sandbox.getToken();
    const headers = { Authorization: `Bearer ${token}` };
    const company = `${sandbox.apiUrl}/companies(${sandbox.companyIds()[0]})`;
    const [customer] = ((await (await fetch(`${company}/customers?$top=1`, { headers })).json()) as { value: Array<{ id: string }> }).value;
    const cases: Array<[string, string]> = [
      ['GET customers (one page, 32 records)', `${company}/customers`],
      ['GET customers $filter+$select+$orderby', `${company}/customers?$filter=${encodeURIComponent("startswith(displayName,'A') and creditLimit ge 0")}&$select=number,displayName&$orderby=displayName`],
      ['GET customer by id', `${company}/customers(${customer!.id})`],
      ['GET salesOrders $expand=salesOrderLines', `${company}/salesOrders?$expand=salesOrderLines`],
    ];
    for (const [label, url] of cases) {
      sandbox.resetStats();
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        const response = await fetch(url, { headers });
        await response.arrayBuffer();
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const calls = sandbox.stats().total / RUNS;
      console.log(`${label}: median ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms, BC requests per call ${calls}`);
    }
  } finally {
    await sandbox.stop();
  }
}
