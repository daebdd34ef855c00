// The campaign's time limits, read from the synthesized template where the stack defines them (breaker open
// window, saga compensation retries, worker queues' visibility timeout, a sweeper's schedule) and overridable
// by environment variables, so a run can follow the stack as it changes (a sweeper added later is found by
// its schedule rule) or be shortened on purpose.
import { type CfnTemplate } from '../../local/cloud/index.js';

export interface ChaosTimings {
  /** The circuit breaker's open window (BREAKER_OPEN_SECONDS of the saga steps). */
  breakerOpenSeconds: number;
  /** The longest retry budget of a saga compensation (sum of its Retry waits), from the state machine. */
  compensationRetrySeconds: number;
  /** The period of the plan sweeper / compensation repair schedule; where the stack has none, CHAOS_SWEEPER_PERIOD_SECONDS or 60. */
  sweeperPeriodSeconds: number;
  /** Where the sweeper period came from. */
  sweeperSource: string;
  /** The longest visibility timeout of the query and write lanes (what a message in flight at a crash waits). */
  visibilityTimeoutSeconds: number;
  /** Deadline of scenarios without a better-defined one (CHAOS_DEADLINE_SECONDS, default 150). */
  scenarioDeadlineSeconds: number;
  /** Deadline of the crash scenario after the restart: sweeper period + visibility timeout + slack (CHAOS_CRASH_DEADLINE_SECONDS). */
  crashDeadlineSeconds: number;
  /** Added to the derived deadlines for the machine's own slowness (CHAOS_SLACK_SECONDS, default 30). */
  slackSeconds: number;
}

type Resource = { Type: string; Properties?: Record<string, any> };

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds, got "${raw}"`);
  return value;
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(30 seconds)` → seconds; undefined for cron and others. */
export function rateSeconds(expression: string): number | undefined {
  const match = /^rate\((\d+) (second|minute|hour|day)s?\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = { second: 1, minute: 60, hour: 3600, day: 86_400 }[match[2] as 'second'];
  return Number(match[1]) * unit;
}

/** A DefinitionString (a string or an Fn::Join of strings and tokens) as JSON text; tokens become "X". */
function definitionText(definition: unknown): string {
  if (typeof definition === 'string') return definition;
  const join = (definition as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (!join) return '{}';
  return join[1].map((part) => (typeof part === 'string' ? part : 'X')).join(join[0]);
}

interface Retrier { IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number; ErrorEquals?: string[] }

/** The longest a state's retriers can wait in total. */
function retryBudget(retriers: Retrier[]): number {
  let longest = 0;
  // CDK adds a retrier for Lambda's own service errors to every task; the compensation's policy is the other one.
  for (const r of retriers.filter((r) => !(r.ErrorEquals ?? []).every((e) => e.startsWith('Lambda.')))) {
    let total = 0;
    for (let i = 0; i < (r.MaxAttempts ?? 3); i++) {
      const wait = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i;
      total += r.MaxDelaySeconds ? Math.min(wait, r.MaxDelaySeconds) : wait;
    }
    longest = Math.max(longest, total);
  }
  return longest;
}

/** Every state of a definition, Map and Parallel branches included. */
function statesOf(definition: any): Array<[string, any]> {
  const found: Array<[string, any]> = [];
  for (const [name, state] of Object.entries<any>(definition?.States ?? {})) {
    found.push([name, state]);
    for (const inner of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) if (inner) found.push(...statesOf(inner));
  }
  return found;
}

export function timingsFrom(template: CfnTemplate, env: NodeJS.ProcessEnv = process.env): ChaosTimings {
  const resources = Object.entries((template as { Resources?: Record<string, Resource> }).Resources ?? {});
  const slackSeconds = numberFromEnv(env, 'CHAOS_SLACK_SECONDS') ?? 30;

  const openWindows = resources
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([, r]) => Number(r.Properties?.Environment?.Variables?.BREAKER_OPEN_SECONDS))
    .filter((s) => Number.isFinite(s));
  const breakerOpenSeconds = numberFromEnv(env, 'CHAOS_BREAKER_OPEN_SECONDS') ?? (openWindows.length ? Math.max(...openWindows) : 60);

  let compensationRetrySeconds = 0;
  for (const [, r] of resources.filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')) {
    let definition: unknown;
    try {
      definition = JSON.parse(definitionText(r.Properties?.DefinitionString));
    } catch {
      continue;
    }
    for (const [name, state] of statesOf(definition)) {
      if (!/release|delete|compensat|undo/i.test(name) || !Array.isArray(state.Retry)) continue;
      compensationRetrySeconds = Math.max(compensationRetrySeconds, retryBudget(state.Retry));
    }
  }
  compensationRetrySeconds = numberFromEnv(env, 'CHAOS_COMPENSATION_RETRY_SECONDS') ?? (compensationRetrySeconds || 30);

  // A sweeper or repair is a scheduled rule whose target's logical id says so (the approval expiry is not one).
  const sweeperPeriods: Array<[string, number]> = [];
  for (const [id, r] of resources.filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties?.ScheduleExpression)) {
    const targets = JSON.stringify(r.Properties?.Targets ?? []);
    if (!/sweep|repair|stuck|stall/i.test(`${id} ${targets}`)) continue;
    const seconds = rateSeconds(String(r.Properties!.ScheduleExpression));
    if (seconds !== undefined) sweeperPeriods.push([id, seconds]);
  }
  const envSweeper = numberFromEnv(env, 'CHAOS_SWEEPER_PERIOD_SECONDS');
  const sweeperPeriodSeconds = envSweeper ?? (sweeperPeriods.length ? Math.max(...sweeperPeriods.map(([, s]) => s)) : 60);
  const sweeperSource = envSweeper !== undefined
    ? 'CHAOS_SWEEPER_PERIOD_SECONDS'
    : sweeperPeriods.length ? `template (${sweeperPeriods.map(([id]) => id).join(', ')})` : 'default: the stack has no sweeper schedule';

  const laneTimeouts = resources
    .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && /^(Query|Write)Worker/.test(id) && r.Properties?.RedrivePolicy)
    .map(([, r]) => Number(r.Properties?.VisibilityTimeout))
    .filter((s) => Number.isFinite(s));
  const visibilityTimeoutSeconds = numberFromEnv(env, 'CHAOS_VISIBILITY_TIMEOUT_SECONDS') ?? (laneTimeouts.length ? Math.max(...laneTimeouts) : 30);

  return {
    breakerOpenSeconds,
    compensationRetrySeconds,
    sweeperPeriodSeconds,
    sweeperSource,
    visibilityTimeoutSeconds,
    scenarioDeadlineSeconds: numberFromEnv(env, 'CHAOS_DEADLINE_SECONDS') ?? 150,
    crashDeadlineSeconds: numberFromEnv(env, 'CHAOS_CRASH_DEADLINE_SECONDS') ?? sweeperPeriodSeconds + visibilityTimeoutSeconds + slackSeconds,
    slackSeconds,
  };
}
