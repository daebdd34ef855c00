// Public surface of the MCP client the workers use to reach Business Central.
export { createMcpClient, type McpClient, type McpClientOptions, type CallOptions } from './client.js';
export { authorizedFetch, credentialsFromEnv, NodeSha256, type McpAuth, type AwsCredentials, type FetchLike } from './auth.js';
export {
  McpToolError,
  McpTransportError,
  toolErrorFromResult,
  TOOL_ERROR_META_KEY,
  type McpTransportErrorKind,
} from './errors.js';
