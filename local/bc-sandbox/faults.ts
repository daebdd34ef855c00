// Runtime fault injection (ARCHITECTURE §10): rules matching an entity set and/or method that add latency,
// answer with a status (429/503 with Retry-After), or hang until the client gives up. `rate` is applied
// deterministically with an accumulator (rate 0.5 fires on every second match), and `count` caps firings.
import { randomUUID } from 'node:crypto';

export interface FaultRuleInput {
  entitySet?: string;
  method?: string;
  status?: number;
  latencyMs?: number;
  rate?: number;
  count?: number;
  hang?: boolean;
  retryAfterSeconds?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  rate: number;
  fired: number;
  matched: number;
  accumulator: number;
}

export type FaultAction = { latencyMs: number; status?: number; hang: boolean; retryAfterSeconds: number } | undefined;

export function validateFaultRule(input: unknown): FaultRuleInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('A fault rule must be a JSON object');
  const rule = input as Record<string, unknown>;
  const allowed = new Set(['entitySet', 'method', 'status', 'latencyMs', 'rate', 'count', 'hang', 'retryAfterSeconds']);
  for (const key of Object.keys(rule)) if (!allowed.has(key)) throw new Error(`Unknown fault rule field '${key}'`);
  const optional = (key: string, type: 'string' | 'number' | 'boolean') => {
    if (rule[key] !== undefined && typeof rule[key] !== type) throw new Error(`Fault rule field '${key}' must be a ${type}`);
  };
  optional('entitySet', 'string');
  optional('method', 'string');
  optional('status', 'number');
  optional('latencyMs', 'number');
  optional('rate', 'number');
  optional('count', 'number');
  optional('hang', 'boolean');
  optional('retryAfterSeconds', 'number');
  const status = rule.status as number | undefined;
  if (status !== undefined && (!Number.isInteger(status) || status < 400 || status > 599)) throw new Error('status must be an HTTP error status (400-599)');
  const rate = rule.rate as number | undefined;
  if (rate !== undefined && (rate <= 0 || rate > 1)) throw new Error('rate must be in (0, 1]');
  const count = rule.count as number | undefined;
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new Error('count must be a positive integer');
  const latency = rule.latencyMs as number | undefined;
  if (latency !== undefined && (latency < 0 || latency > 600_000)) throw new Error('latencyMs must be between 0 and 600000');
  if (status === undefined && !latency && !rule.hang) throw new Error('A fault rule needs status, latencyMs or hang');
  return rule as FaultRuleInput;
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...input, id: randomUUID(), rate: input.rate ?? 1, fired: 0, matched: 0, accumulator: 0 };
    if (rule.method) rule.method = rule.method.toUpperCase();
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault to apply to a request, from the first rule that matches and fires. */
  decide(entitySet: string | undefined, method: string): FaultAction {
    for (const rule of this.rules) {
      if (rule.entitySet && rule.entitySet !== entitySet) continue;
      if (rule.method && rule.method !== method.toUpperCase()) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      rule.matched++;
      rule.accumulator += rule.rate;
      if (rule.accumulator + 1e-9 < 1) continue;
      rule.accumulator -= 1;
      rule.fired++;
      return { latencyMs: rule.latencyMs ?? 0, status: rule.status, hang: rule.hang ?? false, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
    }
    return undefined;
  }
}
