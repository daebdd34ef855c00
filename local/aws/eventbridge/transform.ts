import type { InputTransformer, RuleTarget } from '../types.js';

/**
 * What a rule target receives: the whole event, a constant `Input`, the part selected by `InputPath`,
 * or the `InputTransformer` template filled from `InputPathsMap` (as EventBridge documents them).
 */

/** Evaluates the JSON paths EventBridge accepts: `$`, `$.a.b`, `$.a[0]`, `$['a-b']`. Missing → undefined. */
export function evaluateJsonPath(path: string, document: unknown): unknown {
  if (!path.startsWith('$')) throw new Error(`JSON path must start with $: ${path}`);
  let current: unknown = document;
  const tokens = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  tokens.lastIndex = 1;
  while (tokens.lastIndex < path.length) {
    const start = tokens.lastIndex;
    const match = tokens.exec(path);
    if (!match || match.index !== start) throw new Error(`Invalid JSON path: ${path}`);
    const key = match[1] ?? match[3] ?? match[4];
    if (current === null || typeof current !== 'object') return undefined;
    if (match[2] !== undefined) {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(match[2])];
    } else {
      current = (current as Record<string, unknown>)[key!];
    }
    if (current === undefined) return undefined;
  }
  return current;
}

export function validateJsonPath(path: string): void {
  evaluateJsonPath(path, {});
}

export interface RuleContext {
  ruleArn: string;
  ruleName: string;
  ingestionTime: string;
}

/** The JSON text delivered to a target for an event. */
export function targetPayload(target: RuleTarget, event: Record<string, unknown>, rule: RuleContext): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) return JSON.stringify(evaluateJsonPath(target.inputPath, event) ?? null);
  if (target.inputTransformer) return applyInputTransformer(target.inputTransformer, event, rule);
  return JSON.stringify(event);
}

/**
 * Fills `<name>` placeholders. Inside a JSON string a value goes in as text (string content escaped);
 * outside one it goes in as JSON. Missing paths give null (or nothing inside a string).
 */
export function applyInputTransformer(transformer: InputTransformer, event: Record<string, unknown>, rule: RuleContext): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.inputPathsMap ?? {})) values.set(name, evaluateJsonPath(path, event));
  values.set('aws.events.rule-arn', rule.ruleArn);
  values.set('aws.events.rule-name', rule.ruleName);
  values.set('aws.events.event.ingestion-time', rule.ingestionTime);
  values.set('aws.events.event', event);
  values.set('aws.events.event.json', event);

  const template = transformer.inputTemplate;
  let output = '';
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index]!;
    if (char === '<') {
      const end = template.indexOf('>', index);
      const name = end > index ? template.slice(index + 1, end) : '';
      if (values.has(name)) {
        const value = values.get(name);
        if (inString) {
          const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
          output += JSON.stringify(text).slice(1, -1);
        } else {
          output += value === undefined ? 'null' : JSON.stringify(value);
        }
        index = end;
        continue;
      }
    }
    if (char === '\\' && inString) {
      output += char + (template[index + 1] ?? '');
      index++;
      continue;
    }
    if (char === '"') inString = !inString;
    output += char;
  }
  return output;
}

/** Placeholders in a template must each be defined in the paths map (or be a predefined variable). */
export function validateInputTransformer(transformer: InputTransformer): void {
  if (typeof transformer.inputTemplate !== 'string' || transformer.inputTemplate === '') {
    throw new Error('InputTemplate is required');
  }
  const names = Object.keys(transformer.inputPathsMap ?? {});
  if (names.length > 100) throw new Error('InputPathsMap may hold at most 100 entries');
  for (const [name, path] of Object.entries(transformer.inputPathsMap ?? {})) {
    if (name.startsWith('aws.')) throw new Error(`InputPathsMap key ${name} is reserved`);
    validateJsonPath(path);
  }
}
