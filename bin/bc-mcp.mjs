#!/usr/bin/env node
// `bc-mcp`: the Business Central MCP server over stdio. Runs from a plain `node` by registering tsx's ESM
// loader, then loading the TypeScript entry. Configure it with the BC_* variables (see README).
import { register } from 'tsx/esm/api';

register();
const { runStdioServer } = await import('../functions/mcp-server/stdio.ts');
try {
  await runStdioServer();
} catch (error) {
  // Configuration and start-up errors only; stdout belongs to the protocol.
  process.stderr.write(`bc-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
