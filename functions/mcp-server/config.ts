// Configuration of the MCP server from the BC_* environment variables (docs/internals.md), shared by the
// Lambda handler and the stdio bin. Credentials come from Secrets Manager (BC_CREDENTIALS_SECRET_ARN) or,
// for the stdio bin and local runs, from BC_CLIENT_ID / BC_CLIENT_SECRET.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { BcClientConfig } from '../core/bc/index.js';
import { parseWritableEntitySets, type WritableEntitySets } from './deps.js';

export interface McpServerConfig {
  bc: BcClientConfig;
  writableEntitySets: WritableEntitySets;
}

export interface BcCredentials {
  clientId: string;
  clientSecret: string;
}

export type CredentialsLoader = (secretArn: string) => Promise<BcCredentials>;

const credentialsSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** Reads `{ clientId, clientSecret }` from a Secrets Manager secret (endpoint from AWS_ENDPOINT_URL as usual). */
export const loadCredentialsFromSecretsManager: CredentialsLoader = async (secretArn) => {
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString) throw new Error(`Secret ${secretArn} has no SecretString`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(SecretString);
    } catch {
      throw new Error(`Secret ${secretArn} is not JSON; expected { "clientId", "clientSecret" }`);
    }
    const result = credentialsSchema.safeParse(parsed);
    // The message names the missing keys only; the secret's values never reach an error or a log.
    if (!result.success) {
      throw new Error(`Secret ${secretArn} must hold non-empty "clientId" and "clientSecret"`);
    }
    return result.data;
  } finally {
    client.destroy();
  }
};

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export async function loadMcpServerConfig(
  env: Env = process.env,
  loadCredentials: CredentialsLoader = loadCredentialsFromSecretsManager,
): Promise<McpServerConfig> {
  const baseUrl = required(env, 'BC_API_BASE_URL');
  const tenant = required(env, 'BC_TENANT');
  const environment = required(env, 'BC_ENVIRONMENT');
  const writableEntitySets = parseWritableEntitySets(env.BC_WRITABLE_ENTITY_SETS);

  const secretArn = optional(env, 'BC_CREDENTIALS_SECRET_ARN');
  let credentials: BcCredentials;
  if (secretArn) {
    credentials = await loadCredentials(secretArn);
  } else {
    const clientId = optional(env, 'BC_CLIENT_ID');
    const clientSecret = optional(env, 'BC_CLIENT_SECRET');
    if (!clientId || !clientSecret) {
      throw new Error('BC credentials missing: set BC_CREDENTIALS_SECRET_ARN, or BC_CLIENT_ID and BC_CLIENT_SECRET');
    }
    credentials = { clientId, clientSecret };
  }

  const companyId = optional(env, 'BC_COMPANY_ID');
  const tokenUrl = optional(env, 'BC_TOKEN_URL');
  return {
    bc: {
      baseUrl,
      tenant,
      environment,
      ...credentials,
      ...(companyId ? { companyId } : {}),
      ...(tokenUrl ? { tokenUrl } : {}),
    },
    writableEntitySets,
  };
}
