// The BC client's configuration from the BC_* environment variables of docs/internals.md, for every Lambda
// that talks to BC (saga steps, MCP server). Credentials come from the Secrets Manager secret named by
// BC_CREDENTIALS_SECRET_ARN (`{ "clientId", "clientSecret" }`), or, for the stdio bin and local runs, from
// BC_CLIENT_ID / BC_CLIENT_SECRET. Secret values never appear in an error or a log line.
import { type Env, optionalEnv, requiredEnv } from '../config/index.js';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { BcClientConfig } from './client.js';


export interface BcCredentials {
  clientId: string;
  clientSecret: string;
}

export type BcCredentialsLoader = (secretArn: string) => Promise<BcCredentials>;


const credentialsSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** Reads `{ clientId, clientSecret }` from a Secrets Manager secret (the endpoint follows AWS_ENDPOINT_URL as usual). */
export const loadBcCredentialsFromSecretsManager: BcCredentialsLoader = async (secretArn) => {
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
    // The message names the expected keys only; the secret's values never reach an error.
    const result = credentialsSchema.safeParse(parsed);
    if (!result.success) throw new Error(`Secret ${secretArn} must hold non-empty "clientId" and "clientSecret"`);
    return result.data;
  } finally {
    client.destroy();
  }
};

/** The app registration's credentials: the secret BC_CREDENTIALS_SECRET_ARN names, else BC_CLIENT_ID / BC_CLIENT_SECRET. */
export async function loadBcCredentials(env: Env = process.env, loadCredentials: BcCredentialsLoader = loadBcCredentialsFromSecretsManager): Promise<BcCredentials> {
  const secretArn = optionalEnv('BC_CREDENTIALS_SECRET_ARN', env);
  if (secretArn) return loadCredentials(secretArn);
  const clientId = optionalEnv('BC_CLIENT_ID', env);
  const clientSecret = optionalEnv('BC_CLIENT_SECRET', env);
  if (!clientId || !clientSecret) {
    throw new Error('BC credentials missing: set BC_CREDENTIALS_SECRET_ARN, or BC_CLIENT_ID and BC_CLIENT_SECRET');
  }
  return { clientId, clientSecret };
}

/** BC's token endpoint: BC_TOKEN_URL, else Entra ID's for BC_TENANT. */
export function bcTokenUrl(env: Env = process.env): string {
  return optionalEnv('BC_TOKEN_URL', env) ?? `https://login.microsoftonline.com/${requiredEnv('BC_TENANT', env)}/oauth2/v2.0/token`;
}

/**
 * BcClientConfig from BC_API_BASE_URL, BC_TENANT, BC_ENVIRONMENT, optional BC_COMPANY_ID and BC_TOKEN_URL,
 * and the credentials (secret first, then the plain variables).
 */
export async function loadBcClientConfig(
  env: Env = process.env,
  loadCredentials: BcCredentialsLoader = loadBcCredentialsFromSecretsManager,
): Promise<BcClientConfig> {
  const baseUrl = requiredEnv('BC_API_BASE_URL', env);
  const tenant = requiredEnv('BC_TENANT', env);
  const environment = requiredEnv('BC_ENVIRONMENT', env);
  const credentials = await loadBcCredentials(env, loadCredentials);
  const companyId = optionalEnv('BC_COMPANY_ID', env);
  const tokenUrl = optionalEnv('BC_TOKEN_URL', env);
  return {
    baseUrl,
    tenant,
    environment,
    ...credentials,
    ...(companyId ? { companyId } : {}),
    ...(tokenUrl ? { tokenUrl } : {}),
  };
}
