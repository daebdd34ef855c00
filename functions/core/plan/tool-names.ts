// The registry's plain constants, apart from its schemas (tools.ts): most handlers need only a tool's name or
// a limit, and importing them from here keeps the registry's zod schemas and the BC entity catalogue out of
// their bundles.

/** The tool a plan names to run the purchase-order saga (the write worker hands it to Step Functions). */
export const SAGA_TOOL = 'saga_purchase_order';

export const TASK_TYPES = ['query', 'write', 'analysis', 'validation'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
/** The task types whose work calls BC (analysis and validation work on what other tasks read, and the catalogue). */
export const BC_TASK_TYPES: readonly TaskType[] = ['query', 'write'];

/** Largest page a single query asks BC for; paging continues through `skip` or `nextLink`. */
export const MAX_TOP = 1000;
/** Operations one bc_batch_operation call accepts on the MCP server (BC takes 100 per `$batch`; the client splits non-atomic ones). */
export const MAX_TOOL_BATCH_OPERATIONS = 500;

export const BATCH_METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;
