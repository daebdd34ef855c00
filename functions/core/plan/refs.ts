// References from one task's arguments to an earlier task's result: `{ "$ref": "t1.result.value[0].id" }`.
// The path grammar is deliberately tiny and parsed by hand (no eval, no property names from the model used
// as code):   path    := taskId ".result" step*
//             step    := "." name | "[" index "]" | "[" quoted "]"
//             name    := [A-Za-z_$@][A-Za-z0-9_$@-]*      index := [0-9]+      quoted := '…' or "…"
// A reference is an object with exactly one key, `$ref`, whose value is a string.

export interface Ref {
  $ref: string;
}

export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number };

export interface ParsedRef {
  taskId: string;
  /** Steps after `.result`. */
  steps: PathStep[];
}

export class RefSyntaxError extends Error {}

export class RefResolutionError extends Error {
  constructor(
    message: string,
    readonly ref: string,
    /** Where in the arguments the reference sits, e.g. `arguments.id`. */
    readonly at: string,
  ) {
    super(message);
  }
}

export function isRef(value: unknown): value is Ref {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as Record<string, unknown>).$ref === 'string'
  );
}

/** Any object carrying a `$ref` key, well-formed or not (a malformed one must be refused, not treated as data). */
export function looksLikeRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && '$ref' in value;
}

const isNameStart = (c: string) => /[A-Za-z_$@]/.test(c);
const isNameChar = (c: string) => /[A-Za-z0-9_$@-]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

export function parseRefPath(path: string): ParsedRef {
  if (typeof path !== 'string' || path.length === 0) throw new RefSyntaxError('a $ref must be a non-empty string');
  if (path.length > 256) throw new RefSyntaxError('a $ref path is limited to 256 characters');
  let i = 0;
  const readName = (): string => {
    const start = i;
    if (i >= path.length || !isNameStart(path[i]!)) {
      throw new RefSyntaxError(`expected a name at position ${i} of '${path}'`);
    }
    while (i < path.length && isNameChar(path[i]!)) i++;
    return path.slice(start, i);
  };

  const taskId = readName();
  if (path.slice(i, i + 7) !== '.result' || (i + 7 < path.length && isNameChar(path[i + 7]!))) {
    throw new RefSyntaxError(`'${path}' must start with '<taskId>.result' (e.g. '${taskId}.result.value[0].id')`);
  }
  i += 7;

  const steps: PathStep[] = [];
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      i++;
      steps.push({ kind: 'key', key: readName() });
    } else if (c === '[') {
      i++;
      const q = path[i];
      if (q === "'" || q === '"') {
        i++;
        const start = i;
        while (i < path.length && path[i] !== q) i++;
        if (i >= path.length) throw new RefSyntaxError(`unterminated quoted key in '${path}'`);
        steps.push({ kind: 'key', key: path.slice(start, i) });
        i++;
      } else {
        const start = i;
        while (i < path.length && isDigit(path[i]!)) i++;
        if (i === start) throw new RefSyntaxError(`expected an index or a quoted key at position ${i} of '${path}'`);
        steps.push({ kind: 'index', index: Number(path.slice(start, i)) });
      }
      if (path[i] !== ']') throw new RefSyntaxError(`expected ']' at position ${i} of '${path}'`);
      i++;
    } else {
      throw new RefSyntaxError(`unexpected '${c}' at position ${i} of '${path}'`);
    }
  }
  return { taskId, steps };
}

export interface FoundRef {
  /** Location inside the arguments, e.g. `data.customerId` or `filter[0].value`. */
  at: string;
  ref: string;
}

/** Every `$ref`-shaped object in a value, with its location; nested refs inside a ref are not looked into. */
export function collectRefs(value: unknown, at = ''): FoundRef[] {
  if (looksLikeRef(value)) {
    const raw = (value as Record<string, unknown>).$ref;
    return [{ at, ref: typeof raw === 'string' ? raw : JSON.stringify(raw) ?? String(raw) }];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => collectRefs(v, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => collectRefs(v, at ? `${at}.${k}` : k));
  }
  return [];
}

function describeStep(step: PathStep): string {
  return step.kind === 'index' ? `[${step.index}]` : `.${step.key}`;
}

/** Follows a parsed path into a task result; throws with the exact prefix that does not exist. */
export function readPath(result: unknown, parsed: ParsedRef, at: string, raw: string): unknown {
  let current: unknown = result;
  let walked = `${parsed.taskId}.result`;
  for (const step of parsed.steps) {
    const next = walked + describeStep(step);
    if (step.kind === 'index') {
      if (!Array.isArray(current)) {
        throw new RefResolutionError(`'${walked}' is not a list, so '${next}' does not exist`, raw, at);
      }
      if (step.index >= current.length) {
        throw new RefResolutionError(
          `'${next}' does not exist: '${walked}' has ${current.length} element${current.length === 1 ? '' : 's'}`,
          raw,
          at,
        );
      }
      current = current[step.index];
    } else {
      if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, step.key)) {
        throw new RefResolutionError(`'${next}' does not exist in the result of task '${parsed.taskId}'`, raw, at);
      }
      current = (current as Record<string, unknown>)[step.key];
    }
    walked = next;
  }
  if (current === undefined) throw new RefResolutionError(`'${walked}' has no value`, raw, at);
  return current;
}

/**
 * Replaces every `$ref` in `args` by the value it points to in `resultsByTaskId` (task id → that task's
 * result). Returns a new value; the input is not modified. Throws RefResolutionError naming the reference
 * and the missing part of its path.
 */
export function resolveRefs<T>(args: T, resultsByTaskId: Readonly<Record<string, unknown>>): T {
  const walk = (value: unknown, at: string): unknown => {
    if (looksLikeRef(value)) {
      const raw = (value as Record<string, unknown>).$ref;
      if (!isRef(value)) throw new RefResolutionError(`malformed $ref at '${at || 'arguments'}'`, String(raw), at);
      let parsed: ParsedRef;
      try {
        parsed = parseRefPath(value.$ref);
      } catch (error) {
        throw new RefResolutionError((error as Error).message, value.$ref, at);
      }
      if (!Object.hasOwn(resultsByTaskId, parsed.taskId)) {
        throw new RefResolutionError(`no result is available for task '${parsed.taskId}'`, value.$ref, at);
      }
      return readPath(resultsByTaskId[parsed.taskId], parsed, at, value.$ref);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${at}[${i}]`));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, at ? `${at}.${k}` : k)]));
    }
    return value;
  };
  return walk(args, '') as T;
}
