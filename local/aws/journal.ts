import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * How the local endpoint makes a change durable before it answers:
 * - `fsync` (default, the product): committed to SQLite's write-ahead log with `synchronous=FULL` (fsync'ed)
 *   before the answer; survives a SIGKILL and a power cut.
 * - `write`: committed (written to the OS) before the answer, not fsync'ed: survives a SIGKILL, not a power cut.
 * - `deferred`: the pre-journal behaviour, committed every 200 ms after the answer; a SIGKILL loses up to
 *   200 ms of acknowledged work. For benchmarks only (`LOCAL_AWS_DURABILITY=deferred`).
 */
export type DurabilityMode = 'fsync' | 'write' | 'deferred';

const MODES: readonly DurabilityMode[] = ['fsync', 'write', 'deferred'];

export function durabilityFromEnv(env: NodeJS.ProcessEnv = process.env): DurabilityMode {
  const value = env.LOCAL_AWS_DURABILITY?.trim();
  if (!value) return 'fsync';
  if (!(MODES as readonly string[]).includes(value)) {
    throw new Error(`LOCAL_AWS_DURABILITY must be one of ${MODES.join(', ')} (got "${value}")`);
  }
  return value as DurabilityMode;
}

export interface JournalOptions {
  mode?: DurabilityMode;
  /** `deferred` mode's commit interval. Default 200 ms. */
  deferMs?: number;
}

export interface JournalStats {
  /** Transactions committed (in `fsync` mode each is one fsync of SQLite's write-ahead log). */
  commits: number;
  fsyncs: number;
  /** Records put or deleted. */
  records: number;
  /** JSON bytes of the records put. */
  bytes: number;
}

/** One keyed set of records (queues, messages, executions, ...) kept in the journal, in insertion order. */
export interface Collection<T> {
  /** The records read at open, in the order they were first put (raw JSON, as `encode` wrote them). */
  readonly loaded: ReadonlyArray<readonly [string, unknown]>;
  /** Records (or re-records) `value` under `key`; it is serialized at the next commit, so later mutations count. */
  put(key: string, value: T): void;
  delete(key: string): void;
}

const DELETED = Symbol('deleted');
const FILE = 'state.sqlite';

class KeyedCollection<T> implements Collection<T> {
  private readonly known = new Set<string>();

  constructor(
    readonly name: string,
    readonly loaded: ReadonlyArray<readonly [string, unknown]>,
    readonly encode: (value: T) => unknown,
    private readonly journal: Journal,
  ) {
    for (const [key] of loaded) this.known.add(key);
  }

  put(key: string, value: T): void {
    this.known.add(key);
    this.journal.mark(this as unknown as KeyedCollection<never>, key, value);
  }

  delete(key: string): void {
    if (!this.known.delete(key)) return;
    this.journal.mark(this as unknown as KeyedCollection<never>, key, DELETED);
  }
}

/**
 * The local endpoint's journal, shared by SQS, EventBridge and Step Functions: keyed records in one SQLite
 * database (`node:sqlite`, write-ahead log) under `<stateDir>/journal/`. A service calls `put`/`delete` as it
 * changes a record; `commit()` writes every change made since the last commit in one transaction, so the
 * endpoint answers only once the change is durable. Requests handled in the same turn of the event loop share
 * that transaction. SQLite does the crash safety: a transaction cut short by a kill is rolled back at open.
 * Record order is insertion order (services rely on it, e.g. a queue's message order): a new key gets the next
 * sequence number, a changed key keeps its own, a key deleted and put again moves to the end.
 */
export class Journal {
  readonly stats: JournalStats = { commits: 0, fsyncs: 0, records: 0, bytes: 0 };
  readonly mode: DurabilityMode;
  private readonly db: DatabaseSync;
  private readonly loadedRaw = new Map<string, [string, unknown][]>();
  private readonly opened = new Set<string>();
  private readonly dirty = new Map<KeyedCollection<never>, Map<string, { value: unknown; fresh: boolean }>>();
  private readonly upsert: StatementSync;
  private readonly move: StatementSync;
  private readonly remove: StatementSync;
  private nextSeq: number;
  /** The commit planned for the end of this turn of the event loop, which every caller of `commit()` shares. */
  private planned: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;
  private deferTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly deferMs: number;

  private constructor(private readonly file: string, options: JournalOptions) {
    this.mode = options.mode ?? 'fsync';
    this.deferMs = options.deferMs ?? 200;
    try {
      this.db = new DatabaseSync(file);
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${this.mode === 'fsync' ? 'FULL' : 'OFF'}`);
      this.db.exec(`CREATE TABLE IF NOT EXISTS records (
        collection TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (collection, key)) WITHOUT ROWID`);
      this.db.exec('CREATE INDEX IF NOT EXISTS records_order ON records (collection, seq)');
      for (const row of this.db.prepare('SELECT collection, key, value FROM records ORDER BY collection, seq').iterate()) {
        const { collection, key, value } = row as { collection: string; key: string; value: string };
        let entries = this.loadedRaw.get(collection);
        if (!entries) this.loadedRaw.set(collection, (entries = []));
        entries.push([key, JSON.parse(value)]);
      }
      const { last } = this.db.prepare('SELECT max(seq) AS last FROM records').get() as { last: number | null };
      this.nextSeq = (last ?? 0) + 1;
    } catch (error) {
      throw new Error(`Local AWS state ${file} cannot be read (${(error as Error).message}); delete it to start empty`);
    }
    // A changed record keeps its place; `move` gives a record put again after its delete the next place.
    this.upsert = this.db.prepare(`INSERT INTO records (collection, key, seq, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value`);
    this.move = this.db.prepare(`INSERT INTO records (collection, key, seq, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, seq = excluded.seq`);
    this.remove = this.db.prepare('DELETE FROM records WHERE collection = ? AND key = ?');
  }

  static open(dir: string, options: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true });
    return new Journal(join(dir, FILE), options);
  }

  collection<T>(name: string, encode: (value: T) => unknown = (value) => value): Collection<T> {
    if (this.opened.has(name)) throw new Error(`Journal collection ${name} is opened twice`);
    this.opened.add(name);
    return new KeyedCollection<T>(name, this.loadedRaw.get(name) ?? [], encode, this);
  }

  /** @internal Called by collections: remembers the latest value of a changed key until the next commit. */
  mark(collection: KeyedCollection<never>, key: string, value: unknown): void {
    if (this.closed) return;
    let changes = this.dirty.get(collection);
    if (!changes) this.dirty.set(collection, (changes = new Map()));
    const previous = changes.get(key);
    const fresh = value !== DELETED && (previous?.value === DELETED || (previous?.fresh ?? false));
    changes.set(key, { value, fresh });
    this.schedule();
  }

  /**
   * Resolves when every change made so far is committed (per the mode). The commit runs once the current turn
   * of the event loop has handled what it received, so requests answered together share one transaction (and
   * one fsync): group commit. Changes nobody waits for are committed in the same way.
   */
  commit(): Promise<void> {
    if (this.mode === 'deferred' || this.closed || this.dirty.size === 0) return this.planned?.promise ?? Promise.resolve();
    return this.plan().promise;
  }

  /** Commits what is left and closes the database (shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.flush();
    this.closed = true;
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  // ---- internals ----

  private schedule(): void {
    if (this.mode === 'deferred') {
      this.deferTimer ??= setTimeout(() => {
        this.deferTimer = undefined;
        try {
          this.flush();
        } catch {
          // The changes stay pending (the transaction rolled back) and go with the next commit.
        }
      }, this.deferMs).unref();
      return;
    }
    const planned = this.plan();
    // Nobody may be waiting; after a failure the changes stay pending and go with the next commit.
    planned.promise.catch(() => undefined);
  }

  private plan(): NonNullable<Journal['planned']> {
    if (this.planned) return this.planned;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const planned = { promise, resolve, reject };
    this.planned = planned;
    setImmediate(() => {
      this.planned = undefined;
      try {
        this.flush();
        planned.resolve();
      } catch (error) {
        planned.reject(error as Error);
      }
    });
    return planned;
  }

  /** One transaction with every change since the last one. */
  private flush(): void {
    if (this.dirty.size === 0 || this.closed) return;
    let records = 0;
    let bytes = 0;
    this.db.exec('BEGIN');
    try {
      for (const [collection, changes] of this.dirty) {
        for (const [key, { value, fresh }] of changes) {
          records++;
          if (value === DELETED) {
            this.remove.run(collection.name, key);
            continue;
          }
          const json = JSON.stringify(collection.encode(value as never));
          bytes += Buffer.byteLength(json);
          (fresh ? this.move : this.upsert).run(collection.name, key, this.nextSeq++, json);
        }
      }
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
    this.dirty.clear();
    this.stats.commits++;
    this.stats.records += records;
    this.stats.bytes += bytes;
    if (this.mode === 'fsync') this.stats.fsyncs++;
  }
}
