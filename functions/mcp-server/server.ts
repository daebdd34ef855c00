// The BC MCP server: tools, resources and prompts on one McpServer. Cheap to build, so the stateless HTTP
// handler builds one per request while the expensive parts (BC client, parsed $metadata) live in `deps`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker';
import type { BcMcpServerDeps } from './deps.js';
import { createEntitySchemaCache } from './entity-schemas.js';
import { registerBcPrompts } from './prompts.js';
import { registerBcResources } from './resources.js';
import { registerBcTools } from './tools.js';

export const SERVER_INFO = { name: 'bc-claude-agent-mcp', version: '0.1.0' } as const;

export function createBcMcpServer(deps: BcMcpServerDeps): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {}, resources: {}, prompts: {} },
    // The SDK's default would build an ajv per server (this handler builds one per pooled server); ajv is not
    // bundled (lib/constructs/handler-function.ts). The server validates only elicitation answers with it.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator({ shortcircuit: false }),
    instructions:
      'Business Central (API v2.0) through MCP. Read bc://docs/api first; entity schemas are at bc://schemas/{entitySet}.',
  });
  const schemas = deps.schemas ?? createEntitySchemaCache(() => deps.bc.metadata());
  registerBcTools(server, deps);
  registerBcResources(server, deps, schemas);
  registerBcPrompts(server);
  // The SDK advertises listChanged for every registered kind, but nothing here ever changes at run time (tools,
  // resources and prompts are fixed per deployment) and a stateless Lambda behind a buffered function URL has
  // no stream to send a notification on (GET /mcp is 405): say so instead of promising notifications.
  server.server.registerCapabilities({
    tools: { listChanged: false },
    resources: { listChanged: false },
    prompts: { listChanged: false },
  });
  return server;
}

export type { BcMcpServerDeps, WritableEntitySets } from './deps.js';
export { parseWritableEntitySets } from './deps.js';
