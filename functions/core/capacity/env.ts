// The governor a BC client uses, from the environment: BC_GOVERNOR=on turns it on (off or unset: no governor,
// BC calls go out as before), BC_GOVERNOR_TABLE (default STATE_TABLE) holds the shared item, BC_GOVERNOR_* tune
// the limits (limits.ts). One governor per BC environment and identity per process, however many clients.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { optionalEnv, type Env } from '../config/index.js';
import { CapacityGovernor } from './governor.js';
import { capacityLimitsFromEnv } from './limits.js';
import { CapacityStore } from './store.js';

/** Who the budget belongs to: BC's limits are per environment and per user / service principal. */
export interface CapacityScope {
  tenant: string;
  environment: string;
  clientId: string;
}

export function scopeKey(scope: CapacityScope): string {
  return `${scope.tenant}#${scope.environment}#${scope.clientId}`;
}

export function governorEnabled(env: Env): boolean {
  const value = optionalEnv('BC_GOVERNOR', env)?.toLowerCase();
  if (value === undefined || value === 'off' || value === 'false' || value === '0') return false;
  if (value === 'on' || value === 'true' || value === '1') return true;
  throw new Error(`BC_GOVERNOR must be on or off, got '${env.BC_GOVERNOR}'`);
}

const governors = new Map<string, CapacityGovernor>();
let sharedDb: DynamoDBDocumentClient | undefined;

/** The process's governor for `scope`, or undefined when BC_GOVERNOR is not on. */
export function governorFromEnv(scope: CapacityScope, env: Env = process.env): CapacityGovernor | undefined {
  if (!governorEnabled(env)) return undefined;
  const table = optionalEnv('BC_GOVERNOR_TABLE', env) ?? optionalEnv('STATE_TABLE', env);
  if (!table) throw new Error('BC_GOVERNOR is on but neither BC_GOVERNOR_TABLE nor STATE_TABLE is set');
  const key = `${table}|${scopeKey(scope)}`;
  let governor = governors.get(key);
  if (!governor) {
    sharedDb ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    governor = new CapacityGovernor({
      store: new CapacityStore(sharedDb, table, scopeKey(scope)),
      limits: capacityLimitsFromEnv(env),
      onStoreError: (error) => console.warn(JSON.stringify({ level: 'WARN', message: 'BC capacity governor store failed; request sent ungoverned', error: String(error) })),
    });
    governors.set(key, governor);
  }
  return governor;
}
