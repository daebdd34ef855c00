// EventBridge schedule expressions (`rate(…)` and `cron(…)`, times in UTC) and the next time each fires, so
// scheduled rules of the template (e.g. a sweep every minute) run locally as they would on AWS.
// Supported cron syntax: numbers, names (JAN–DEC, SUN–SAT), `*`, `?`, ranges, lists, steps, and `L` as the
// day of month. `W`, `#` and day-of-week `L` are refused with a clear error rather than misread.

export class InvalidScheduleError extends Error {
  override readonly name = 'InvalidScheduleError';
}

export type Schedule =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; minutes: Set<number>; hours: Set<number>; daysOfMonth: Set<number> | 'any'; lastDayOfMonth: boolean; months: Set<number>; daysOfWeek: Set<number> | 'any'; years: Set<number> | 'any' };

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** How far ahead a cron expression is searched for its next time (it may name only past years). */
const SEARCH_YEARS = 5;

export function parseSchedule(expression: string): Schedule {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) throw new InvalidScheduleError(`${expression}: the rate must be a positive whole number`);
    // AWS insists on the singular for 1 and the plural otherwise.
    if ((value === 1) !== !unit.endsWith('s')) throw new InvalidScheduleError(`${expression}: write "rate(1 ${unit.replace(/s$/, '')})" or "rate(${value} ${unit.replace(/s?$/, 's')})"`);
    return { kind: 'rate', periodMs: value * RATE_UNITS[unit.replace(/s$/, '')]! };
  }
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new InvalidScheduleError(`${expression}: expected rate(value unit) or cron(minutes hours day-of-month month day-of-week year)`);
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) throw new InvalidScheduleError(`${expression}: cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields as [string, string, string, string, string, string];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new InvalidScheduleError(`${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  }
  for (const [field, text] of [['day-of-month', dayOfMonth], ['day-of-week', dayOfWeek]] as const) {
    if (/[W#]/i.test(text) || (field === 'day-of-week' && /L/i.test(text))) {
      throw new InvalidScheduleError(`${expression}: "${text}" in ${field} (W, #, weekday L) is not run by the local cloud`);
    }
  }
  const lastDayOfMonth = dayOfMonth.toUpperCase() === 'L';
  return {
    kind: 'cron',
    minutes: parseField(expression, 'minutes', minute, 0, 59),
    hours: parseField(expression, 'hours', hour, 0, 23),
    daysOfMonth: dayOfMonth === '?' || lastDayOfMonth ? 'any' : parseField(expression, 'day-of-month', dayOfMonth, 1, 31),
    lastDayOfMonth,
    months: parseField(expression, 'month', month, 1, 12, MONTHS, 1),
    daysOfWeek: dayOfWeek === '?' ? 'any' : parseField(expression, 'day-of-week', dayOfWeek, 1, 7, WEEKDAYS, 1),
    years: year === '*' ? 'any' : parseField(expression, 'year', year, 1970, 2199),
  };
}

/**
 * The first time after `after` (ms since the epoch) the schedule fires; undefined when it never fires again.
 * A rate counts from `since` (when the rule was put), as AWS does.
 */
export function nextFireTime(schedule: Schedule, after: number, since = after): number | undefined {
  if (schedule.kind === 'rate') {
    const elapsed = Math.max(0, after - since);
    return since + (Math.floor(elapsed / schedule.periodMs) + 1) * schedule.periodMs;
  }
  const start = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = start.getUTCFullYear() + SEARCH_YEARS;
  // Walk days, then hours, then minutes, so a sparse schedule is found without visiting every minute.
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  for (; day.getUTCFullYear() <= limit; day.setUTCDate(day.getUTCDate() + 1)) {
    if (!dayMatches(schedule, day)) continue;
    for (const hour of sorted(schedule.hours)) {
      for (const minute of sorted(schedule.minutes)) {
        const at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, minute);
        if (at >= start.getTime()) return at;
      }
    }
  }
  return undefined;
}

function dayMatches(schedule: Extract<Schedule, { kind: 'cron' }>, day: Date): boolean {
  if (schedule.years !== 'any' && !schedule.years.has(day.getUTCFullYear())) return false;
  if (!schedule.months.has(day.getUTCMonth() + 1)) return false;
  if (schedule.lastDayOfMonth) {
    const next = new Date(day);
    next.setUTCDate(day.getUTCDate() + 1);
    if (next.getUTCMonth() === day.getUTCMonth()) return false;
  }
  if (schedule.daysOfMonth !== 'any' && !schedule.daysOfMonth.has(day.getUTCDate())) return false;
  if (schedule.daysOfWeek !== 'any' && !schedule.daysOfWeek.has(day.getUTCDay() + 1)) return false;
  return true;
}

const sortedCache = new WeakMap<Set<number>, number[]>();
function sorted(values: Set<number>): number[] {
  let list = sortedCache.get(values);
  if (!list) {
    list = [...values].sort((a, b) => a - b);
    sortedCache.set(values, list);
  }
  return list;
}

/** One cron field: `*`, `a`, `a-b`, `a,b`, `*\/n`, `a/n`, `a-b/n`, names where the field has them. */
function parseField(expression: string, field: string, text: string, min: number, max: number, names: string[] = [], firstNameValue = min): Set<number> {
  const bad = (why: string) => new InvalidScheduleError(`${expression}: ${field} "${text}" ${why}`);
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const number = named >= 0 ? named + firstNameValue : /^\d+$/.test(token) ? Number(token) : Number.NaN;
    if (!Number.isInteger(number) || number < min || number > max) throw bad(`must be within ${min}-${max}`);
    return number;
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw bad('has an invalid step');
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) throw bad('has a range that runs backwards');
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}
