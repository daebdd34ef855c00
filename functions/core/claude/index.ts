// The claude package's public surface.
export { anthropicApiKey } from './api-key.js';
export { anthropicConfigFromEnv, type AnthropicConfig, createMessagesClient } from './messages.js';
export { claudeWriterFromEnv, type ProseWriter } from './prose-writer.js';
