// The zod shape of a structured OData query as the MCP tools accept it. It mirrors the BC client's ODataFilter;
// the client then checks every name against the entity catalogue and formats every literal for its property
// type, so no tool input can widen a query or address a field outside the schema.
import * as z from 'zod';
import { FILTER_LIMITS, type ODataFilter } from '../core/bc/index.js';

export const comparisonOperators = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'startswith', 'endswith', 'contains'] as const;

const fieldName = z.string().min(1).max(128).describe('A property of the entity set (see bc://schemas/{entitySet})');
const literal = z.union([z.string().max(FILTER_LIMITS.maxLiteralLength), z.number(), z.boolean(), z.null()]);

export const structuredFilterSchema: z.ZodType<ODataFilter> = z.lazy(() =>
  z.union([
    z.strictObject({
      field: fieldName,
      op: z.enum(comparisonOperators),
      value: literal,
      caseInsensitive: z.boolean().optional().describe('Compare text case-insensitively (tolower)'),
    }),
    z.strictObject({
      field: fieldName,
      op: z.literal('in'),
      values: z.array(z.union([z.string().max(FILTER_LIMITS.maxLiteralLength), z.number()])).min(1).max(FILTER_LIMITS.maxInValues),
    }),
    z.strictObject({ and: z.array(structuredFilterSchema).min(1).max(FILTER_LIMITS.maxConditions) }),
    z.strictObject({ or: z.array(structuredFilterSchema).min(1).max(FILTER_LIMITS.maxConditions) }),
    z.strictObject({ not: structuredFilterSchema }),
  ]),
).describe(
  "Structured filter: { field, op, value } with op eq|ne|gt|ge|lt|le|startswith|endswith|contains, " +
    "{ field, op: 'in', values: [...] }, or { and: [...] } | { or: [...] } | { not: {...} }. " +
    "Business Central allows 'or' only between conditions on the same field.",
);

export const orderBySchema = z
  .array(z.strictObject({ field: fieldName, direction: z.enum(['asc', 'desc']).default('asc') }))
  .max(10);
