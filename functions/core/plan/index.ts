// The plan model: schema, tools, validation and `$ref` resolution (ARCHITECTURE §6).
export { resolveRefs, isRef, parseRefPath, collectRefs, RefResolutionError, RefSyntaxError, type Ref } from './refs.js';
export { ABSOLUTE_MAX_TASKS, DEFAULT_MAX_TASKS, type Plan, type PlanInput, planSchema, taskIdSchema } from './schema.js';
export { didYouMean } from './suggest.js';
export { analyzeArgsSchema, type Filter, type FilterCondition, type FilterOperator, findTool, MCP_TOOLS, type QueryArgs, type ToolDefinition, TOOLS, TOOLS_BY_TYPE, type ValidateArgs } from './tools.js';
export { BATCH_METHODS, BC_TASK_TYPES, MAX_TOOL_BATCH_OPERATIONS, MAX_TOP, SAGA_TOOL, TASK_TYPES } from './tool-names.js';
export { FILTER_DESCRIPTION, filterGrammar, orRuleProblem, VALUE_OPERATORS } from './filter.js';
export { type PlanProblem, validatePlan, validateToolArguments } from './validate.js';
export { DOCUMENT_ACTIONS, describePosting, type DocumentAction, findDocumentAction, isPosted, POST_DOCUMENT_TOOL, summaryFields } from './document-actions.js';
export type { PostDocumentArgs } from './tools.js';
