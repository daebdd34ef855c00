// CloudFormation intrinsic functions and pseudo parameters, evaluated the way CloudFormation does at deploy
// time; what a Ref or GetAtt of a resource means is the caller's (see identities.ts).
import { isRecord } from './types.js';

export interface IntrinsicContext {
  region: string;
  accountId: string;
  stackName: string;
  /** Parameter values by name (defaults already applied). */
  parameters: Readonly<Record<string, unknown>>;
  /** The template's Conditions section (definitions, evaluated on demand). */
  conditions: Readonly<Record<string, unknown>>;
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
}

/** Where `AWS::NoValue` was: the property or list item is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

export class IntrinsicError extends Error {
  override name = 'IntrinsicError';
}

/** Resolves every intrinsic in `value`, returning plain JSON. */
export function resolveIntrinsics(value: unknown, ctx: IntrinsicContext): unknown {
  const resolved = resolve(value, ctx);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves `value` and requires a string (names, ARNs, URLs, environment values). */
export function resolveString(value: unknown, ctx: IntrinsicContext, what: string): string {
  const resolved = resolveIntrinsics(value, ctx);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new IntrinsicError(`${what} must resolve to a string, got ${JSON.stringify(resolved)}`);
}

function resolve(value: unknown, ctx: IntrinsicContext): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, ctx)).filter((item) => item !== NO_VALUE);
  }
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0]!;
    if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') return resolveFunction(key, value[key], ctx);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolve(item, ctx);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function resolveFunction(name: string, arg: unknown, ctx: IntrinsicContext): unknown {
  switch (name) {
    case 'Ref':
      return ref(expectString(arg, 'Ref'), ctx);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = getAttArgs(arg);
      return ctx.getAtt(logicalId, attribute);
    }
    case 'Fn::Join': {
      const [delimiter, list] = expectArray(arg, 'Fn::Join', 2);
      const items = resolve(list, ctx);
      if (!Array.isArray(items)) throw new IntrinsicError('Fn::Join needs a list');
      return items.map((item) => scalar(item, 'Fn::Join item')).join(expectString(delimiter, 'Fn::Join delimiter'));
    }
    case 'Fn::Sub':
      return sub(arg, ctx);
    case 'Fn::Select': {
      const [index, list] = expectArray(arg, 'Fn::Select', 2);
      const items = resolve(list, ctx);
      const i = Number(resolve(index, ctx));
      if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
        throw new IntrinsicError(`Fn::Select index ${String(index)} is out of range`);
      }
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = expectArray(arg, 'Fn::Split', 2);
      return scalar(resolve(source, ctx), 'Fn::Split source').split(expectString(delimiter, 'Fn::Split delimiter'));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = expectArray(arg, 'Fn::If', 3);
      return resolve(evaluateCondition(expectString(condition, 'Fn::If condition'), ctx) ? whenTrue : whenFalse, ctx);
    }
    case 'Fn::Equals': {
      const [a, b] = expectArray(arg, 'Fn::Equals', 2);
      return JSON.stringify(resolve(a, ctx)) === JSON.stringify(resolve(b, ctx));
    }
    case 'Fn::And':
      return expectArray(arg, 'Fn::And').every((c) => resolve(c, ctx) === true);
    case 'Fn::Or':
      return expectArray(arg, 'Fn::Or').some((c) => resolve(c, ctx) === true);
    case 'Fn::Not':
      return resolve(expectArray(arg, 'Fn::Not', 1)[0], ctx) !== true;
    case 'Condition':
      return evaluateCondition(expectString(arg, 'Condition'), ctx);
    case 'Fn::Base64':
      return Buffer.from(scalar(resolve(arg, ctx), 'Fn::Base64'), 'utf8').toString('base64');
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${ctx.region}${zone}`);
    case 'Fn::FindInMap':
      throw new IntrinsicError('Fn::FindInMap is not supported by the local cloud');
    case 'Fn::ImportValue':
      throw new IntrinsicError('Fn::ImportValue needs another stack, which the local cloud does not run');
    default:
      throw new IntrinsicError(`unknown intrinsic function ${name}`);
  }
}

/** Evaluates a named condition of the template's Conditions section. */
export function evaluateCondition(name: string, ctx: IntrinsicContext): boolean {
  if (!Object.hasOwn(ctx.conditions, name)) throw new IntrinsicError(`unknown condition ${name}`);
  return resolve(ctx.conditions[name], ctx) === true;
}

function ref(name: string, ctx: IntrinsicContext): unknown {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`;
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
  }
  if (Object.hasOwn(ctx.parameters, name)) return ctx.parameters[name];
  return ctx.ref(name);
}

/** `Fn::Sub` in both forms: a string, or [string, { name: value }]. `${!x}` is the literal `${x}`. */
function sub(arg: unknown, ctx: IntrinsicContext): string {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : expectArray(arg, 'Fn::Sub', 2);
  const vars = resolve(variables, ctx);
  if (!isRecord(vars)) throw new IntrinsicError('Fn::Sub variables must be an object');
  return expectString(template, 'Fn::Sub template').replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (Object.hasOwn(vars, name)) return scalar(vars[name], `Fn::Sub variable ${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return scalar(ctx.getAtt(name.slice(0, dot), name.slice(dot + 1)), `Fn::Sub \${${name}}`);
    }
    return scalar(ref(name, ctx), `Fn::Sub \${${name}}`);
  });
}

function getAttArgs(arg: unknown): [string, string] {
  if (typeof arg === 'string') {
    const dot = arg.indexOf('.');
    if (dot > 0) return [arg.slice(0, dot), arg.slice(dot + 1)];
  }
  if (Array.isArray(arg) && arg.length === 2 && typeof arg[0] === 'string' && typeof arg[1] === 'string') {
    return [arg[0], arg[1]];
  }
  throw new IntrinsicError(`Fn::GetAtt needs [logicalId, attribute], got ${JSON.stringify(arg)}`);
}

function scalar(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(`${what} must be a string, got ${JSON.stringify(value)}`);
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new IntrinsicError(`${what} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function expectArray(value: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new IntrinsicError(`${what} needs ${length === undefined ? 'a list' : `a list of ${length}`}, got ${JSON.stringify(value)}`);
  }
  return value;
}
