// EventBridge schedule expressions (`rate(…)` and `cron(…)`, times in UTC) and the next time each fires, so
// scheduled rules of the template (e.g. a sweep every minute) run locally as they would on AWS.
// Cron syntax as EventBridge's "Cron expressions reference" defines it: numbers, names (JAN–DEC, SUN–SAT, with
// 1 = SUN), `*`, `?`, ranges, lists, steps; in day-of-month `L` (last day), `nW` (the weekday nearest day n, not
// leaving the month) and `LW` (last weekday); in day-of-week `L` (the last day of the week: every SAT), `dL` (the
// last weekday d of the month) and `d#n` (the n-th weekday d of the month). Each of these special forms must be
// the field's only expression (AWS: "3#1,6#3" is invalid).

export class InvalidScheduleError extends Error {
  override readonly name = 'InvalidScheduleError';
}

/** A day-of-month or day-of-week that depends on the month it falls in. */
export type MonthDay =
  | { kind: 'last-day' } // day-of-month L
  | { kind: 'last-weekday' } // day-of-month LW
  | { kind: 'nearest-weekday'; day: number } // day-of-month nW
  | { kind: 'last-of-weekday'; weekday: number } // day-of-week dL
  | { kind: 'nth-weekday'; weekday: number; nth: number }; // day-of-week d#n

export type Schedule =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; minutes: Set<number>; hours: Set<number>; daysOfMonth: Set<number> | 'any'; monthDay?: MonthDay; months: Set<number>; daysOfWeek: Set<number> | 'any'; years: Set<number> | 'any' };

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
  // `L` alone in day-of-week is the last day of the week: every Saturday (as in Quartz, whose syntax AWS follows).
  const weekdays = dayOfWeek.toUpperCase() === 'L' ? '7' : dayOfWeek;
  const monthDay = parseMonthDay(expression, dayOfMonth, weekdays);
  return {
    kind: 'cron',
    minutes: parseField(expression, 'minutes', minute, 0, 59),
    hours: parseField(expression, 'hours', hour, 0, 23),
    daysOfMonth: dayOfMonth === '?' || monthDay ? 'any' : parseField(expression, 'day-of-month', dayOfMonth, 1, 31),
    ...(monthDay ? { monthDay } : {}),
    months: parseField(expression, 'month', month, 1, 12, MONTHS, 1),
    daysOfWeek: weekdays === '?' || monthDay ? 'any' : parseField(expression, 'day-of-week', weekdays, 1, 7, WEEKDAYS, 1),
    years: year === '*' ? 'any' : parseField(expression, 'year', year, 1970, 2199),
  };
}

/** The special day forms (L, LW, nW, dL, d#n); undefined when the day fields are plain values. */
function parseMonthDay(expression: string, dayOfMonth: string, dayOfWeek: string): MonthDay | undefined {
  const dom = dayOfMonth.toUpperCase();
  const dow = dayOfWeek.toUpperCase();
  const alone = (field: string, text: string) => {
    if (/[,/-]/.test(text)) throw new InvalidScheduleError(`${expression}: ${field} "${text}": L, W and # must be the field's only expression`);
  };
  if (/[LW]/.test(dom)) {
    alone('day-of-month', dom);
    if (dom === 'L') return { kind: 'last-day' };
    if (dom === 'LW') return { kind: 'last-weekday' };
    const nearest = /^(\d{1,2})W$/.exec(dom);
    const day = nearest ? Number(nearest[1]) : Number.NaN;
    if (!(day >= 1 && day <= 31)) throw new InvalidScheduleError(`${expression}: day-of-month "${dayOfMonth}" must be L, LW or nW with n within 1-31`);
    return { kind: 'nearest-weekday', day };
  }
  if (/[L#]/.test(dow)) {
    alone('day-of-week', dow);
    const weekday = (text: string): number => {
      const named = WEEKDAYS.indexOf(text);
      const value = named >= 0 ? named + 1 : /^\d$/.test(text) ? Number(text) : Number.NaN;
      if (!(value >= 1 && value <= 7)) throw new InvalidScheduleError(`${expression}: day-of-week "${dayOfWeek}": the weekday must be within 1-7 or SUN-SAT`);
      return value;
    };
    const last = /^(\w+)L$/.exec(dow);
    if (last) return { kind: 'last-of-weekday', weekday: weekday(last[1]!) };
    const nth = /^(\w+)#(\d+)$/.exec(dow);
    if (nth && Number(nth[2]) >= 1 && Number(nth[2]) <= 5) return { kind: 'nth-weekday', weekday: weekday(nth[1]!), nth: Number(nth[2]) };
    throw new InvalidScheduleError(`${expression}: day-of-week "${dayOfWeek}" must be L, dL or d#n with n within 1-5`);
  }
  return undefined;
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
  if (schedule.monthDay && !monthDayMatches(schedule.monthDay, day)) return false;
  if (schedule.daysOfMonth !== 'any' && !schedule.daysOfMonth.has(day.getUTCDate())) return false;
  if (schedule.daysOfWeek !== 'any' && !schedule.daysOfWeek.has(day.getUTCDay() + 1)) return false;
  return true;
}

const daysInMonth = (day: Date): number => new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();

/** The weekday (Mon–Fri) nearest `target` within the month: Saturday → Friday, Sunday → Monday, never leaving the month. */
function nearestWeekday(year: number, month: number, target: number, last: number): number {
  const weekday = new Date(Date.UTC(year, month, target)).getUTCDay();
  if (weekday === 6) return target > 1 ? target - 1 : target + 2; // Saturday the 1st → Monday the 3rd
  if (weekday === 0) return target < last ? target + 1 : target - 2; // Sunday the last day → Friday before
  return target;
}

function monthDayMatches(rule: MonthDay, day: Date): boolean {
  const date = day.getUTCDate();
  const last = daysInMonth(day);
  switch (rule.kind) {
    case 'last-day':
      return date === last;
    case 'last-weekday':
      return date === nearestWeekday(day.getUTCFullYear(), day.getUTCMonth(), last, last);
    case 'nearest-weekday':
      // A day the month does not have (31W in April) does not fire that month.
      return rule.day <= last && date === nearestWeekday(day.getUTCFullYear(), day.getUTCMonth(), rule.day, last);
    case 'last-of-weekday':
      return day.getUTCDay() + 1 === rule.weekday && date + 7 > last;
    case 'nth-weekday':
      return day.getUTCDay() + 1 === rule.weekday && Math.ceil(date / 7) === rule.nth;
  }
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
