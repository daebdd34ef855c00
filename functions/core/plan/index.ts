// The plan model: schema, tools, validation and `$ref` resolution (ARCHITECTURE §6).
export { resolveRefs, isRef, parseRefPath, collectRefs, RefResolutionError, RefSyntaxError, type Ref } from './refs.js';
export { ABSOLUTE_MAX_TASKS, DEFAULT_MAX_TASKS, type Plan, type PlanInput, planSchema, taskIdSchema } from './schema.js';
export { didYouMean } from './suggest.js';
export { analyzeArgsSchema, BATCH_METHODS, type Filter, type FilterCondition, type FilterOperator, findTool, MAX_TOOL_BATCH_OPERATIONS, MAX_TOP, MCP_TOOLS, type QueryArgs, SAGA_TOOL, TASK_TYPES, type ToolDefinition, TOOLS, TOOLS_BY_TYPE, type ValidateArgs } from './tools.js';
export { FILTER_DESCRIPTION, filterGrammar, orRuleProblem, VALUE_OPERATORS } from './filter.js';
export { type PlanProblem, validatePlan, validateToolArguments } from './validate.js';
export { DOCUMENT_ACTIONS, describePosting, type DocumentAction, findDocumentAction, isPosted, POST_DOCUMENT_TOOL, summaryFields } from './document-actions.js';
export type { PostDocumentArgs } from './tools.js';
