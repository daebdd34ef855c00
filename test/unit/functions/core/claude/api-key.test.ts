// Where Claude's key comes from: the environment locally, a Secrets Manager secret on AWS (read through the
// local AWS endpoint here, as the SDK reads AWS_ENDPOINT_URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicApiKey, hasAnthropicKey, keyOfSecret } from '../../../../../functions/core/claude/api-key.js';
import { startLocalAws } from '../../../../support/local-aws.js';

let local: Awaited<ReturnType<typeof startLocalAws>>;
const saved = { ...process.env };

beforeAll(async () => {
  local = await startLocalAws();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: local.clientConfig.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});

afterAll(async () => {
  process.env = saved;
  await local.cleanup();
});

describe('Anthropic API key', () => {
  it('reads a bare key or { apiKey } from a secret text', () => {
    expect(keyOfSecret(' sk-bare \n')).toBe('sk-bare');
    expect(keyOfSecret('{"apiKey":"sk-json"}')).toBe('sk-json');
    expect(keyOfSecret('{"other":"x"}')).toBeUndefined();
    expect(keyOfSecret('   ')).toBeUndefined();
  });

  it('prefers ANTHROPIC_API_KEY, else reads the secret, else is not configured', async () => {
    const arn = local.aws.secretsManager.putSecret('anthropic', '{"apiKey":"sk-from-secret"}');
    expect(await anthropicApiKey({ ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_SECRET_ARN: arn })).toBe('sk-env');
    expect(await anthropicApiKey({ ANTHROPIC_SECRET_ARN: arn })).toBe('sk-from-secret');
    expect(await anthropicApiKey({})).toBeUndefined();
    expect(hasAnthropicKey({})).toBe(false);
    expect(hasAnthropicKey({ ANTHROPIC_SECRET_ARN: arn })).toBe(true);
  });

  it('refuses a secret without a key, without showing the secret', async () => {
    const arn = local.aws.secretsManager.putSecret('anthropic-empty', '{"note":"sk-do-not-show"}');
    const failure = anthropicApiKey({ ANTHROPIC_SECRET_ARN: arn });
    await expect(failure).rejects.toThrow(/holds no key/);
    await expect(failure).rejects.not.toThrow(/sk-do-not-show/);
  });
});
