// The console's pure pieces: tasks arranged by level, rows read from a result, answers split into text and
// tables, countdowns.
import { describe, expect, it } from 'vitest';
import type { Task } from '../../../../web/src/api.js';
import { answerBlocks, columnsOf, expiresIn, isCountOnly, resultRows, taskLevels } from '../../../../web/src/plan-graph.js';

const task = (id: string, dependsOn: string[] = []): Task => ({ id, type: 'query', tool: 'bc_query_entity', dependsOn, status: 'pending' });

describe('taskLevels', () => {
  it('puts a task one level after its deepest dependency', () => {
    const levels = taskLevels([task('t1'), task('t2'), task('t3', ['t1']), task('t4', ['t3', 't2']), task('t5', ['t1'])]);
    expect(levels.map((level) => level.map((t) => t.id))).toEqual([['t1', 't2'], ['t3', 't5'], ['t4']]);
  });

  it('does not loop on a cycle or fail on an unknown dependency', () => {
    const levels = taskLevels([task('a', ['b']), task('b', ['a']), task('c', ['missing'])]);
    expect(levels.flat().map((t) => t.id).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('result rows', () => {
  it('reads OData rows and their columns without annotations', () => {
    const rows = resultRows({ value: [{ '@odata.etag': 'W/1', id: '1', name: 'A' }, { id: '2', city: 'Oslo' }] })!;
    expect(columnsOf(rows)).toEqual(['id', 'name', 'city']);
    expect(resultRows({ value: [] })).toBeUndefined();
    expect(resultRows({ value: [1, 2] })).toBeUndefined();
    expect(resultRows('text')).toBeUndefined();
  });

  it("recognises a count's placeholder record", () => {
    expect(isCountOnly({ count: 32, value: [{ id: 'x' }] }, [{ id: 'x' }])).toBe(true);
    expect(isCountOnly({ value: [{ id: 'x' }] }, [{ id: 'x' }])).toBe(false);
    expect(isCountOnly({ count: 1, value: [{ id: 'x', name: 'A' }] }, [{ id: 'x', name: 'A' }])).toBe(false);
  });
});

describe('answerBlocks', () => {
  it('splits text and Markdown tables', () => {
    expect(answerBlocks('Found 2:\n\n| a | b |\n| --- | :---: |\n| 1 | x |\n| 2 | y |\nDone.')).toEqual([
      { kind: 'text', text: 'Found 2:' },
      { kind: 'table', header: ['a', 'b'], rows: [['1', 'x'], ['2', 'y']] },
      { kind: 'text', text: 'Done.' },
    ]);
  });

  it('keeps pipes that are not a table as text', () => {
    expect(answerBlocks('| just | a line |\nno separator')).toEqual([{ kind: 'text', text: '| just | a line |\nno separator' }]);
  });
});

describe('expiresIn', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('counts down in seconds, then minutes, then says expired', () => {
    expect(expiresIn('2026-01-01T00:00:40Z', now)).toBe('expires in 40 s');
    expect(expiresIn('2026-01-01T00:15:00Z', now)).toBe('expires in 15 min');
    expect(expiresIn('2025-12-31T23:59:00Z', now)).toBe('expired');
    expect(expiresIn('not a date', now)).toBe('');
  });
});
