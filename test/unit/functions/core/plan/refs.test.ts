import { describe, expect, it } from 'vitest';
import { resolveRefs, parseRefPath, RefResolutionError } from '../../../../../functions/core/plan/index.js';

const results = {
  t1: { value: [{ id: 'a1', number: '10000', '@odata.etag': 'W/"1"' }], count: 1 },
  t2: { value: [] },
};

describe('resolveRefs', () => {
  it('replaces references anywhere in the arguments, leaving the input untouched', () => {
    const args = {
      entity: 'customers',
      id: { $ref: 't1.result.value[0].id' },
      data: { note: { $ref: 't1.result.count' } },
      list: [{ $ref: "t1.result.value[0]['@odata.etag']" }],
      source: { $ref: 't1.result' },
    };
    expect(resolveRefs(args, results)).toEqual({
      entity: 'customers',
      id: 'a1',
      data: { note: 1 },
      list: ['W/"1"'],
      source: results.t1,
    });
    expect(args.id).toEqual({ $ref: 't1.result.value[0].id' });
  });

  it('says exactly which part of a path is missing', () => {
    const attempt = () => resolveRefs({ id: { $ref: 't2.result.value[0].id' } }, results);
    expect(attempt).toThrow(RefResolutionError);
    expect(attempt).toThrow("'t2.result.value[0]' does not exist: 't2.result.value' has 0 elements");
    expect(() => resolveRefs({ id: { $ref: 't1.result.value[0].name' } }, results)).toThrow("'t1.result.value[0].name' does not exist");
    expect(() => resolveRefs({ id: { $ref: 't1.result.count[0]' } }, results)).toThrow('is not a list');
    expect(() => resolveRefs({ id: { $ref: 't9.result' } }, results)).toThrow("no result is available for task 't9'");
    expect(() => resolveRefs({ id: { $ref: 't1.result.constructor' } }, results)).toThrow('does not exist');
    expect(() => resolveRefs({ id: { $ref: 't1.result.value[0].id', extra: 1 } }, results)).toThrow('malformed $ref');
  });

  it('parses only the tiny grammar', () => {
    expect(parseRefPath('t1.result.value[10]["a.b"]')).toEqual({
      taskId: 't1',
      steps: [
        { kind: 'key', key: 'value' },
        { kind: 'index', index: 10 },
        { kind: 'key', key: 'a.b' },
      ],
    });
    for (const bad of ['', 't1', 't1.results', 't1.result.', 't1.result[', 't1.result[-1]', 't1.result.a()', 't1.result..a', 't1.result.a[0]x']) {
      expect(() => parseRefPath(bad), bad).toThrow();
    }
  });
});
