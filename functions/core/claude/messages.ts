// The one way Lambda code reaches Claude's Messages API. BaseAnthropic + the Messages resource is the same SDK
// as the full `Anthropic` client but lets the bundler keep only what is used (~130 KB instead of ~450 KB
// minified), which matters for cold starts of the planner, the analysis worker and plan progress. The SDK is
// imported on the first request, not at module init: the orchestrator's routes, the plan sweeper and a
// deterministic answer (no key) never reach Claude, and a cold start should not pay for it.
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';

export interface MessagesClientConfig {
  apiKey: string;
  /** ANTHROPIC_BASE_URL; unset means Anthropic's API. */
  baseURL?: string;
  timeoutMs: number;
  maxRetries: number;
}

/** How a feature reaches Claude: the key, and where and which model when not Anthropic's defaults. */
export interface AnthropicConfig {
  apiKey: string;
  baseURL?: string;
  model?: string;
  maxTokens?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

/** ANTHROPIC_BASE_URL and ANTHROPIC_MODEL with the given key: what every Claude feature reads from its environment. */
export function anthropicConfigFromEnv(apiKey: string, env: Record<string, string | undefined> = process.env): AnthropicConfig {
  const baseURL = env.ANTHROPIC_BASE_URL?.trim();
  const model = env.ANTHROPIC_MODEL?.trim();
  return { apiKey, ...(baseURL ? { baseURL } : {}), ...(model ? { model } : {}) };
}

/** The part of the SDK's Messages resource the features use. */
export interface MessagesClient {
  create(body: MessageCreateParamsNonStreaming): Promise<Message>;
}

export function createMessagesClient(config: MessagesClientConfig): MessagesClient {
  let messages: Promise<{ create(body: MessageCreateParamsNonStreaming): Promise<Message> }> | undefined;
  const load = () =>
    (messages ??= import('./sdk.js').then(
      ({ createSdkMessages }) => createSdkMessages(config),
      (error: unknown) => {
        messages = undefined; // a failed import is tried again by the next request
        throw error;
      },
    ));
  return {
    async create(body) {
      return (await load()).create(body);
    },
  };
}
