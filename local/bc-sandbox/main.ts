// Runs the BC sandbox on its own: `npx tsx local/bc-sandbox/main.ts`. Port from BC_SANDBOX_PORT (default
// 4580); data persisted in .local/bc-sandbox.json (BC_SANDBOX_STATE_FILE overrides); users, permission sets and
// the on-behalf-of issuer from the BC_SANDBOX_DIRECTORY_FILE and BC_SANDBOX_OBO_* variables (identity-env.ts);
// BC_SANDBOX_ITEM_RESERVATIONS=false serves it as a tenant without the reservations extension of bc-extension/.
import { resolve } from 'node:path';
import { startBcSandbox } from './index.js';
import { identitySettingsFromEnv } from './identity-env.js';

const port = Number(process.env.BC_SANDBOX_PORT ?? 4580);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`BC_SANDBOX_PORT must be a port number, got '${process.env.BC_SANDBOX_PORT}'`);
const stateFile = resolve(process.env.BC_SANDBOX_STATE_FILE ?? '.local/bc-sandbox.json');

const sandbox = await startBcSandbox({ port, stateFile, ...identitySettingsFromEnv(), itemReservations: process.env.BC_SANDBOX_ITEM_RESERVATIONS !== 'false' });
console.log(
  `BC sandbox ready: API ${sandbox.apiUrl} (companies: ${sandbox.companyIds().join(', ')}); ` +
    `token ${sandbox.tokenUrl} (client id ${sandbox.clientId}); admin ${sandbox.url}/_admin/faults; state ${stateFile}`,
);

const shutdown = () => {
  sandbox.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
