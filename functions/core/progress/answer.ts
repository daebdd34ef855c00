// The answer to the person when a plan ends: what its leaf tasks (those no other task consumes) found, in
// plain words — "There are 32 customers.", a table of rows, the statistics, the validation problems. Claude
// writes it when configured (from the same data), the deterministic text is the fallback.
import type { StoredPlan, StoredTask } from '../store/index.js';
import type { ProseWriter } from '../claude/index.js';
import { SAGA_TOOL } from '../plan/index.js';

export interface TaskOutcome {
  task: StoredTask;
  /** The stored result, when the task succeeded and it could be read. */
  result?: unknown;
}

/**
 * The most an answer may be: it travels in agent:completed (EventBridge caps an event at 256 KB) and is kept
 * in the plan item and a session message (DynamoDB caps an item at 400 KB, shared with the plan's tasks).
 */
export const MAX_ANSWER_BYTES = 64 * 1024;
const SHORTENED = '\n\n…(the answer was shortened; every task\'s full result is in the plan)';

/** `text` cut at a character boundary so that it fits MAX_ANSWER_BYTES, saying so when it was cut. */
export function boundedAnswer(text: string, maxBytes = MAX_ANSWER_BYTES): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - Buffer.byteLength(SHORTENED, 'utf8');
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > budget) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end) + SHORTENED;
}

/** Rows shown in a table before "and N more". */
const MAX_ROWS = 20;
const MAX_COLUMNS = 6;
const MAX_CELL_CHARS = 60;
/** Columns worth showing, in this order, when the query selected none. */
const PREFERRED_COLUMNS = [
  'number', 'code', 'displayName', 'name', 'city', 'email', 'phoneNumber', 'balance', 'balanceDue', 'unitPrice', 'inventory',
  'status', 'orderDate', 'totalAmountIncludingTax', 'quantity', 'description',
];

const singular = (entity: string) => entity.replace(/ies$/, 'y').replace(/(?<!s)s$/, '');
const plural = (entity: string, n: number) => (n === 1 ? singular(entity) : entity);

function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const flat = text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL_CHARS ? `${flat.slice(0, MAX_CELL_CHARS - 1)}…` : flat;
}

function columnsOf(rows: Record<string, unknown>[], select: unknown): string[] {
  const present = new Set(rows.flatMap((r) => Object.keys(r)).filter((k) => !k.startsWith('@odata')));
  if (Array.isArray(select) && select.length > 0) {
    const chosen = (select as string[]).filter((f) => present.has(f) && (f !== 'id' || select.length === 1));
    if (chosen.length > 0) return chosen.slice(0, MAX_COLUMNS);
  }
  const preferred = PREFERRED_COLUMNS.filter((c) => present.has(c));
  return (preferred.length > 0 ? preferred : [...present].filter((c) => c !== 'id')).slice(0, MAX_COLUMNS);
}

export function markdownTable(rows: Record<string, unknown>[], select?: unknown): string {
  const columns = columnsOf(rows, select);
  const shown = rows.slice(0, MAX_ROWS);
  const lines = [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...shown.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`)];
  if (rows.length > shown.length) lines.push(`…and ${rows.length - shown.length} more.`);
  return lines.join('\n');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describeQuery(task: StoredTask, result: unknown): string {
  const entity = String(task.arguments.entity ?? 'records');
  const r = isObject(result) ? result : {};
  const rows = Array.isArray(r.value) ? (r.value as unknown[]).filter(isObject) : [];
  if (task.arguments.count === true && typeof r.count === 'number') {
    return `There ${r.count === 1 ? 'is' : 'are'} ${r.count} ${plural(entity, r.count)}${task.arguments.filter ? ' matching the filter' : ''}.`;
  }
  if (rows.length === 0) return `No ${entity} matched.`;
  const more = r.truncated ? ' (more matched than were read)' : '';
  return `Found ${rows.length} ${plural(entity, rows.length)}${more}:\n\n${markdownTable(rows, task.arguments.select)}`;
}

function describeValidation(result: unknown): string {
  const r = isObject(result) ? result : {};
  const entity = String(r.entity ?? 'record');
  if (r.valid === true) return `The ${singular(entity)} data is valid.`;
  const problems = Array.isArray(r.problems) ? (r.problems as { message?: unknown }[]).map((p) => `- ${String(p.message)}`) : [];
  return `The ${singular(entity)} data is not valid:\n${problems.join('\n')}`;
}

/** The saga's result (functions/core/saga: orderNumber, lines and reservations made) in words. */
function describePurchaseOrder(task: StoredTask, r: Record<string, unknown>): string {
  const count = (n: unknown, what: string) => (typeof n === 'number' ? `${n} ${what}${n === 1 ? '' : 's'}` : undefined);
  const vendor = typeof task.arguments.vendorNumber === 'string' ? ` for vendor ${task.arguments.vendorNumber}` : '';
  const lines = count(r.lines, 'line');
  const reservations = count(r.reservations, 'reservation');
  const order = typeof r.orderNumber === 'string' ? `purchase order ${r.orderNumber}` : 'the purchase order';
  return `Created ${order}${vendor}${lines ? ` with ${lines}` : ''}${reservations ? `; inventory reserved (${reservations})` : ''}.`;
}

function describeWrite(task: StoredTask, result: unknown): string {
  const r = isObject(result) ? result : {};
  const entity = singular(String(task.arguments.entity ?? 'record'));
  const name = [r.number, r.displayName].filter((v) => typeof v === 'string' && v).join(' ');
  switch (task.tool) {
    case 'bc_create_entity':
      return `Created ${entity}${name ? ` ${name}` : ''}.`;
    case 'bc_update_entity':
      return `Updated ${entity}${name ? ` ${name}` : ''}.`;
    case 'bc_delete_entity':
      return `Deleted the ${entity}.`;
    case SAGA_TOOL:
      return describePurchaseOrder(task, r);
    default:
      return `${task.description ?? task.tool}: done.`;
  }
}

export function describeTaskOutcome({ task, result }: TaskOutcome): string {
  if (task.status === 'failed') return `${task.description ?? task.id} failed: ${task.error?.message ?? 'unknown error'}`;
  if (task.status === 'cancelled') return `${task.description ?? task.id} was not run.`;
  switch (task.type) {
    case 'query':
      return describeQuery(task, result);
    case 'analysis':
      return isObject(result) && typeof result.text === 'string' ? result.text : `${task.description ?? task.id}: done.`;
    case 'validation':
      return describeValidation(result);
    case 'write':
      return describeWrite(task, result);
  }
}

/** Tasks whose results the person asked for: those no other task depends on (plus any that failed). */
export function answerTasks(plan: StoredPlan): StoredTask[] {
  const consumed = new Set(plan.tasks.flatMap((t) => t.dependsOn));
  return plan.tasks.filter((t) => !consumed.has(t.id) || t.status === 'failed');
}

export function composeDeterministicAnswer(outcomes: TaskOutcome[]): string {
  return outcomes.map(describeTaskOutcome).join('\n\n');
}

/** Claude's answer when a writer is configured and answers; the deterministic text otherwise. */
export async function composeAnswer(plan: StoredPlan, outcomes: TaskOutcome[], writer?: ProseWriter): Promise<string> {
  return boundedAnswer(await composeUnbounded(plan, outcomes, writer));
}

async function composeUnbounded(plan: StoredPlan, outcomes: TaskOutcome[], writer?: ProseWriter): Promise<string> {
  const deterministic = composeDeterministicAnswer(outcomes);
  if (!writer) return deterministic;
  try {
    return await writer.write(
      `The user asked for: ${JSON.stringify(plan.summary ?? '')}. Answer them from the results of the tasks that ran. ` +
        'Give exact figures and, for lists, a markdown table.',
      {
        request: plan.summary,
        tasks: outcomes.map(({ task, result }) => ({
          id: task.id,
          description: task.description,
          status: task.status,
          ...(result !== undefined ? { result } : {}),
          ...(task.error ? { error: task.error } : {}),
        })),
        deterministicSummary: deterministic,
      },
    );
  } catch {
    return deterministic;
  }
}
