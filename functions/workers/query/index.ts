// The query worker: bc_query_entity through MCP, following nextLink up to the caps.
import { queryExecutor } from '../../core/tasks/index.js';
import { mcpClientFromEnv } from '../mcp.js';
import { createWorkerHandler } from '../runtime.js';

export const handler = createWorkerHandler({ type: 'query', executor: queryExecutor(), mcp: mcpClientFromEnv });
