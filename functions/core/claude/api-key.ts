// Where a function finds its Anthropic API key: ANTHROPIC_API_KEY (locally, `npm start` passes it through),
// or on AWS the Secrets Manager secret named by ANTHROPIC_SECRET_ARN holding a bare key or `{ "apiKey" }`.
// The key is never logged or put in an error.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

type Env = Record<string, string | undefined>;

/** The key in a secret's text: a bare key or `{ "apiKey" }`. */
export function keyOfSecret(secret: string): string | undefined {
  try {
    const parsed = JSON.parse(secret) as { apiKey?: unknown };
    return typeof parsed.apiKey === 'string' && parsed.apiKey.trim() ? parsed.apiKey.trim() : undefined;
  } catch {
    return secret.trim() || undefined;
  }
}

/** Whether Claude is configured at all (a key, or a secret to read it from). */
export function hasAnthropicKey(env: Env = process.env): boolean {
  return Boolean(env.ANTHROPIC_API_KEY?.trim() || env.ANTHROPIC_SECRET_ARN?.trim());
}

/** The key from the environment or the secret; undefined when neither is configured. */
export async function anthropicApiKey(env: Env = process.env): Promise<string | undefined> {
  const direct = env.ANTHROPIC_API_KEY?.trim();
  if (direct) return direct;
  const secretArn = env.ANTHROPIC_SECRET_ARN?.trim();
  if (!secretArn) return undefined;
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const key = SecretString ? keyOfSecret(SecretString) : undefined;
    if (!key) throw new Error(`the Anthropic secret ${secretArn} holds no key`);
    return key;
  } finally {
    client.destroy();
  }
}
