import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { durabilityFromEnv, Journal } from '../../lib/local/aws/journal.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  dirs.push(dir);
  return dir;
};

/** Opens the journal again, as a restart does, and reads one collection. */
function reopen(dir: string, name: string): [string, unknown][] {
  return [...Journal.open(dir).collection(name).loaded] as [string, unknown][];
}

describe('Journal (the local endpoint write-ahead log)', () => {
  it('replays puts and deletes in the order they were made, values as they were at the commit', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    const messages = journal.collection<{ body: string; receiveCount: number }>('messages');
    const a = { body: 'a', receiveCount: 0 };
    messages.put('q/a', a);
    messages.put('q/b', { body: 'b', receiveCount: 0 });
    a.receiveCount = 1;
    messages.put('q/a', a); // a change to a key keeps its place
    messages.put('q/c', { body: 'c', receiveCount: 0 });
    await journal.commit();
    // Deleted and put again in one batch: it moves to the end, as in memory.
    messages.delete('q/b');
    messages.put('q/b', { body: 'b again', receiveCount: 0 });
    messages.delete('q/c');
    await journal.commit();
    expect(journal.stats).toMatchObject({ writes: 2, fsyncs: 2 });
    expect(reopen(dir, 'messages')).toEqual([
      ['q/a', { body: 'a', receiveCount: 1 }],
      ['q/b', { body: 'b again', receiveCount: 0 }],
    ]);
  });

  it('commits on its own on the next turn of the event loop when nobody waits for it', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    journal.collection('things').put('k', { v: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    await journal.commit(); // resolves once the write the schedule started is on disk
    expect(reopen(dir, 'things')).toEqual([['k', { v: 1 }]]);
  });

  it('folds a long log into a snapshot, keeping collections nobody opened, and removes the old log', async () => {
    const dir = newDir();
    const first = Journal.open(dir);
    first.collection('other').put('kept', { untouched: true });
    await first.commit();
    const second = Journal.open(dir, { compactBytes: 200 });
    const items = second.collection<{ n: number }>('items');
    for (let n = 0; n < 20; n++) {
      items.put(`item-${n}`, { n });
      if (n % 3 === 0) items.delete(`item-${n - 1}`);
      await second.commit();
    }
    expect(second.stats.snapshots).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((file) => file.endsWith('.log'))).toHaveLength(1);
    const expected = Array.from({ length: 20 }, (_, n) => n).filter((n) => !(n % 3 === 2 && n < 19)).map((n) => [`item-${n}`, { n }]);
    expect(reopen(dir, 'items')).toEqual(expected);
    expect(reopen(dir, 'other')).toEqual([['kept', { untouched: true }]]);
  });

  it('drops a last record cut short by a kill (never acknowledged) and keeps appending after it', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    journal.collection('c').put('a', 1);
    await journal.commit();
    const log = join(dir, readdirSync(dir).find((file) => file.endsWith('.log'))!);
    appendFileSync(log, '["put","c","b",{"half');
    const again = Journal.open(dir);
    const c = again.collection<number>('c');
    expect(c.loaded).toEqual([['a', 1]]);
    c.put('b', 2);
    await again.commit();
    expect(reopen(dir, 'c')).toEqual([['a', 1], ['b', 2]]);
    expect(readFileSync(log, 'utf8').endsWith('\n')).toBe(true);
  });

  it('refuses a log damaged in the middle with a message naming the file and line', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    journal.collection('c').put('a', 1);
    await journal.commit();
    const log = join(dir, readdirSync(dir).find((file) => file.endsWith('.log'))!);
    writeFileSync(log, `garbage\n${readFileSync(log, 'utf8')}`);
    expect(() => Journal.open(dir)).toThrow(/journal-0\.log line 1 is not valid JSON/);
  });

  it('writes the whole state as a snapshot on close and starts the next run from it', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    journal.collection('c').put('a', { x: 1 });
    await journal.close();
    expect(readdirSync(dir).sort()).toEqual(['snapshot.json']);
    expect(reopen(dir, 'c')).toEqual([['a', { x: 1 }]]);
  });

  it('reads LOCAL_AWS_DURABILITY: fsync by default, and refuses an unknown mode', () => {
    expect(durabilityFromEnv({})).toBe('fsync');
    expect(durabilityFromEnv({ LOCAL_AWS_DURABILITY: 'deferred' })).toBe('deferred');
    expect(() => durabilityFromEnv({ LOCAL_AWS_DURABILITY: 'sometimes' })).toThrow(/LOCAL_AWS_DURABILITY must be one of fsync, write, deferred/);
  });
});
