// BC client figures: the cost of building a query, BC calls per client call, and the client's added latency
// over a raw fetch of the same URL against the sandbox, measured interleaved in one run (machines are noisy).
import { performance } from 'node:perf_hooks';
import { BcClient, buildQueryString, schemaFor, type BcRequestInfo, type ODataQuery } from '../functions/core/bc/index.js';
import { startBcSandbox } from '../local/bc-sandbox/index.js';
import { median } from './support/stats.js';

const QUERY: ODataQuery = {
  filter: {
    and: [
      { field: 'displayName', op: 'contains', value: "O'Brien", caseInsensitive: true },
      { or: [{ field: 'creditLimit', op: 'gt', value: 1000 }, { field: 'creditLimit', op: 'eq', value: 0 }] },
      { field: 'number', op: 'in', values: ['10000', '20000', '30000'] },
    ],
  },
  select: ['id', 'number', 'displayName', 'creditLimit'],
  orderby: [{ field: 'number', direction: 'desc' }],
  top: 5,
};

export async function run(): Promise<void> {
  const schema = schemaFor('customers');
  const buildIterations = 20_000;
  const buildStart = performance.now();
  for (let i = 0; i < buildIterations; i++) buildQueryString(schema, QUERY);
  const buildUs = ((performance.now() - buildStart) * 1000) / buildIterations;
  console.log(`query build (filter with and/or/in, select, orderby, top): ${buildUs.toFixed(2)} µs per query`);

  const sandbox = await startBcSandbox({ port: 0 });
  try {
    const calls: BcRequestInfo[] = [];
    const client = new BcClient(
      sandbox.connection,
      { onRequest: (info) => calls.push(info) },
    );
    const simple: ODataQuery = { top: 5, orderby: [{ field: 'number' }] };
    await client.query('customers', simple); // warm: token and company lookup
    calls.length = 0;
    await client.query('customers', simple);
    console.log(`BC calls per one-page query (warm client): ${calls.length}`);

    const company = await client.resolveCompany();
    const url = `${sandbox.apiUrl}/companies(${company})/customers${buildQueryString(schema, simple)}`;
    const token = await sandbox.getToken();
    const raw: number[] = [];
    const viaClient: number[] = [];
    const rounds = 300;
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      await response.json();
      raw.push(performance.now() - t);
      t = performance.now();
      await client.query('customers', simple);
      viaClient.push(performance.now() - t);
    }
    const rawMs = median(raw);
    const clientMs = median(viaClient);
    console.log(`sandbox GET customers?$top=5, median of ${rounds} interleaved: raw fetch ${rawMs.toFixed(3)} ms, BcClient.query ${clientMs.toFixed(3)} ms, added ${(clientMs - rawMs).toFixed(3)} ms per call`);
  } finally {
    await sandbox.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
