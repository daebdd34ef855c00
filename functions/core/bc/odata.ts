// OData query building for BC API v2.0 from a structured query. Every field name is checked against the
// entity's schema and every literal is formatted for its property type (strings quoted with '' doubling,
// GUIDs/numbers/dates/booleans validated and written bare), so caller input can never change the shape of
// the filter. BC's own restrictions are enforced here, with a clear message, instead of as a 400 from BC.
import type { EntityProperty } from './entities.js';
import { invalidRequest } from './errors.js';
import { describe, isGuid, navigationOf, propertyOf, type EntitySchema } from './schema.js';

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type StringFunctionOperator = 'startswith' | 'endswith' | 'contains';
export type ODataLiteral = string | number | boolean | null;

export type ODataFilter =
  | { and: ODataFilter[] }
  | { or: ODataFilter[] }
  | { not: ODataFilter }
  | { field: string; op: ComparisonOperator | StringFunctionOperator; value: ODataLiteral; caseInsensitive?: boolean }
  | { field: string; op: 'in'; values: (string | number)[] };

export interface ODataOrderBy {
  field: string;
  direction?: 'asc' | 'desc';
}

export interface ODataQuery {
  filter?: ODataFilter;
  select?: string[];
  expand?: string[];
  orderby?: ODataOrderBy[];
  top?: number;
  skip?: number;
  count?: boolean;
}

/** Bounds that keep a generated URL well inside what BC accepts. */
export const FILTER_LIMITS = { maxDepth: 8, maxConditions: 100, maxInValues: 100, maxLiteralLength: 2048 } as const;

const COMPARISONS: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const STRING_FUNCTIONS: ReadonlySet<string> = new Set(['startswith', 'endswith', 'contains']);
const NUMERIC_TYPES: ReadonlySet<string> = new Set(['decimal', 'integer', 'int64', 'int32', 'double']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,7})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const DECIMAL_TEXT = /^-?\d{1,28}(\.\d{1,20})?$/;

/** `'O''Brien'`: OData escapes a quote inside a string literal by doubling it. */
export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function isTextType(type: string): boolean {
  return type === 'string' || type.startsWith('NAV.');
}

function fail(message: string, code = 'BadRequest'): never {
  throw invalidRequest(message, code);
}

function validDate(year: string, month: string, day: string): boolean {
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const daysInMonth = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  return d <= daysInMonth;
}

/** Formats one literal for a property of the given type; throws a clear error when the value does not fit. */
export function formatLiteral(property: EntityProperty, value: ODataLiteral): string {
  const where = `field '${property.name}' (${property.type})`;
  if (value === null) return 'null';
  const type = property.type;
  if (type === 'GUID') {
    if (!isGuid(value)) fail(`${where} needs a GUID value, got ${describe(value)}`);
    return value.toLowerCase();
  }
  if (type === 'boolean') {
    if (typeof value === 'boolean') return String(value);
    if (value === 'true' || value === 'false') return value;
    fail(`${where} needs true or false, got ${describe(value)}`);
  }
  if (NUMERIC_TYPES.has(type)) {
    const integral = type !== 'decimal' && type !== 'double';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) fail(`${where} needs a finite number, got ${String(value)}`);
      if (integral && !Number.isInteger(value)) fail(`${where} needs an integer, got ${value}`);
      // Plain notation: BC's decimal parser does not take exponents.
      return Number.isInteger(value) ? BigInt(value).toString() : plainDecimal(value);
    }
    if (typeof value === 'string' && DECIMAL_TEXT.test(value) && (!integral || !value.includes('.'))) return value;
    fail(`${where} needs ${integral ? 'an integer' : 'a number'}, got ${describe(value)}`);
  }
  if (type === 'date') {
    const m = typeof value === 'string' ? DATE.exec(value) : null;
    if (!m || !validDate(m[1], m[2], m[3])) fail(`${where} needs a date YYYY-MM-DD, got ${describe(value)}`);
    return value as string;
  }
  if (type === 'datetime' || type === 'datetimeoffset') {
    const m = typeof value === 'string' ? DATETIME.exec(value) : null;
    if (!m || !validDate(m[1], m[2], m[3])) {
      fail(`${where} needs an ISO 8601 date-time with zone (e.g. 2024-01-31T12:00:00Z), got ${describe(value)}`);
    }
    return value as string;
  }
  if (isTextType(type)) {
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (typeof value !== 'string') fail(`${where} needs a string, got ${describe(value)}`);
    if (value.length > FILTER_LIMITS.maxLiteralLength) fail(`${where}: value longer than ${FILTER_LIMITS.maxLiteralLength} characters`);
    if (property.enumValues && !property.enumValues.includes(decodeEnumName(value))) {
      fail(`${where} must be one of ${property.enumValues.map((v) => `'${v}'`).join(', ')}, got ${describe(value)}`);
    }
    return quoteString(value);
  }
  fail(`${where} has a type this client cannot filter on`);
}

/** BC writes enum names XML-encoded in JSON (`In_x0020_Review`); both spellings name the same member. */
export function decodeEnumName(value: string): string {
  return value.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function plainDecimal(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // e.g. 1e-7 → 0.0000001; toFixed covers up to 100 digits, trailing zeros trimmed.
  return value.toFixed(20).replace(/\.?0+$/, '');
}

interface FilterContext {
  schema: EntitySchema;
  conditions: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The set of fields a filter node refers to (for BC's "or only within one field" rule). */
function fieldsOf(filter: ODataFilter, into = new Set<string>()): Set<string> {
  if ('and' in filter) filter.and.forEach((f) => fieldsOf(f, into));
  else if ('or' in filter) filter.or.forEach((f) => fieldsOf(f, into));
  else if ('not' in filter) fieldsOf(filter.not, into);
  else into.add(filter.field);
  return into;
}

function buildNode(filter: unknown, ctx: FilterContext, depth: number): string {
  if (depth > FILTER_LIMITS.maxDepth) fail(`Filter nested deeper than ${FILTER_LIMITS.maxDepth} levels`);
  if (!isObject(filter)) fail(`A filter must be an object, got ${describe(filter)}`);
  const keys = Object.keys(filter);
  if ('and' in filter || 'or' in filter) {
    const op = 'and' in filter ? 'and' : 'or';
    if (keys.length !== 1) fail(`A '${op}' filter takes only the '${op}' key, got ${keys.join(', ')}`);
    const children = filter[op];
    if (!Array.isArray(children) || children.length === 0) fail(`'${op}' needs a non-empty array of filters`);
    const parts = children.map((child) => buildNode(child, ctx, depth + 1));
    if (op === 'or') {
      const fields = fieldsOf(filter as ODataFilter);
      if (fields.size > 1) {
        fail(
          `Business Central cannot combine different fields with 'or' (${[...fields].join(', ')}). ` +
            `Use 'or' (or 'in') within one field, or run one query per field.`,
          'BadRequest_MethodNotImplemented', // what BC answers to such a filter
        );
      }
    }
    return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(` ${op} `);
  }
  if ('not' in filter) {
    if (keys.length !== 1) fail(`A 'not' filter takes only the 'not' key, got ${keys.join(', ')}`);
    return `not (${buildNode(filter.not, ctx, depth + 1)})`;
  }
  return buildCondition(filter, ctx);
}

function buildCondition(condition: Record<string, unknown>, ctx: FilterContext): string {
  ctx.conditions += 1;
  if (ctx.conditions > FILTER_LIMITS.maxConditions) fail(`Filter has more than ${FILTER_LIMITS.maxConditions} conditions`);
  const { field, op } = condition;
  if (typeof op !== 'string') fail(`A condition needs 'field' and 'op' (or use and/or/not), got ${describe(condition)}`);
  const property = propertyOf(ctx.schema, field as string, '$filter');

  if (op === 'in') {
    const values = condition.values;
    if (!Array.isArray(values) || values.length === 0) fail(`'in' on '${property.name}' needs a non-empty 'values' array`);
    if (values.length > FILTER_LIMITS.maxInValues) fail(`'in' on '${property.name}' takes at most ${FILTER_LIMITS.maxInValues} values`);
    const literals = values.map((v: unknown) => {
      if (typeof v !== 'string' && typeof v !== 'number') fail(`'in' values must be strings or numbers, got ${describe(v)}`);
      return formatLiteral(property, v);
    });
    return `${property.name} in (${literals.join(',')})`;
  }

  if (!('value' in condition)) fail(`Condition on '${property.name}' needs a 'value'`);
  const value = condition.value as ODataLiteral;
  const caseInsensitive = condition.caseInsensitive === true;
  if (caseInsensitive && !isTextType(property.type)) {
    fail(`caseInsensitive applies to text fields only; '${property.name}' is ${property.type}`);
  }
  if (caseInsensitive && typeof value !== 'string') fail(`caseInsensitive on '${property.name}' needs a string value`);
  const subject = caseInsensitive ? `tolower(${property.name})` : property.name;
  const literalValue = caseInsensitive ? (value as string).toLowerCase() : value;

  if (STRING_FUNCTIONS.has(op)) {
    if (!isTextType(property.type)) fail(`'${op}' applies to text fields only; '${property.name}' is ${property.type}`);
    if (typeof value !== 'string' || value.length === 0) fail(`'${op}' on '${property.name}' needs a non-empty string value`);
    // A partial value need not be a valid enum member, so only quote it.
    return `${op}(${subject},${quoteString(literalValue as string)})`;
  }
  if (COMPARISONS.has(op)) {
    if (value === null && op !== 'eq' && op !== 'ne') fail(`null can only be compared with eq or ne ('${property.name}')`);
    const literal = caseInsensitive
      ? formatLiteral({ ...property, enumValues: property.enumValues?.map((v) => v.toLowerCase()) }, literalValue)
      : formatLiteral(property, literalValue);
    return `${subject} ${op} ${literal}`;
  }
  fail(`Unknown operator ${describe(op)}. Operators: eq, ne, gt, ge, lt, le, startswith, endswith, contains, in`);
}

/** The `$filter` expression for a structured filter, validated against the entity's schema. */
export function buildFilter(schema: EntitySchema, filter: ODataFilter): string {
  return buildNode(filter, { schema, conditions: 0 }, 0);
}

function nonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${name} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

function nameList(values: unknown, option: string): string[] {
  if (!Array.isArray(values)) fail(`${option} must be an array of names, got ${describe(values)}`);
  return values as string[];
}

/** The OData system query options, in a stable order, each validated; values are not yet encoded. */
export function buildQueryOptions(schema: EntitySchema, query: ODataQuery = {}): [string, string][] {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) fail(`A query must be an object, got ${describe(query)}`);
  const options: [string, string][] = [];
  if (query.filter !== undefined) options.push(['$filter', buildFilter(schema, query.filter)]);
  if (query.select !== undefined) {
    const names = nameList(query.select, '$select').map((f) => propertyOf(schema, f, '$select').name);
    if (names.length) options.push(['$select', [...new Set(names)].join(',')]);
  }
  if (query.expand !== undefined) {
    const names = nameList(query.expand, '$expand').map((n) => navigationOf(schema, n).name);
    if (names.length) options.push(['$expand', [...new Set(names)].join(',')]);
  }
  if (query.orderby !== undefined) {
    if (!Array.isArray(query.orderby)) fail(`$orderby must be an array of { field, direction }`);
    const terms = query.orderby.map((term) => {
      if (!isObject(term)) fail(`$orderby terms must be { field, direction }, got ${describe(term)}`);
      const property = propertyOf(schema, term.field as string, '$orderby');
      const direction = term.direction ?? 'asc';
      if (direction !== 'asc' && direction !== 'desc') fail(`$orderby direction must be 'asc' or 'desc', got ${describe(direction)}`);
      return direction === 'desc' ? `${property.name} desc` : property.name;
    });
    if (terms.length) options.push(['$orderby', terms.join(',')]);
  }
  if (query.top !== undefined) options.push(['$top', String(nonNegativeInteger(query.top, '$top'))]);
  if (query.skip !== undefined) options.push(['$skip', String(nonNegativeInteger(query.skip, '$skip'))]);
  if (query.count !== undefined) {
    if (typeof query.count !== 'boolean') fail(`$count must be true or false`);
    if (query.count) options.push(['$count', 'true']);
  }
  return options;
}

/** Percent-encodes option values (the `$` names stay readable); '' for no options, else `?…`. */
export function encodeQueryOptions(options: [string, string][]): string {
  if (options.length === 0) return '';
  return `?${options.map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/'/g, '%27')}`).join('&')}`;
}

/** `?$filter=…&$select=…` for a structured query against an entity set. */
export function buildQueryString(schema: EntitySchema, query?: ODataQuery): string {
  return encodeQueryOptions(buildQueryOptions(schema, query));
}
