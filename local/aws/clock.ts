/** Time source and timers, injectable so tests can drive visibility timeouts and delays deterministically. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A manual clock for tests: time moves only when `advance` is called, firing due timers in order. */
export class ManualClock implements Clock {
  private current: number;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let dueId: number | undefined;
      let due: { at: number; callback: () => void } | undefined;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && (!due || timer.at < due.at)) {
          dueId = id;
          due = timer;
        }
      }
      if (!due || dueId === undefined) break;
      this.timers.delete(dueId);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
  }
}
