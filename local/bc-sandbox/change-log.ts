// BC's change log (table 405 "Change Log Entry"): who inserted, modified or deleted which record, when, and which
// fields changed. API v2.0 exposes no author on most entities (BC keeps SystemCreatedBy/SystemModifiedBy
// internally), so the sandbox keeps this log and serves it at GET /_admin/changes. Entries are per record, with the
// changed fields' old and new values on a modification.
import { tableOf } from './permissions.js';
import type { BcPrincipal } from './directory.js';

/** The log keeps the latest entries only, so the state file stays small (rollback snapshots never copy it). */
export const MAX_CHANGE_LOG_ENTRIES = 500;

export type TypeOfChange = 'Insertion' | 'Modification' | 'Deletion';

export interface ChangedField {
  field: string;
  oldValue?: unknown;
  newValue?: unknown;
}

export interface ChangeLogEntry {
  entryNumber: number;
  dateAndTime: string;
  /** BC's User ID: the user name (`CAROL`), or the app registration's client id for client-credentials calls. */
  userId: string;
  /** BC's User Security ID, what SystemCreatedBy/SystemModifiedBy hold. */
  userSecurityId: string;
  /** Whether a person (on-behalf-of token) or the app itself made the change. */
  principal: 'user' | 'app';
  companyId: string;
  tableNumber: number;
  tableCaption: string;
  entitySet: string;
  /** The record's SystemId (the API's `id`). */
  recordId: string;
  /** The record's key as BC prints it, e.g. `No.='C00010'`. */
  primaryKey: string;
  typeOfChange: TypeOfChange;
  /** Insertion: the fields given a value; Modification: the fields that changed, with old and new values. */
  fields: ChangedField[];
}

export interface ChangeActor {
  principal: BcPrincipal;
  /** ISO time of the request. */
  time: string;
}

export interface Change {
  companyId: string;
  entitySet: string;
  type: TypeOfChange;
  data: Record<string, unknown>;
  before?: Record<string, unknown>;
}

function primaryKey(data: Record<string, unknown>): string {
  if (typeof data.number === 'string' && data.number) return `No.='${data.number}'`;
  if (typeof data.code === 'string' && data.code) return `Code='${data.code}'`;
  return `Id='${String(data.id)}'`;
}

function fieldsOf(change: Change): ChangedField[] {
  if (change.type === 'Deletion') return [];
  if (change.type === 'Insertion') {
    return Object.entries(change.data)
      .filter(([field, value]) => field !== 'id' && value !== '' && value !== 0 && value !== false && value !== null && !/^0+(-0+)*$/.test(String(value)))
      .map(([field, value]) => ({ field, newValue: value }));
  }
  const before = change.before ?? {};
  return Object.keys(change.data)
    .filter((field) => JSON.stringify(before[field]) !== JSON.stringify(change.data[field]))
    .map((field) => ({ field, oldValue: before[field], newValue: change.data[field] }));
}

export const ChangeLog = {
  /** Appends an entry (numbered after the last one) and drops the oldest beyond the cap; returns the log. */
  append(log: ChangeLogEntry[], actor: ChangeActor, change: Change): ChangeLogEntry[] {
    const table = tableOf(change.entitySet);
    log.push({
      entryNumber: (log[log.length - 1]?.entryNumber ?? 0) + 1,
      dateAndTime: actor.time,
      userId: actor.principal.userName,
      userSecurityId: actor.principal.userSecurityId,
      principal: actor.principal.kind,
      companyId: change.companyId,
      tableNumber: table.id,
      tableCaption: table.name,
      entitySet: change.entitySet,
      recordId: String(change.data.id),
      primaryKey: primaryKey(change.data),
      typeOfChange: change.type,
      fields: fieldsOf(change),
    });
    if (log.length > MAX_CHANGE_LOG_ENTRIES) log.splice(0, log.length - MAX_CHANGE_LOG_ENTRIES);
    return log;
  },

  /** Filters for GET /_admin/changes: `entitySet`, `recordId`, `userId`, `typeOfChange`, `companyId`, `since` (entry number). */
  query(log: ChangeLogEntry[], params: URLSearchParams): ChangeLogEntry[] {
    const equals = (name: string, value: (e: ChangeLogEntry) => string) => {
      const wanted = params.get(name);
      return (e: ChangeLogEntry) => wanted === null || value(e).toLowerCase() === wanted.toLowerCase();
    };
    const since = Number(params.get('since') ?? 0);
    if (!Number.isInteger(since) || since < 0) throw new Error(`since must be an entry number, got '${params.get('since')}'`);
    const checks = [
      equals('entitySet', (e) => e.entitySet),
      equals('recordId', (e) => e.recordId),
      equals('userId', (e) => e.userId),
      equals('typeOfChange', (e) => e.typeOfChange),
      equals('companyId', (e) => e.companyId),
    ];
    return log.filter((e) => e.entryNumber > since && checks.every((check) => check(e)));
  },
};
