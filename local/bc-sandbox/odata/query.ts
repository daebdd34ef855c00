// OData system query options as Business Central supports them: parsing (with BC's errors for what it does not
// support) and applying them to a set of rows: $filter, $orderby, $skip, $top, $count, $select, $expand, and
// server-driven paging through $skiptoken.
import { bcErrors } from '../errors.js';
import { resolveNavigation, type EntitySetDefinition, type NavigationResolution } from '../schema.js';
import { compileFilter, type RecordPredicate } from './filter-eval.js';
import { parseFilter } from './filter-parser.js';

export interface OrderKey {
  field: string;
  descending: boolean;
}

export interface ExpandOption {
  name: string;
  resolution: NavigationResolution;
  options: QueryOptions;
}

export interface QueryOptions {
  filter?: RecordPredicate;
  select?: string[];
  expand: ExpandOption[];
  orderBy: OrderKey[];
  top?: number;
  skip?: number;
  count: boolean;
  /** Offset into the result, carried by a nextLink's $skiptoken. */
  skipToken?: number;
}

const supportedOptions = new Set(['$filter', '$select', '$expand', '$orderby', '$top', '$skip', '$count', '$skiptoken', '$schemaversion', '$format']);

export type DefinitionLookup = (entitySet: string) => EntitySetDefinition | undefined;

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw bcErrors.querySyntax(`Invalid value '${value}' for the query option ${name}: a non-negative integer is expected`);
  return Number(value.trim());
}

/** Splits on a separator outside parentheses and quotes (for $expand lists and nested options). */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === separator) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (depth !== 0 || quoted) throw bcErrors.querySyntax(`Syntax error: unbalanced parentheses or quotes in '${text}'`);
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function propertyNames(list: string, definition: EntitySetDefinition): string[] {
  return list.split(',').map((raw) => {
    const name = raw.trim();
    if (!definition.properties.some((p) => p.name === name)) throw bcErrors.unknownProperty(name, definition.entityName);
    return name;
  });
}

function parseOrderBy(text: string, definition: EntitySetDefinition): OrderKey[] {
  return text.split(',').map((part) => {
    const [field, direction, ...rest] = part.trim().split(/\s+/);
    if (!field || rest.length > 0 || (direction && direction !== 'asc' && direction !== 'desc')) {
      throw bcErrors.querySyntax(`Syntax error in the $orderby clause '${text}'`);
    }
    if (!definition.properties.some((p) => p.name === field)) throw bcErrors.unknownProperty(field, definition.entityName);
    return { field, descending: direction === 'desc' };
  });
}

function parseExpand(text: string, definition: EntitySetDefinition, lookup: DefinitionLookup): ExpandOption[] {
  return splitTopLevel(text, ',').map((item) => {
    const open = item.indexOf('(');
    const name = (open === -1 ? item : item.slice(0, open)).trim();
    if (!definition.navigationProperties.some((n) => n.name === name)) throw bcErrors.unknownProperty(name, definition.entityName);
    const resolution = resolveNavigation(definition, name);
    const target = resolution && lookup(resolution.target);
    if (!resolution || !target) throw bcErrors.notImplemented(`Expanding '${name}' is not supported by this service`);
    const nested = new Map<string, string>();
    if (open !== -1) {
      if (!item.endsWith(')')) throw bcErrors.querySyntax(`Syntax error in the $expand clause '${item}'`);
      for (const option of splitTopLevel(item.slice(open + 1, -1), ';')) {
        const eq = option.indexOf('=');
        if (eq === -1) throw bcErrors.querySyntax(`Syntax error in the $expand clause '${item}'`);
        nested.set(option.slice(0, eq).trim(), option.slice(eq + 1));
      }
    }
    return { name, resolution, options: parseQueryOptions(nested, target, lookup) };
  });
}

/** Parses the system query options of a request against the entity set being read. */
export function parseQueryOptions(params: Map<string, string>, definition: EntitySetDefinition, lookup: DefinitionLookup): QueryOptions {
  const options: QueryOptions = { expand: [], orderBy: [], count: false };
  for (const [name, value] of params) {
    if (!name.startsWith('$')) continue;
    if (!supportedOptions.has(name)) throw bcErrors.notImplemented(`The query option '${name}' is not supported`);
    switch (name) {
      case '$filter':
        options.filter = compileFilter(parseFilter(value), definition);
        break;
      case '$select':
        options.select = propertyNames(value, definition);
        break;
      case '$expand':
        options.expand = parseExpand(value, definition, lookup);
        break;
      case '$orderby':
        options.orderBy = parseOrderBy(value, definition);
        break;
      case '$top':
        options.top = nonNegativeInteger(name, value);
        break;
      case '$skip':
        options.skip = nonNegativeInteger(name, value);
        break;
      case '$count':
        if (value !== 'true' && value !== 'false') throw bcErrors.querySyntax(`Invalid value '${value}' for $count: true or false expected`);
        options.count = value === 'true';
        break;
      case '$skiptoken':
        options.skipToken = decodeSkipToken(value);
        break;
      case '$format':
        if (!/^(json|application\/json)/.test(value)) throw bcErrors.notImplemented(`The format '${value}' is not supported`);
        break;
      default:
        break;
    }
  }
  return options;
}

export function encodeSkipToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeSkipToken(token: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!match) throw bcErrors.querySyntax(`The skip token '${token}' is not valid`);
  return Number(match[1]);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a ?? '').toLowerCase();
  const y = String(b ?? '').toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** BC's default order is the primary key: number, code, entry number or line sequence. */
function defaultOrder(definition: EntitySetDefinition): OrderKey[] {
  const keyField = ['number', 'code', 'entryNumber', 'sequence'].find((f) => definition.properties.some((p) => p.name === f));
  return keyField ? [{ field: keyField, descending: false }] : [];
}

export interface CollectionResult<T> {
  page: T[];
  count?: number;
  /** $count counts every match, ignoring $top and $skip (OData). */
  /** Offset of the next page when the result continues past this one. */
  nextOffset?: number;
}

export function applyCollection<T>(
  items: T[],
  dataOf: (item: T) => Record<string, unknown>,
  options: QueryOptions,
  definition: EntitySetDefinition,
  pageSize: number,
): CollectionResult<T> {
  const filtered = options.filter ? items.filter((item) => options.filter!(dataOf(item))) : [...items];
  const keys = [...options.orderBy, ...defaultOrder(definition)];
  filtered.sort((a, b) => {
    for (const key of keys) {
      const c = compareValues(dataOf(a)[key.field], dataOf(b)[key.field]);
      if (c !== 0) return key.descending ? -c : c;
    }
    return 0;
  });
  const skipped = filtered.slice(options.skip ?? 0);
  const limited = options.top === undefined ? skipped : skipped.slice(0, options.top);
  const offset = options.skipToken ?? 0;
  const page = limited.slice(offset, offset + pageSize);
  const nextOffset = offset + pageSize < limited.length ? offset + pageSize : undefined;
  return { page, ...(options.count ? { count: filtered.length } : {}), ...(nextOffset !== undefined ? { nextOffset } : {}) };
}

/** Keeps the selected properties (all when no $select), in catalogue order. */
export function selectProperties(record: Record<string, unknown>, definition: EntitySetDefinition, select?: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const property of definition.properties) {
    if (!select || select.includes(property.name)) out[property.name] = record[property.name];
  }
  return out;
}
