// A clock the governor tests move by hand: `sleep` resolves only when `advance` passes its time, so waiting is
// observed, never slept through.
import { CapacityGovernor, CapacityStore, DEFAULT_CAPACITY_LIMITS, type CapacityLimits } from '../../functions/core/capacity/index.js';
import type { TestDynamo } from './dynamo.js';

export class ManualClock {
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  constructor(public time = Date.parse('2026-12-01T10:00:00Z')) {}
  now = (): number => this.time;
  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.sleepers.push({ at: this.time + ms, resolve });
    });
  /** Moves the clock and wakes the sleepers that are due. */
  advance(ms: number): void {
    this.time += ms;
    const due = this.sleepers.filter((s) => s.at <= this.time);
    this.sleepers = this.sleepers.filter((s) => s.at > this.time);
    for (const sleeper of due) sleeper.resolve();
  }
  get pending(): number {
    return this.sleepers.length;
  }
}

/** Limits with round numbers: 10 tokens/s, burst 10, 4 slots, no reserve unless asked. */
export const TEST_LIMITS: CapacityLimits = {
  ...DEFAULT_CAPACITY_LIMITS,
  ratePerMinute: 600,
  concurrency: 4,
  safetyMargin: 1,
  highReserve: 0,
  burstSeconds: 1,
  tokenBatch: 5,
  slotBatch: 2,
};

let scopes = 0;
/** A fresh scope per test, so tests never share the item. */
export function freshScope(): string {
  return `test#scope-${++scopes}-${Date.now()}`;
}

/** A governor on the hand clock; `jitter` in [0, 1) is its random draw (how late in its spread it looks again). */
export function governorFor(dynamo: TestDynamo, scope: string, clock: ManualClock, limits: Partial<CapacityLimits> = {}, holder?: string, jitter = 0.5): CapacityGovernor {
  return new CapacityGovernor({
    store: new CapacityStore(dynamo.doc, dynamo.tables.STATE_TABLE, scope),
    limits: { ...TEST_LIMITS, ...limits },
    now: clock.now,
    sleep: clock.sleep,
    random: () => jitter,
    ...(holder ? { holder } : {}),
  });
}
