// BC sandbox identity: what per-user access costs. The on-behalf-of exchange (RS256 verification of the user's
// token), and a customer POST with the app's token against one with a user's (permission check + change log),
// interleaved and persisted to a state file as under `npm start`, with the change log already full.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CHANGE_LOG_ENTRIES, startBcSandbox } from '../local/bc-sandbox/index.js';
import { loadOrCreateJwtKeys, signLocalToken } from '../local/cloud/index.js';
import { median } from './support/stats.js';

const RUNS = 100;
const ISSUER = 'http://127.0.0.1/bench-issuer';
const AUDIENCE = 'bench-api';


export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bc-identity-'));
  const keys = await loadOrCreateJwtKeys(dir);
  const stateFile = join(dir, 'bc.json');
  const sandbox = await startBcSandbox({ stateFile, userAssertions: { issuer: ISSUER, audience: AUDIENCE, publicKey: keys.publicKey } });
  try {
    const assertion = await signLocalToken(keys, { issuer: ISSUER, audience: [AUDIENCE] }, { sub: 'carol', tenant: 'local', entra: true });
    const exchange: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await sandbox.getUserToken(assertion);
      exchange.push(performance.now() - started);
    }
    const appToken = await sandbox.getToken();
    const userToken = await sandbox.getUserToken(assertion);
    const customers = `${sandbox.apiUrl}/companies(${sandbox.companyIds()[0]})/customers`;
    const post = async (token: string, name: string) => {
      const started = performance.now();
      const response = await fetch(customers, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ displayName: name }) });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`POST customers answered ${response.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < MAX_CHANGE_LOG_ENTRIES; i++) await post(userToken, `Fill ${i}`);
    const app: number[] = [];
    const user: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      app.push(await post(appToken, `App ${i}`));
      user.push(await post(userToken, `User ${i}`));
    }
    console.log(`on-behalf-of token exchange: median ${median(exchange).toFixed(2)} ms over ${RUNS}`);
    console.log(
      `POST customer with a full change log (${MAX_CHANGE_LOG_ENTRIES} entries), persisted, median of ${RUNS} interleaved: ` +
        `app token ${median(app).toFixed(2)} ms, user token ${median(user).toFixed(2)} ms; change log entries per write 1`,
    );
    // The log's share of what every write persists (a count, unlike the timings above).
    const logBytes = Buffer.byteLength(JSON.stringify(sandbox.changes()));
    const stateBytes = statSync(stateFile).size;
    console.log(`state file ${stateBytes} bytes, of which change log ${logBytes} bytes (${((100 * logBytes) / stateBytes).toFixed(0)}%, ${(logBytes / MAX_CHANGE_LOG_ENTRIES).toFixed(0)} bytes per entry)`);
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
