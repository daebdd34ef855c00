// The MCP server over stdio, for desktop MCP clients (the package bin `bc-mcp`). Same BC_* configuration as
// the Lambda; stdout carries the protocol, so diagnostics go to stderr only.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createServerBcClient, loadMcpServerConfig } from './config.js';
import { createBcMcpServer } from './server.js';

export async function runStdioServer(): Promise<void> {
  const config = await loadMcpServerConfig();
  const server = createBcMcpServer({
    bc: createServerBcClient(config),
    writableEntitySets: config.writableEntitySets,
    ...(config.bc.companyId ? { companyId: config.bc.companyId } : {}),
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  await server.connect(transport);
  // The SDK's stdio transport does not notice stdin ending; a client that goes away must stop the server.
  process.stdin.once('end', () => void server.close());
  await closed;
}
