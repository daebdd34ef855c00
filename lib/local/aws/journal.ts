import {
  close as closeFd, closeSync, existsSync, fdatasync, fsyncSync, ftruncateSync, mkdirSync, open as openFd, openSync, readdirSync,
  readFileSync, renameSync, unlinkSync, write, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openAsync = promisify(openFd);
const writeAsync = promisify(write);
const datasyncAsync = promisify(fdatasync);
const closeAsync = promisify(closeFd);

/** Writes all of `buffer` (write(2) may write less than asked). */
async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await writeAsync(fd, buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/**
 * How the local endpoint makes a change durable before it answers:
 * - `fsync` (default, the product): the change is appended to the journal and fdatasync'ed before the answer;
 *   it survives a SIGKILL and a power cut.
 * - `write`: appended (write(2)) before the answer, not fsync'ed: survives a SIGKILL, not a power cut.
 * - `deferred`: the pre-journal behaviour, written every 200 ms after the answer; a SIGKILL loses up to 200 ms
 *   of acknowledged work. For benchmarks only (`LOCAL_AWS_DURABILITY=deferred`).
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
  /** The log is folded into a new snapshot once it grows past this many bytes. Default 8 MiB. */
  compactBytes?: number;
  /** `deferred` mode's write interval. Default 200 ms. */
  deferMs?: number;
}

export interface JournalStats {
  /** Batches written (one append, or one snapshot when the log was compacted). */
  writes: number;
  fsyncs: number;
  bytesWritten: number;
  snapshots: number;
}

/** One keyed set of records (queues, messages, executions, ...) kept in the journal, in insertion order. */
export interface Collection<T> {
  /** The records read from disk at open, in order (raw JSON, as `encode` wrote them). */
  readonly loaded: ReadonlyArray<readonly [string, unknown]>;
  /** Records (or re-records) `value` under `key`; it is serialized at the next commit, so later mutations count. */
  put(key: string, value: T): void;
  delete(key: string): void;
  /** Makes `value` the live object for a loaded key without writing anything (the service rebuilt it). */
  track(key: string, value: T): void;
}

type Op = 'put' | 'delete';
const DELETED = Symbol('deleted');
const SNAPSHOT = 'snapshot.json';
const logName = (generation: number): string => `journal-${generation}.log`;

interface SnapshotFile {
  version: 1;
  generation: number;
  collections: Record<string, [string, unknown][]>;
}

class KeyedCollection<T> implements Collection<T> {
  readonly live = new Map<string, unknown>();

  constructor(
    readonly name: string,
    readonly loaded: ReadonlyArray<readonly [string, unknown]>,
    readonly encode: (value: T) => unknown,
    private readonly journal: Journal,
  ) {
    for (const [key, value] of loaded) this.live.set(key, value);
  }

  put(key: string, value: T): void {
    this.journal.mark(this, key, value);
    this.live.set(key, value);
  }

  delete(key: string): void {
    if (!this.live.delete(key)) return;
    this.journal.mark(this, key, DELETED);
  }

  track(key: string, value: T): void {
    if (this.live.has(key)) this.live.set(key, value);
  }

  encoded(): [string, unknown][] {
    return [...this.live].map(([key, value]) => [key, this.encode(value as T)]);
  }
}

/**
 * The local endpoint's write-ahead journal, shared by SQS, EventBridge and Step Functions: a snapshot
 * (`snapshot.json`) plus an append-only log of keyed puts and deletes (`journal-<generation>.log`, one JSON
 * record a line). A service calls `put`/`delete` as it changes a record; `commit()` writes every change made
 * since the last commit in one append (+ fdatasync) and resolves once it is on disk, so the endpoint answers
 * only after the change is durable. Commits that arrive while a write is under way share the next write
 * (group commit). When the log passes `compactBytes` the whole state is written as a new snapshot instead.
 */
export class Journal {
  readonly stats: JournalStats = { writes: 0, fsyncs: 0, bytesWritten: 0, snapshots: 0 };
  private readonly collections = new Map<string, KeyedCollection<never>>();
  /** Records of collections no service opened this run: kept as they are, so a snapshot never drops them. */
  private readonly loadedRaw = new Map<string, [string, unknown][]>();
  private readonly dirty = new Map<KeyedCollection<never>, Map<string, { value: unknown; fresh: boolean }>>();
  private generation = 0;
  private logBytes = 0;
  private log: number | undefined;
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private scheduled = false;
  private deferTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: Error | undefined;
  readonly mode: DurabilityMode;
  private readonly compactBytes: number;
  private readonly deferMs: number;

  private constructor(private readonly dir: string, options: JournalOptions) {
    this.mode = options.mode ?? 'fsync';
    this.compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
    this.deferMs = options.deferMs ?? 200;
  }

  /** Reads the snapshot and replays the log; a torn last line (a write cut short by a kill) is dropped. */
  static open(dir: string, options: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true });
    const journal = new Journal(dir, options);
    journal.load();
    return journal;
  }

  collection<T>(name: string, encode: (value: T) => unknown = (value) => value): Collection<T> {
    if (this.collections.has(name)) throw new Error(`Journal collection ${name} is opened twice`);
    const collection = new KeyedCollection<T>(name, this.loadedRaw.get(name) ?? [], encode, this);
    this.loadedRaw.delete(name);
    this.collections.set(name, collection as unknown as KeyedCollection<never>);
    return collection;
  }

  /** @internal Called by collections: remembers the latest value of a changed key until the next commit. */
  mark(collection: KeyedCollection<never>, key: string, value: unknown): void {
    let changes = this.dirty.get(collection);
    if (!changes) this.dirty.set(collection, (changes = new Map()));
    const previous = changes.get(key);
    // A delete then a put of the same key within one batch is written as both, so on replay the key moves to
    // the end as it did in memory (services rely on insertion order, e.g. a queue's message order).
    // Otherwise a key keeps the place of its first change, so new keys replay in the order they were made.
    if (previous?.value === DELETED && value !== DELETED) {
      changes.delete(key);
      changes.set(key, { value, fresh: true });
    } else {
      changes.set(key, { value, fresh: value !== DELETED && (previous?.fresh ?? false) });
    }
    this.schedule();
  }

  /**
   * Resolves when every change made so far is on disk (per the mode). Changes nobody commits explicitly are
   * committed on the next turn of the event loop anyway.
   */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.mode === 'deferred' || this.closed) return Promise.resolve();
    if (this.dirty.size === 0) return this.writing ?? Promise.resolve();
    if (!this.queued) {
      const previous = this.writing ?? Promise.resolve();
      this.queued = previous.then(() => {
        this.queued = undefined;
        const write = this.writeBatch();
        this.writing = write;
        return write.finally(() => {
          if (this.writing === write) this.writing = undefined;
        });
      });
    }
    return this.queued;
  }

  /** Waits for the write under way, then writes the whole state as a fresh snapshot (shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // no write starts from now on; the one under way finishes first
    if (this.deferTimer) clearTimeout(this.deferTimer);
    await this.queued?.catch(() => undefined);
    await this.writing?.catch(() => undefined);
    this.dirty.clear(); // the snapshot holds every live value
    this.writeSnapshotSync();
    if (this.log !== undefined) closeSync(this.log);
    this.log = undefined;
  }

  // ---- internals ----

  private schedule(): void {
    if (this.closed) return;
    if (this.mode === 'deferred') {
      this.deferTimer ??= setTimeout(() => {
        this.deferTimer = undefined;
        void this.writeBatch().catch((error: unknown) => {
          this.failure = error as Error;
        });
      }, this.deferMs).unref();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.commit().catch((error: unknown) => {
        this.failure = error as Error;
      });
    });
  }

  private takeBatch(): string {
    let text = '';
    for (const [collection, changes] of this.dirty) {
      for (const [key, { value, fresh }] of changes) {
        if (value === DELETED || fresh) text += `${JSON.stringify(['delete' satisfies Op, collection.name, key])}\n`;
        if (value !== DELETED) text += `${JSON.stringify(['put' satisfies Op, collection.name, key, collection.encode(value as never)])}\n`;
      }
    }
    this.dirty.clear();
    return text;
  }

  private async writeBatch(): Promise<void> {
    if (this.dirty.size === 0 || this.closed) return;
    if (this.logBytes >= this.compactBytes) {
      this.dirty.clear(); // the snapshot holds every live value
      await this.writeSnapshot();
      return;
    }
    const text = this.takeBatch();
    const buffer = Buffer.from(text);
    this.log ??= await openAsync(join(this.dir, logName(this.generation)), 'a');
    await writeAll(this.log, buffer);
    this.stats.writes++;
    this.stats.bytesWritten += buffer.length;
    this.logBytes += buffer.length;
    if (this.mode === 'fsync') {
      await datasyncAsync(this.log);
      this.stats.fsyncs++;
    }
  }

  private snapshotText(generation: number): string {
    const collections: Record<string, [string, unknown][]> = Object.fromEntries(this.loadedRaw);
    for (const [name, collection] of this.collections) collections[name] = collection.encoded();
    return JSON.stringify({ version: 1, generation, collections } satisfies SnapshotFile);
  }

  /** Snapshot, then a new empty log of the next generation; the old log is removed last. */
  private async writeSnapshot(): Promise<void> {
    const generation = this.generation + 1;
    const buffer = Buffer.from(this.snapshotText(generation));
    const temp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = await openAsync(temp, 'w');
    try {
      await writeAll(fd, buffer);
      if (this.mode === 'fsync') await datasyncAsync(fd);
    } finally {
      await closeAsync(fd);
    }
    renameSync(temp, join(this.dir, SNAPSHOT));
    this.syncDir();
    await this.switchLog(generation);
    this.stats.writes++;
    this.stats.snapshots++;
    this.stats.bytesWritten += buffer.length;
    if (this.mode === 'fsync') this.stats.fsyncs += 2;
  }

  private writeSnapshotSync(): void {
    const generation = this.generation + 1;
    const temp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, this.snapshotText(generation));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(this.dir, SNAPSHOT));
    this.syncDir();
    this.removeLog(this.generation);
    this.generation = generation;
    this.logBytes = 0;
  }

  private async switchLog(generation: number): Promise<void> {
    const old = this.log;
    const oldGeneration = this.generation;
    this.log = await openAsync(join(this.dir, logName(generation)), 'w');
    this.generation = generation;
    this.logBytes = 0;
    if (old !== undefined) await closeAsync(old);
    this.removeLog(oldGeneration);
  }

  private removeLog(generation: number): void {
    try {
      unlinkSync(join(this.dir, logName(generation)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private syncDir(): void {
    if (this.mode !== 'fsync') return;
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private load(): void {
    const state = new Map<string, Map<string, unknown>>();
    const snapshotFile = join(this.dir, SNAPSHOT);
    if (existsSync(snapshotFile)) {
      let snapshot: SnapshotFile;
      try {
        snapshot = JSON.parse(readFileSync(snapshotFile, 'utf8')) as SnapshotFile;
      } catch (error) {
        throw new Error(`Local AWS state ${snapshotFile} is not valid JSON (${(error as Error).message}); delete ${this.dir} to start empty`);
      }
      if (snapshot.version !== 1 || typeof snapshot.generation !== 'number') throw new Error(`Local AWS state ${snapshotFile} has an unknown format`);
      this.generation = snapshot.generation;
      for (const [name, entries] of Object.entries(snapshot.collections ?? {})) state.set(name, new Map(entries));
    }
    const logFile = join(this.dir, logName(this.generation));
    if (existsSync(logFile)) {
      const text = readFileSync(logFile, 'utf8');
      let offset = 0;
      let lineNumber = 0;
      while (offset < text.length) {
        const end = text.indexOf('\n', offset);
        lineNumber++;
        if (end < 0) {
          // A record without its newline was cut short by a kill before it was acknowledged: drop it.
          const fd = openSync(logFile, 'r+');
          try {
            ftruncateSync(fd, Buffer.byteLength(text.slice(0, offset)));
          } finally {
            closeSync(fd);
          }
          break;
        }
        const line = text.slice(offset, end);
        offset = end + 1;
        let record: [Op, string, string, unknown?];
        try {
          record = JSON.parse(line) as [Op, string, string, unknown?];
        } catch (error) {
          throw new Error(`Local AWS journal ${logFile} line ${lineNumber} is not valid JSON (${(error as Error).message})`);
        }
        const [op, name, key, value] = record;
        let entries = state.get(name);
        if (!entries) state.set(name, (entries = new Map()));
        if (op === 'delete') entries.delete(key);
        else entries.set(key, value);
      }
      this.logBytes = Buffer.byteLength(text.slice(0, offset));
    }
    // Logs of other generations are leftovers of a compaction cut short.
    for (const file of readdirSync(this.dir)) {
      const match = /^journal-(\d+)\.log$/.exec(file);
      if (match && Number(match[1]) !== this.generation) unlinkSync(join(this.dir, file));
    }
    for (const [name, entries] of state) this.loadedRaw.set(name, [...entries]);
  }
}
