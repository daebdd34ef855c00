/**
 * EventBridge event patterns as AWS documents them ("Amazon EventBridge event patterns", "Content
 * filtering"): exact values, arrays, prefix/suffix (with equals-ignore-case), anything-but (values, lists,
 * prefix, suffix, equals-ignore-case, wildcard), numeric, exists, equals-ignore-case, wildcard, cidr,
 * `$or` and nested fields. `parseEventPattern` validates (PutRule answers InvalidEventPatternException);
 * `matchesEventPattern` tests an event.
 */

export class InvalidEventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type EventPattern = { [key: string]: Json };

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr']);
const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>', '>=']);

const isPlainObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses and validates a pattern given as JSON text or an object. */
export function parseEventPattern(pattern: string | object): EventPattern {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (error) {
      throw new InvalidEventPatternError(`Filter is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isPlainObject(parsed)) throw new InvalidEventPatternError('Filter is not an object');
  validateObject(parsed, '');
  return parsed as EventPattern;
}

function validateObject(pattern: Record<string, Json>, path: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const fieldPath = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new InvalidEventPatternError(`$or at ${fieldPath || 'top level'} must be an array of at least 2 patterns`);
      for (const alternative of value) {
        if (!isPlainObject(alternative) || Object.keys(alternative).length === 0) {
          throw new InvalidEventPatternError('Every $or alternative must be a non-empty object');
        }
        validateObject(alternative, path);
      }
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed (at ${fieldPath})`);
      for (const matcher of value) validateMatcher(matcher, fieldPath);
    } else if (isPlainObject(value)) {
      if (Object.keys(value).length === 0) throw new InvalidEventPatternError(`Empty objects are not allowed (at ${fieldPath})`);
      validateObject(value, fieldPath);
    } else {
      throw new InvalidEventPatternError(`"${fieldPath}" must be an object or an array`);
    }
  }
}

function validateMatcher(matcher: Json, path: string): void {
  if (matcher === null || typeof matcher === 'string' || typeof matcher === 'number' || typeof matcher === 'boolean') return;
  if (Array.isArray(matcher)) throw new InvalidEventPatternError(`Nested arrays are not allowed (at ${path})`);
  const keys = Object.keys(matcher);
  if (keys.length !== 1) throw new InvalidEventPatternError(`A match expression at ${path} must have exactly one operator, found ${keys.length}`);
  const operator = keys[0]!;
  const operand = matcher[operator]!;
  if (!OPERATORS.has(operator)) throw new InvalidEventPatternError(`Unrecognized match type ${operator} (at ${path})`);
  switch (operator) {
    case 'prefix':
    case 'suffix':
      validateStringOrIgnoreCase(operand, operator, path);
      return;
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(`equals-ignore-case match pattern must be a string (at ${path})`);
      return;
    case 'wildcard':
      if (typeof operand !== 'string') throw new InvalidEventPatternError(`wildcard match pattern must be a string (at ${path})`);
      validateWildcard(operand, path);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw new InvalidEventPatternError(`exists match pattern must be either true or false (at ${path})`);
      return;
    case 'numeric':
      validateNumeric(operand, path);
      return;
    case 'cidr':
      if (typeof operand !== 'string' || !parseCidr(operand)) throw new InvalidEventPatternError(`Malformed CIDR, one '/' required (at ${path}): ${JSON.stringify(operand)}`);
      return;
    case 'anything-but':
      validateAnythingBut(operand, path);
      return;
  }
}

function validateStringOrIgnoreCase(operand: Json, operator: string, path: string): void {
  if (typeof operand === 'string') return;
  if (isPlainObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string') return;
  throw new InvalidEventPatternError(`${operator} match pattern must be a string or {"equals-ignore-case": string} (at ${path})`);
}

function validateWildcard(pattern: string, path: string): void {
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') {
      const next = pattern[index + 1];
      if (next !== '*' && next !== '\\') throw new InvalidEventPatternError(`Invalid escape character at pos ${index} (at ${path})`);
      index++;
    } else if (char === '*' && pattern[index + 1] === '*') {
      throw new InvalidEventPatternError(`Consecutive wildcard characters at pos ${index + 1} (at ${path})`);
    }
  }
}

function validateNumeric(operand: Json, path: string): void {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new InvalidEventPatternError(`numeric match pattern must be [op, number] or [op, number, op, number] (at ${path})`);
  }
  for (let index = 0; index < operand.length; index += 2) {
    const op = operand[index];
    const value = operand[index + 1];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op)) throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${JSON.stringify(op)} (at ${path})`);
    if (typeof value !== 'number') throw new InvalidEventPatternError(`Value of ${op} must be numeric (at ${path})`);
  }
  if (operand.length === 4) {
    const [lowerOp, lower, upperOp, upper] = operand as [string, number, string, number];
    if (lowerOp !== '>' && lowerOp !== '>=') throw new InvalidEventPatternError(`Bad numeric range operator: ${lowerOp}; a range starts with > or >= (at ${path})`);
    if (upperOp !== '<' && upperOp !== '<=') throw new InvalidEventPatternError(`Bad numeric range operator: ${upperOp}; a range ends with < or <= (at ${path})`);
    if (lower >= upper) throw new InvalidEventPatternError(`Bottom must be less than top (at ${path})`);
  }
}

function validateAnythingBut(operand: Json, path: string): void {
  if (typeof operand === 'string' || typeof operand === 'number') return;
  if (Array.isArray(operand)) {
    const allStrings = operand.every((value) => typeof value === 'string');
    const allNumbers = operand.every((value) => typeof value === 'number');
    if (operand.length === 0 || (!allStrings && !allNumbers)) {
      throw new InvalidEventPatternError(`Inside anything but list, start|null|boolean is not supported; use only strings or only numbers (at ${path})`);
    }
    return;
  }
  if (isPlainObject(operand) && Object.keys(operand).length === 1) {
    const [key, value] = Object.entries(operand)[0]!;
    if ((key === 'prefix' || key === 'suffix') && typeof value === 'string' && value !== '') return;
    if (key === 'equals-ignore-case' || key === 'wildcard') {
      const values = Array.isArray(value) ? value : [value];
      if (values.length > 0 && values.every((entry) => typeof entry === 'string')) {
        if (key === 'wildcard') for (const entry of values) validateWildcard(entry as string, path);
        return;
      }
    }
  }
  throw new InvalidEventPatternError(`Value of anything-but must be a string, number, a list of strings or numbers, or one of prefix, suffix, equals-ignore-case, wildcard (at ${path})`);
}

// ---- matching ----

/** True when the event matches the pattern (pattern given as JSON text, object, or parsed). */
export function matchesEventPattern(pattern: string | object, event: unknown): boolean {
  const parsed = typeof pattern === 'string' ? parseEventPattern(pattern) : (pattern as EventPattern);
  return matchObject(parsed, event);
}

/**
 * Event-ruler "crushes" arrays out of events: nested arrays count as one flat list of their elements, so
 * `[[a, b], [c]]` is matched like `[a, b, c]`.
 */
const flatten = (values: unknown[]): unknown[] => values.flat(Number.POSITIVE_INFINITY);

function matchObject(pattern: Record<string, Json>, value: unknown): boolean {
  // An array of objects matches when any element does (fields are compared within one element, as
  // event-ruler's array-consistent matching does); an array with no object has no fields below it.
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isPlainObject);
    return objects.length === 0 ? matchObject(pattern, undefined) : objects.some((element) => matchObject(pattern, element));
  }
  const object = isPlainObject(value) ? value : undefined;
  for (const [key, subPattern] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(subPattern as Record<string, Json>[]).some((alternative) => matchObject(alternative, value))) return false;
      continue;
    }
    const present = object !== undefined && Object.hasOwn(object, key);
    const fieldValue = present ? object[key] : undefined;
    if (Array.isArray(subPattern)) {
      if (!matchLeaf(subPattern, present, fieldValue)) return false;
    } else if (!matchObject(subPattern as Record<string, Json>, fieldValue)) {
      return false;
    }
  }
  return true;
}

function matchLeaf(matchers: Json[], present: boolean, value: unknown): boolean {
  // Event arrays (nested ones flattened) match when any element matches. Only leaf values count: a field
  // whose value is an object, an empty array or an array of objects has no leaf here, so `exists: true`
  // does not match it and `exists: false` does (event-ruler: "Exists match only works on the leaf nodes").
  const values = !present ? [] : Array.isArray(value) ? flatten(value) : [value];
  const leafValues = values.filter((entry) => !isPlainObject(entry));
  return matchers.some((matcher) => {
    if (isPlainObject(matcher) && 'exists' in matcher) return matcher.exists === leafValues.length > 0;
    return leafValues.some((entry) => matchValue(matcher, entry as Json));
  });
}

function matchValue(matcher: Json, value: Json): boolean {
  if (!isPlainObject(matcher)) {
    if (typeof matcher === 'number') return typeof value === 'number' && value === matcher;
    return value === matcher;
  }
  const [operator, operand] = Object.entries(matcher)[0]!;
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && matchAffix(operand!, value, (text, affix) => text.startsWith(affix));
    case 'suffix':
      return typeof value === 'string' && matchAffix(operand!, value, (text, affix) => text.endsWith(affix));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(operand as string).test(value);
    case 'numeric':
      return typeof value === 'number' && matchNumeric(operand as (string | number)[], value);
    case 'cidr':
      return typeof value === 'string' && inCidr(operand as string, value);
    case 'anything-but':
      return matchAnythingBut(operand!, value);
    default:
      return false;
  }
}

function matchAffix(operand: Json, value: string, test: (text: string, affix: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  const affix = (operand as Record<string, string>)['equals-ignore-case']!;
  return test(value.toLowerCase(), affix.toLowerCase());
}

function matchNumeric(conditions: (string | number)[], value: number): boolean {
  for (let index = 0; index < conditions.length; index += 2) {
    const bound = conditions[index + 1] as number;
    switch (conditions[index]) {
      case '<': if (!(value < bound)) return false; break;
      case '<=': if (!(value <= bound)) return false; break;
      case '=': if (!(value === bound)) return false; break;
      case '>': if (!(value > bound)) return false; break;
      case '>=': if (!(value >= bound)) return false; break;
    }
  }
  return true;
}

function matchAnythingBut(operand: Json, value: Json): boolean {
  if (typeof operand === 'string' || typeof operand === 'number') return value !== operand;
  if (Array.isArray(operand)) return !operand.includes(value as string | number);
  const [kind, argument] = Object.entries(operand as Record<string, Json>)[0]!;
  if (typeof value !== 'string') return true;
  const list = (Array.isArray(argument) ? argument : [argument]) as string[];
  switch (kind) {
    case 'prefix': return !value.startsWith(argument as string);
    case 'suffix': return !value.endsWith(argument as string);
    case 'equals-ignore-case': return !list.some((entry) => entry.toLowerCase() === value.toLowerCase());
    case 'wildcard': return !list.some((entry) => wildcardRegExp(entry).test(value));
    default: return false;
  }
}

const wildcardCache = new Map<string, RegExp>();

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegExp(pattern: string): RegExp {
  let regExp = wildcardCache.get(pattern);
  if (regExp) return regExp;
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '\\') {
      source += escapeRegExp(pattern[++index] ?? '\\');
    } else if (char === '*') {
      source += '[\\s\\S]*';
    } else {
      source += escapeRegExp(char);
    }
  }
  regExp = new RegExp(`^${source}$`);
  wildcardCache.set(pattern, regExp);
  return regExp;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// ---- CIDR ----

interface Cidr {
  version: 4 | 6;
  network: bigint;
  prefixLength: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [address, length, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  const parsed = parseIp(address);
  if (!parsed) return undefined;
  const bits = parsed.version === 4 ? 32 : 128;
  const prefixLength = length === undefined ? bits : /^\d{1,3}$/.test(length) ? Number(length) : Number.NaN;
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) return undefined;
  return { version: parsed.version, network: parsed.value >> BigInt(bits - prefixLength), prefixLength };
}

function inCidr(cidrText: string, ipText: string): boolean {
  const cidr = parseCidr(cidrText);
  const ip = parseIp(ipText);
  if (!cidr || !ip || ip.version !== cidr.version) return false;
  const bits = ip.version === 4 ? 32 : 128;
  return ip.value >> BigInt(bits - cidr.prefixLength) === cidr.network;
}

function parseIp(text: string): { version: 4 | 6; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { version: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { version: 4, value };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tailIpv4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailIpv4 = parseIpv4(text.slice(lastColon + 1));
    if (tailIpv4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = parseGroups(halves[0]!);
  const right = halves.length === 2 ? parseGroups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailIpv4 !== undefined) value = (value & ~0xffffffffn) | tailIpv4;
  return value;
}
