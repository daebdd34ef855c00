import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A JSON snapshot file written on change (debounced) and flushed on stop, so a restart keeps state
 * without writing on every message. Writes go to a temp file first so a crash never leaves half a file.
 */
export class JsonSnapshot<T> {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => T,
    private readonly debounceMs = 200,
  ) {}

  load(): T | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`State file ${this.file} is not valid JSON: ${(error as Error).message}`);
    }
  }

  /** Schedules a write; many changes within the debounce window produce one write. */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.snapshot()));
    renameSync(temp, this.file);
  }
}

/**
 * Records by key that a restart finds again: with a state file, loaded from it at start and written (debounced)
 * after each change; without one, in memory only.
 */
export class PersistedRecords<T> {
  private readonly byKey = new Map<string, T>();
  private readonly snapshot?: JsonSnapshot<T[]>;

  constructor(
    stateFile: string | undefined,
    private readonly keyOf: (record: T) => string,
  ) {
    if (stateFile) {
      this.snapshot = new JsonSnapshot(stateFile, () => [...this.byKey.values()]);
      for (const record of this.snapshot.load() ?? []) this.byKey.set(keyOf(record), record);
    }
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  values(): T[] {
    return [...this.byKey.values()];
  }

  /** Adds or replaces a record, and schedules the write. */
  set(record: T): void {
    this.byKey.set(this.keyOf(record), record);
    this.snapshot?.changed();
  }

  /** Writes now what is waiting to be written. */
  flush(): void {
    this.snapshot?.flush();
  }
}
