// BC sandbox: latency of typical calls against the embedded sandbox (median and p95 over a fixed number of
// runs), and the server-side request count per call (1 for a one-page query).
import { medianAndP95, timedFetch, withSandbox } from './support/sandbox-http.js';

const RUNS = 200;

export async function run(): Promise<void> {
  await withSandbox(async ({ sandbox, company, auth: headers }) => {
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
      for (let i = 0; i < RUNS; i++) times.push((await timedFetch(url, { headers })).ms);
      const calls = sandbox.stats().total / RUNS;
      console.log(`${label}: ${medianAndP95(times)}, BC requests per call ${calls}`);
    }
  });
}
