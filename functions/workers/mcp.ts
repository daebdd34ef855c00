// The workers' way to BC: the MCP server behind its IAM-authenticated function URL (locally, the same URL
// accepts SigV4 too).
import { positiveIntEnv, requiredEnv } from '../core/config/index.js';
import { createMcpClient, type McpClient } from '../core/mcp/index.js';


export function mcpClientFromEnv(): McpClient {
  return createMcpClient({
    url: requiredEnv('MCP_SERVER_URL'),
    auth: { type: 'sigv4', region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' },
    timeoutMs: positiveIntEnv('MCP_TIMEOUT_MS', 30_000),
  });
}
