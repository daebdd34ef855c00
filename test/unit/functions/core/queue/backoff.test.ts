// Exponential backoff with full jitter (base 2 s, factor 2) from SQS's receive count.
import { describe, expect, it } from 'vitest';
import { backoffCeilingSeconds, backoffDelaySeconds, DEFAULT_BACKOFF } from '../../../../../functions/core/queue/index.js';

describe('backoff', () => {
  it('ceilings grow 2, 4, 8, 16 s with the receive count and stop at the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffCeilingSeconds(n))).toEqual([2, 4, 8, 16]);
    expect(backoffCeilingSeconds(20)).toBe(DEFAULT_BACKOFF.maxSeconds);
    expect(backoffCeilingSeconds(3, { baseSeconds: 5, factor: 3, maxSeconds: 30 })).toBe(30);
  });

  it('full jitter spreads delays over (0, ceiling], in whole seconds, never 0', () => {
    expect(backoffDelaySeconds(3, DEFAULT_BACKOFF, () => 1)).toBe(8);
    expect(backoffDelaySeconds(3, DEFAULT_BACKOFF, () => 0.5)).toBe(4);
    expect(backoffDelaySeconds(3, DEFAULT_BACKOFF, () => 0)).toBe(1);
    const seen = new Set<number>();
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 500; i++) {
      const delay = backoffDelaySeconds(4, DEFAULT_BACKOFF, random);
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(delay).toBeLessThanOrEqual(16);
      seen.add(delay);
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it('refuses a receive count that SQS never sends', () => {
    expect(() => backoffCeilingSeconds(0)).toThrow(/receiveCount/);
    expect(() => backoffCeilingSeconds(1.5)).toThrow(/receiveCount/);
  });
});
