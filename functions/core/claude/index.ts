// The claude package's public surface.
export { anthropicApiKey } from './api-key.js';
export { createMessagesClient } from './messages.js';
export { claudeWriterFromEnv, type ProseWriter } from './prose-writer.js';
