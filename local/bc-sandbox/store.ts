// In-memory BC data, one table per entity set per company, optionally persisted to a JSON file. Every write bumps
// a global row version (like SQL's rowversion) from which the record's ETag is derived, so an ETag changes on
// every write and never repeats.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { EMPTY_GUID } from './schema.js';
import { ChangeLog, type ChangeActor, type ChangeLogEntry } from './change-log.js';

export interface StoredRow {
  data: Record<string, unknown>;
  version: number;
  /** Facts BC keeps on the row that API v2.0 does not expose (e.g. the location of an item ledger entry). */
  hidden?: Record<string, string>;
}

export interface CompanyData {
  record: StoredRow;
  tables: Record<string, Record<string, StoredRow>>;
  /** Last number issued per number series. */
  series: Record<string, number>;
}

export interface SandboxState {
  rowVersion: number;
  companies: Record<string, CompanyData>;
  /** BC's change log of API writes (absent in state files written before it existed). */
  changeLog?: ChangeLogEntry[];
}

export class Store {
  private state: SandboxState;
  /** Who the writes in progress are made for; undefined while seeding (seed data has no author). */
  private actor?: ChangeActor;

  constructor(
    private readonly seed: () => SandboxState,
    private readonly stateFile?: string,
  ) {
    this.state = this.load() ?? seed();
  }

  private load(): SandboxState | undefined {
    if (!this.stateFile || !existsSync(this.stateFile)) return undefined;
    let parsed: SandboxState;
    try {
      parsed = JSON.parse(readFileSync(this.stateFile, 'utf8')) as SandboxState;
    } catch (error) {
      throw new Error(`BC sandbox state file ${this.stateFile} is not valid JSON (${(error as Error).message}); delete it to start from the seed`);
    }
    if (typeof parsed?.rowVersion !== 'number' || typeof parsed.companies !== 'object') {
      throw new Error(`BC sandbox state file ${this.stateFile} is not a sandbox state`);
    }
    return parsed;
  }

  /** Writes the state atomically (temp file + rename) so a crash never leaves half a file. */
  persist(): void {
    if (!this.stateFile) return;
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const temp = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.state));
    renameSync(temp, this.stateFile);
  }

  /** Runs `work` with its writes recorded in the change log as made by `actor` (handlers are synchronous). */
  actAs<T>(actor: ChangeActor, work: () => T): T {
    const previous = this.actor;
    this.actor = actor;
    try {
      return work();
    } finally {
      this.actor = previous;
    }
  }

  /** The change log, oldest first; it lives in the state, so a rolled-back batch leaves no entries behind. */
  changes(): ChangeLogEntry[] {
    return this.state.changeLog ?? [];
  }

  private log(companyId: string, entitySet: string, type: 'Insertion' | 'Modification' | 'Deletion', row: StoredRow, before?: Record<string, unknown>): void {
    if (!this.actor) return;
    this.state.changeLog = ChangeLog.append(this.state.changeLog ?? [], this.actor, { companyId, entitySet, type, data: row.data, before });
  }

  reset(): void {
    this.state = this.seed();
    this.persist();
  }

  /** The data as of now, for a rollback; the change log is marked by its last entry number rather than copied. */
  snapshot(): string {
    const { changeLog, ...data } = this.state;
    return JSON.stringify({ ...data, changeLogMark: changeLog?.[changeLog.length - 1]?.entryNumber ?? 0 });
  }

  restore(snapshot: string): void {
    const { changeLogMark, ...data } = JSON.parse(snapshot) as SandboxState & { changeLogMark?: number };
    const mark = changeLogMark ?? 0;
    // Entries written after the snapshot are undone with the data they describe.
    this.state = { ...data, changeLog: (this.state.changeLog ?? []).filter((entry) => entry.entryNumber <= mark) };
  }

  addCompany(data: Record<string, unknown>): StoredRow {
    const id = String(data.id).toLowerCase();
    const record: StoredRow = { data: { ...data, id }, version: ++this.state.rowVersion };
    this.state.companies[id] = { record, tables: {}, series: {} };
    return record;
  }

  /** The whole state as plain data (for seeding and persistence). */
  exportState(): SandboxState {
    return JSON.parse(JSON.stringify(this.state)) as SandboxState;
  }

  companies(): StoredRow[] {
    return Object.values(this.state.companies).map((c) => c.record);
  }

  company(id: string): CompanyData | undefined {
    return this.state.companies[id.toLowerCase()];
  }

  private table(companyId: string, entitySet: string): Record<string, StoredRow> {
    const company = this.company(companyId);
    if (!company) throw new Error(`Unknown company ${companyId}`);
    return (company.tables[entitySet] ??= {});
  }

  list(companyId: string, entitySet: string): StoredRow[] {
    return Object.values(this.table(companyId, entitySet));
  }

  get(companyId: string, entitySet: string, id: string): StoredRow | undefined {
    return this.table(companyId, entitySet)[id.toLowerCase()];
  }

  find(companyId: string, entitySet: string, predicate: (data: Record<string, unknown>) => boolean): StoredRow | undefined {
    return this.list(companyId, entitySet).find((row) => predicate(row.data));
  }

  insert(companyId: string, entitySet: string, data: Record<string, unknown>, hidden?: Record<string, string>): StoredRow {
    // A blank (all-zero) id is how a completed record without an id looks: the row gets a new one.
    const id = typeof data.id === 'string' && data.id && data.id !== EMPTY_GUID ? data.id.toLowerCase() : randomUUID();
    const row: StoredRow = { data: { ...data, id }, version: ++this.state.rowVersion, ...(hidden ? { hidden } : {}) };
    this.table(companyId, entitySet)[id] = row;
    this.log(companyId, entitySet, 'Insertion', row);
    return row;
  }

  update(companyId: string, entitySet: string, id: string, changes: Record<string, unknown>): StoredRow {
    const row = this.get(companyId, entitySet, id);
    if (!row) throw new Error(`No ${entitySet} row ${id}`);
    const before = this.actor ? { ...row.data } : undefined;
    Object.assign(row.data, changes);
    row.version = ++this.state.rowVersion;
    this.log(companyId, entitySet, 'Modification', row, before);
    return row;
  }

  remove(companyId: string, entitySet: string, id: string): void {
    const table = this.table(companyId, entitySet);
    const row = table[id.toLowerCase()];
    delete table[id.toLowerCase()];
    if (row) this.log(companyId, entitySet, 'Deletion', row);
  }

  /** The next number of a series, e.g. `nextNumber(c, 'salesOrders')` → 101005. */
  nextNumber(companyId: string, series: string, start: number, step = 1): number {
    const company = this.company(companyId);
    if (!company) throw new Error(`Unknown company ${companyId}`);
    const next = (company.series[series] ?? start - step) + step;
    company.series[series] = next;
    return next;
  }
}

/** A weak ETag in BC's shape (`W/"JzE5OzE7Jw=="`): an opaque token over the row's id and version. */
export function etagOf(row: StoredRow): string {
  const token = Buffer.from(`'${String(row.data.id)};${row.version};'`).toString('base64');
  return `W/"${token}"`;
}
