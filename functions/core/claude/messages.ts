// The one way Lambda code reaches Claude's Messages API. BaseAnthropic + the Messages resource is the same SDK
// as the full `Anthropic` client but lets the bundler keep only what is used (~130 KB instead of ~450 KB
// minified), which matters for cold starts of the planner, the analysis worker and plan progress.
import { BaseAnthropic } from '@anthropic-ai/sdk/client';
import { Messages } from '@anthropic-ai/sdk/resources/messages/messages';

export interface MessagesClientConfig {
  apiKey: string;
  /** ANTHROPIC_BASE_URL; unset means Anthropic's API. */
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
}

export function createMessagesClient(config: MessagesClientConfig): Messages {
  return new Messages(
    new BaseAnthropic({ apiKey: config.apiKey, baseURL: config.baseURL ?? null, timeout: config.timeoutMs, maxRetries: config.maxRetries }),
  );
}
