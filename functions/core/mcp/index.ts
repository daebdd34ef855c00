// Public surface of the MCP client the workers use to reach Business Central.
export { createMcpClient, type McpClient, type McpClientOptions, type CallOptions } from './client.js';
export { authorizedFetch, credentialsFromEnv, NodeSha256, type McpAuth, type AwsCredentials, type FetchLike } from './auth.js';
export {
  McpToolError,
  McpTransportError,
  toolErrorFromResult,
  type McpTransportErrorKind,
} from './errors.js';
export { TOOL_ERROR_META_KEY, STORY_CONTEXT_META_KEY, storyContextSchema, type StoryContext } from './meta.js';
