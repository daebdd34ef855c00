import { describe, expect, it } from 'vitest';
import { defineOnFirstRead } from '../../../../../functions/core/container/index.js';
import { EVENT_NAMES, eventCatalogue } from '../../../../../functions/core/events/index.js';

describe('defineOnFirstRead', () => {
  it('builds on the first read only, keeps the value, and tries again after a failed build', () => {
    const target = {} as { shape: { built: number } };
    let builds = 0;
    let fail = true;
    defineOnFirstRead(target, 'shape', () => {
      builds += 1;
      if (fail) throw new Error('not yet');
      return { built: builds };
    });
    expect(builds).toBe(0);
    expect(Object.keys(target)).toEqual(['shape']);
    expect(() => target.shape).toThrow('not yet');
    fail = false;
    const first = target.shape;
    expect(target.shape).toBe(first);
    expect(builds).toBe(2);
  });

  it('gives the event catalogue every event, each schema built once', () => {
    expect(EVENT_NAMES).toHaveLength(20);
    for (const name of EVENT_NAMES) expect(eventCatalogue[name]).toBe(eventCatalogue[name]);
    expect(Object.isFrozen(eventCatalogue)).toBe(true);
  });
});
