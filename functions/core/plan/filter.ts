// The one structured-filter grammar (the BC client's ODataFilter, functions/core/bc/odata.ts) as zod schemas: the
// MCP tools accept it with literal values, plan tasks with `$ref`s allowed as values, and Claude's strict tool
// schema in a non-recursive form. The operators, the limits and BC's "or only within one field" rule live here
// once; the BC client then checks names against the catalogue and formats every literal for its type.
import * as z from 'zod';
import { FILTER_LIMITS } from '../bc/index.js';

/** Operators that compare a field with one value (`in` takes a list). */
export const VALUE_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'contains', 'startswith', 'endswith'] as const;
export type FilterOperator = (typeof VALUE_OPERATORS)[number] | 'in';

/** A filter whose values may be something other than literals (`$ref`s in plans). */
export type FilterOf<V> =
  | { field: string; op: (typeof VALUE_OPERATORS)[number]; value: V; caseInsensitive?: boolean }
  | { field: string; op: 'in'; values: V[] }
  | { and: FilterOf<V>[] }
  | { or: FilterOf<V>[] }
  | { not: FilterOf<V> };
export type ConditionOf<V> = Extract<FilterOf<V>, { field: string }>;

export const FILTER_DESCRIPTION =
  'Structured filter: { field, op, value } with op eq|ne|gt|ge|lt|le|contains|startswith|endswith, ' +
  "{ field, op: 'in', values: [...] }, or { and: [...] } | { or: [...] } | { not: {...} }. " +
  "Business Central allows 'or' only between conditions on the same field.";

export interface FilterGrammarOptions {
  /** The schema of a field name. */
  field: z.ZodType<string>;
  /** Wraps the schema of each value (e.g. to allow a `$ref` in its place). */
  value: (literal: z.ZodType) => z.ZodType;
}

/** A literal a filter compares with. */
export type FilterLiteral = string | number | boolean | null;

export interface FilterGrammar<R> {
  /** The full grammar: conditions, and/or/not, nested (up to FILTER_LIMITS.maxDepth, checked by the client). */
  filter: z.ZodType<FilterOf<FilterLiteral | R>>;
  /**
   * The same without recursion, for strict tool use (which accepts no recursive schemas): a condition, an OR of
   * conditions, or an AND of conditions and ORs of conditions.
   */
  flat: z.ZodType<FilterOf<FilterLiteral | R>>;
}

/** The grammar with values as `options.value` wraps them; R is what a value may be besides a literal. */
export function filterGrammar<R = never>(options: FilterGrammarOptions): FilterGrammar<R> {
  const text = z.string().max(FILTER_LIMITS.maxLiteralLength);
  const comparison = z.strictObject({
    field: options.field,
    op: z.enum(VALUE_OPERATORS),
    value: options.value(z.union([text, z.number(), z.boolean(), z.null()])),
    caseInsensitive: z.boolean().optional().describe('Compare text case-insensitively (tolower)'),
  });
  const inList = z.strictObject({
    field: options.field,
    op: z.literal('in'),
    values: z.array(options.value(z.union([text, z.number()]))).min(1).max(FILTER_LIMITS.maxInValues),
  });
  const list = (item: z.ZodType) => z.array(item).min(1).max(FILTER_LIMITS.maxConditions);
  const filter: z.ZodType = z
    .lazy(() => z.union([comparison, inList, z.strictObject({ and: list(filter) }), z.strictObject({ or: list(filter) }), z.strictObject({ not: filter })]))
    .describe(FILTER_DESCRIPTION);
  const condition = z.union([comparison, inList]);
  const or = z.strictObject({ or: list(condition) });
  const flat = z
    .union([condition, or, z.strictObject({ and: list(z.union([condition, or])) })])
    .describe("A condition {field, op, value}, {field, op:'in', values:[…]}, {or:[conditions on one field]} or {and:[…]}");
  return { filter, flat } as FilterGrammar<R>;
}

/** The conditions under an `or` (through nested ors); undefined marks an `and`/`not` found there. */
function conditionsUnderOr<V>(filter: FilterOf<V>): (ConditionOf<V> | undefined)[] {
  if ('or' in filter) return filter.or.flatMap(conditionsUnderOr);
  if ('and' in filter || 'not' in filter) return [undefined];
  return [filter];
}

/**
 * BC's rule for `or`: only between conditions on one field. The problem with an `or` node, or undefined when it
 * keeps the rule.
 */
export function orRuleProblem<V>(filter: { or: FilterOf<V>[] }): string | undefined {
  const leaves = conditionsUnderOr(filter);
  const fields = [...new Set(leaves.map((c) => c?.field))];
  if (!leaves.includes(undefined) && fields.length <= 1) return undefined;
  return `Business Central allows 'or' only between conditions on one field (got ${leaves.includes(undefined) ? "an 'and' or 'not' inside an 'or'" : fields.join(', ')})`;
}
