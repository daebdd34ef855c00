// How a stage reaches BC, from the environment (docs/internals.md):
//   BC_ACCESS                  `app` (client credentials: every call acts as the app registration) or
//                              `delegated` (on-behalf-of: every call of a plan acts as the person who sent it)
//   BC_DELEGATION_TABLE        the delegations table (sealed refresh tokens, TTL attribute expiresAt)
//   BC_DELEGATION_KEY_ID       the KMS key that seals them
//   BC_DELEGATION_TTL_SECONDS  how long a grant is kept after the message (default 86400; outlast approvals)
// plus the BC client's BC_TOKEN_URL / BC_TENANT and credentials (env.ts). Clients are made lazily, once.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Env, optionalEnv, positiveIntEnv, requiredEnv } from '../config/index.js';
import { reusedUntilFailure } from '../container/index.js';
import { BcDelegation, DelegatedTokens, type DelegationClient } from './delegated-access.js';
import { dynamoDelegationStore } from './delegation-store.js';
import { kmsEnvelope } from './envelope.js';
import { bcTokenUrl, loadBcCredentials } from './env.js';

export type BcAccessMode = 'app' | 'delegated';

export const DEFAULT_DELEGATION_TTL_SECONDS = 24 * 60 * 60;

export function bcAccessMode(env: Env = process.env): BcAccessMode {
  const value = optionalEnv('BC_ACCESS', env) ?? 'app';
  if (value !== 'app' && value !== 'delegated') throw new Error(`BC_ACCESS must be 'app' or 'delegated', got '${value}'`);
  return value;
}

function delegationClient(env: Env): DelegationClient {
  const tableName = requiredEnv('BC_DELEGATION_TABLE', env);
  const keyId = requiredEnv('BC_DELEGATION_KEY_ID', env);
  return {
    tokenUrl: bcTokenUrl(env),
    // Read once per container; a failed read is retried on the next use.
    credentials: reusedUntilFailure(() => loadBcCredentials(env)),
    envelope: kmsEnvelope(keyId),
    store: dynamoDelegationStore(DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }), tableName),
  };
}

/** The orchestrator's delegation (on-behalf-of at message time), or undefined when the stage calls BC as the app. */
export function bcDelegationFromEnv(env: Env = process.env): BcDelegation | undefined {
  if (bcAccessMode(env) !== 'delegated') return undefined;
  return new BcDelegation(delegationClient(env), positiveIntEnv('BC_DELEGATION_TTL_SECONDS', DEFAULT_DELEGATION_TTL_SECONDS, env));
}

/** The workers' delegated tokens, or undefined when the stage calls BC as the app. */
export function delegatedTokensFromEnv(env: Env = process.env): DelegatedTokens | undefined {
  if (bcAccessMode(env) !== 'delegated') return undefined;
  return new DelegatedTokens(delegationClient(env));
}
