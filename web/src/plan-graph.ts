// A plan's tasks arranged as the orchestrator runs them: level 0 has no dependencies, a task's level is one
// more than its deepest dependency (ARCHITECTURE §6), so a level lights up when the one before it is done.
import type { Task } from './api.js';

export function taskLevels(tasks: readonly Task[]): Task[][] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const level = new Map<string, number>();
  const levelOf = (task: Task, seen: Set<string>): number => {
    const known = level.get(task.id);
    if (known !== undefined) return known;
    if (seen.has(task.id)) return 0; // a cycle would be refused by the planner; do not loop on one
    seen.add(task.id);
    const deps = task.dependsOn.map((id) => byId.get(id)).filter((dep): dep is Task => dep !== undefined);
    const value = deps.length ? 1 + Math.max(...deps.map((dep) => levelOf(dep, seen))) : 0;
    level.set(task.id, value);
    return value;
  };
  const levels: Task[][] = [];
  for (const task of tasks) (levels[levelOf(task, new Set())] ??= []).push(task);
  return levels.filter(Boolean);
}

/** The rows a task's result holds (OData `value`), when they are records. */
export function resultRows(result: unknown): Array<Record<string, unknown>> | undefined {
  const value = (result as { value?: unknown } | null | undefined)?.value;
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) return undefined;
  return value as Array<Record<string, unknown>>;
}

/** Columns for rows: every key in first-seen order, OData annotations left out. */
export function columnsOf(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const columns = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (!key.includes('@odata.')) columns.add(key);
  return [...columns];
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** "in 14 min", "in 40 s", "expired". */
export function expiresIn(expiresAt: string, now: number): string {
  const ms = Date.parse(expiresAt) - now;
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'expired';
  const seconds = Math.round(ms / 1000);
  if (seconds < 90) return `expires in ${seconds} s`;
  return `expires in ${Math.round(seconds / 60)} min`;
}

export type AnswerBlock = { kind: 'text'; text: string } | { kind: 'table'; header: string[]; rows: string[][] };

/**
 * The answer's text split into paragraphs and the Markdown tables the summaries write (`| a | b |` lines
 * with a `| --- |` separator), so a table reads as one.
 */
export function answerBlocks(answer: string): AnswerBlock[] {
  const blocks: AnswerBlock[] = [];
  const lines = answer.split('\n');
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
  const isRow = (line: string | undefined) => line !== undefined && /^\s*\|.*\|\s*$/.test(line);
  const isSeparator = (line: string | undefined) => isRow(line) && cells(line!).every((cell) => /^:?-{3,}:?$/.test(cell));
  let text: string[] = [];
  const flush = () => {
    if (text.join('').trim()) blocks.push({ kind: 'text', text: text.join('\n').trim() });
    text = [];
  };
  for (let i = 0; i < lines.length; i++) {
    if (isRow(lines[i]) && isSeparator(lines[i + 1])) {
      flush();
      const header = cells(lines[i]!);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && isRow(lines[i]); i++) rows.push(cells(lines[i]!));
      i--;
      blocks.push({ kind: 'table', header, rows });
    } else text.push(lines[i]!);
  }
  flush();
  return blocks;
}

/** A count query's one placeholder record (`count: true` reads the least a query may) is not an answer. */
export function isCountOnly(result: unknown, rows: ReadonlyArray<Record<string, unknown>>): boolean {
  return typeof (result as { count?: unknown }).count === 'number' && rows.length === 1 && columnsOf(rows).every((column) => column === 'id');
}
