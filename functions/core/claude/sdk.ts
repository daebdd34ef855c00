// The SDK's part the features use, in a module of its own so that messages.ts can import it on first use:
// a dynamic import of the SDK's own entry would keep every export of it (the full client) in the bundle.
import { BaseAnthropic } from '@anthropic-ai/sdk/client';
import { Messages } from '@anthropic-ai/sdk/resources/messages/messages';
import type { MessagesClientConfig } from './messages.js';

export function createSdkMessages(config: MessagesClientConfig): Messages {
  return new Messages(
    new BaseAnthropic({ apiKey: config.apiKey, baseURL: config.baseURL ?? null, timeout: config.timeoutMs, maxRetries: config.maxRetries }),
  );
}
