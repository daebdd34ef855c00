// Deterministic statistics of a result by one field: numbers are summarised (count, sum, min, max, mean,
// median, top and bottom records), anything else is grouped and counted. Records are untrusted data: they
// are read, never interpreted.

export interface RecordLabel {
  /** The record's number/code/id and display name when it has them, to say which record a figure is. */
  key?: string;
  name?: string;
  value: unknown;
}

export interface NumericSummary {
  kind: 'numeric';
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  median: number;
  top: RecordLabel[];
  bottom: RecordLabel[];
}

export interface GroupSummary {
  kind: 'groups';
  groups: { value: string; count: number }[];
  /** Distinct values beyond those listed. */
  otherGroups: number;
}

export interface FieldStatistics {
  by: string;
  records: number;
  /** Records without a value for the field. */
  missing: number;
  summary: NumericSummary | GroupSummary;
}

export interface StatisticsOptions {
  /** Records listed in top and bottom. */
  rank?: number;
  /** Groups listed. */
  maxGroups?: number;
}

const KEY_FIELDS = ['number', 'code', 'no', 'documentNumber', 'id'];
const NAME_FIELDS = ['displayName', 'name', 'description'];

/** The records of a referenced result: OData's `{ value: [...] }`, a list, or one record. */
export function recordsOf(source: unknown): Record<string, unknown>[] {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (Array.isArray(source)) return source.filter(isRecord);
  if (isRecord(source) && Array.isArray(source.value)) return source.value.filter(isRecord);
  if (isRecord(source)) return [source];
  return [];
}

function labelOf(record: Record<string, unknown>, by: string): RecordLabel {
  const text = (field: string | undefined) => (field !== undefined && record[field] !== undefined && record[field] !== null ? String(record[field]) : undefined);
  const key = text(KEY_FIELDS.find((f) => f !== by && text(f) !== undefined));
  const name = text(NAME_FIELDS.find((f) => f !== by && text(f) !== undefined));
  return { ...(key !== undefined ? { key } : {}), ...(name !== undefined ? { name } : {}), value: record[by] };
}

/** Sums without drifting on currency amounts (BC decimals have at most a few places). */
const round = (n: number) => Math.round(n * 1e6) / 1e6;

export function fieldStatistics(source: unknown, by: string, options: StatisticsOptions = {}): FieldStatistics {
  const rank = options.rank ?? 5;
  const maxGroups = options.maxGroups ?? 20;
  const records = recordsOf(source);
  const present = records.filter((r) => r[by] !== undefined && r[by] !== null && r[by] !== '');
  const missing = records.length - present.length;
  const numeric = present.length > 0 && present.every((r) => typeof r[by] === 'number' && Number.isFinite(r[by]));

  if (numeric) {
    const sorted = [...present].sort((a, b) => (a[by] as number) - (b[by] as number));
    const values = sorted.map((r) => r[by] as number);
    const sum = round(values.reduce((s, v) => s + v, 0));
    const middle = Math.floor(values.length / 2);
    const median = values.length % 2 === 1 ? values[middle]! : round((values[middle - 1]! + values[middle]!) / 2);
    return {
      by,
      records: records.length,
      missing,
      summary: {
        kind: 'numeric',
        count: values.length,
        sum,
        min: values[0]!,
        max: values[values.length - 1]!,
        mean: round(sum / values.length),
        median,
        top: sorted.slice(-rank).reverse().map((r) => labelOf(r, by)),
        bottom: sorted.slice(0, rank).map((r) => labelOf(r, by)),
      },
    };
  }

  const counts = new Map<string, number>();
  for (const record of present) {
    const value = typeof record[by] === 'object' ? JSON.stringify(record[by]) : String(record[by]);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const groups = [...counts.entries()]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return {
    by,
    records: records.length,
    missing,
    summary: { kind: 'groups', groups: groups.slice(0, maxGroups), otherGroups: Math.max(0, groups.length - maxGroups) },
  };
}

const number = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const label = (l: RecordLabel) => [l.key, l.name].filter(Boolean).join(' ') || '(unnamed)';

/** The statistics in a few plain sentences. */
export function describeStatistics(entity: string, stats: FieldStatistics): string {
  const lines: string[] = [];
  const s = stats.summary;
  if (stats.records === 0) return `There are no ${entity} to analyse.`;
  if (s.kind === 'numeric') {
    lines.push(
      `${entity} by ${stats.by}: ${s.count} values, total ${number(s.sum)}, mean ${number(s.mean)}, median ${number(s.median)}, ` +
        `min ${number(s.min)}, max ${number(s.max)}.`,
    );
    lines.push(`Highest: ${s.top.map((t) => `${label(t)} (${number(t.value as number)})`).join(', ')}.`);
    lines.push(`Lowest: ${s.bottom.map((t) => `${label(t)} (${number(t.value as number)})`).join(', ')}.`);
  } else {
    const more = s.otherGroups > 0 ? `, and ${s.otherGroups} other value${s.otherGroups === 1 ? '' : 's'}` : '';
    lines.push(`${entity} by ${stats.by}: ${s.groups.map((g) => `${g.value} (${g.count})`).join(', ')}${more}.`);
  }
  if (stats.missing > 0) lines.push(`${stats.missing} of ${stats.records} records have no ${stats.by}.`);
  return lines.join(' ');
}
