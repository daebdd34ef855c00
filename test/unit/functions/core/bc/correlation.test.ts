// The one per-request correlation mechanism of the BC client (functions/core/bc/correlation.ts), shared by the
// saga steps and the MCP server: the id of the work in progress becomes x-correlation-id on each request.
import { describe, expect, it } from 'vitest';
import { correlatingFetch, currentBcCorrelationId, withBcCorrelation } from '../../../../../functions/core/bc/index.js';
import { deferred } from '../../../../support/deferred.js';

/** A fetch that records the headers of each request and answers 204. */
function recordingFetch() {
  const seen: Headers[] = [];
  const base: typeof fetch = async (_input, init) => {
    seen.push(new Headers(init?.headers));
    return new Response(null, { status: 204 });
  };
  return { seen, fetch: correlatingFetch(base) };
}

describe('correlatingFetch', () => {
  it('sends no correlation header outside a correlation context', async () => {
    const { seen, fetch } = recordingFetch();
    await fetch('http://bc.test/x', { headers: { accept: 'application/json' } });
    expect(seen[0]!.has('x-correlation-id')).toBe(false);
    expect(seen[0]!.get('accept')).toBe('application/json');
    expect(currentBcCorrelationId()).toBeUndefined();
  });

  it('sends the id of the work in progress and keeps the other headers', async () => {
    const { seen, fetch } = recordingFetch();
    await withBcCorrelation('corr-abc-123', () => fetch('http://bc.test/x', { headers: { authorization: 'Bearer t', 'x-correlation-id': 'stale' } }));
    expect(seen[0]!.get('x-correlation-id')).toBe('corr-abc-123');
    expect(seen[0]!.get('authorization')).toBe('Bearer t');
  });

  it('lets an inner id replace the outer one, and an absent inner id keep it', async () => {
    const { seen, fetch } = recordingFetch();
    await withBcCorrelation('corr-outer-1', async () => {
      await withBcCorrelation('corr-inner-1', () => fetch('http://bc.test/a'));
      await withBcCorrelation(undefined, () => fetch('http://bc.test/b'));
      await fetch('http://bc.test/c');
    });
    expect(seen.map((h) => h.get('x-correlation-id'))).toEqual(['corr-inner-1', 'corr-outer-1', 'corr-outer-1']);
  });

  it('keeps concurrent contexts apart', async () => {
    const { seen, fetch } = recordingFetch();
    const gates = [deferred(), deferred()];
    // Each call waits until the other has started, so both are in flight together.
    const first = withBcCorrelation('corr-first-1', async () => {
      gates[0]!.resolve();
      await gates[1]!.promise;
      await fetch('http://bc.test/1');
    });
    const second = withBcCorrelation('corr-second-2', async () => {
      gates[1]!.resolve();
      await gates[0]!.promise;
      await fetch('http://bc.test/2');
    });
    await Promise.all([first, second]);
    expect(seen.map((h) => h.get('x-correlation-id')).sort()).toEqual(['corr-first-1', 'corr-second-2']);
  });

  it('refuses an id that cannot be a header value', () => {
    expect(() => withBcCorrelation('has space', async () => undefined)).toThrow(/printable ASCII/);
    expect(() => withBcCorrelation('x'.repeat(129), async () => undefined)).toThrow(/1-128/);
  });
});
