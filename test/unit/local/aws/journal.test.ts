import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { durabilityFromEnv, Journal } from '../../../../local/aws/journal.js';

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

describe('Journal (the local endpoint state, SQLite)', () => {
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
    expect(journal.stats).toMatchObject({ commits: 2, fsyncs: 2, records: 5 });
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

  it('keeps the records of collections no service opened in this run', async () => {
    const dir = newDir();
    const first = Journal.open(dir);
    first.collection('other').put('kept', { untouched: true });
    await first.close();
    const second = Journal.open(dir);
    second.collection('items').put('a', 1);
    await second.close();
    expect(reopen(dir, 'other')).toEqual([['kept', { untouched: true }]]);
    expect(reopen(dir, 'items')).toEqual([['a', 1]]);
  });

  it('refuses a damaged state file with a message naming it', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'state.sqlite'), 'not a database at all, but long enough to be read as a header '.repeat(20));
    expect(() => Journal.open(dir)).toThrow(/Local AWS state .*state\.sqlite cannot be read .*delete it to start empty/);
  });

  it('commits what is left on close, leaving one database file', async () => {
    const dir = newDir();
    const journal = Journal.open(dir);
    journal.collection('c').put('a', { x: 1 });
    await journal.close();
    expect(readdirSync(dir).filter((file) => !file.endsWith('-shm') && !file.endsWith('-wal'))).toEqual(['state.sqlite']);
    expect(reopen(dir, 'c')).toEqual([['a', { x: 1 }]]);
  });

  it('reads LOCAL_AWS_DURABILITY: fsync by default, and refuses an unknown mode', () => {
    expect(durabilityFromEnv({})).toBe('fsync');
    expect(durabilityFromEnv({ LOCAL_AWS_DURABILITY: 'deferred' })).toBe('deferred');
    expect(() => durabilityFromEnv({ LOCAL_AWS_DURABILITY: 'sometimes' })).toThrow(/LOCAL_AWS_DURABILITY must be one of fsync, write, deferred/);
  });
});
