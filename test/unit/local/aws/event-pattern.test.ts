import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern } from '../../../../local/aws/event-pattern.js';

// Examples from AWS's "Amazon EventBridge event patterns" and "Content filtering in Amazon EventBridge
// event patterns" pages, each checked for a matching and a non-matching event.

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const matches = (pattern: object, event: object): boolean => matchesEventPattern(parseEventPattern(JSON.stringify(pattern)), event);
const withDetail = (detail: object) => ({ ...ec2Event, detail });

describe('event patterns: exact values, arrays and nesting', () => {
  it('matches exact strings on top-level and nested fields, all fields required (AND)', () => {
    const pattern = { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } };
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, withDetail({ state: 'running' }))).toBe(false);
    expect(matches({ source: ['aws.s3'] }, ec2Event)).toBe(false);
  });

  it('is case-sensitive and type-sensitive for exact values', () => {
    expect(matches({ detail: { state: ['Terminated'] } }, ec2Event)).toBe(false);
    expect(matches({ detail: { count: [5] } }, withDetail({ count: 5 }))).toBe(true);
    expect(matches({ detail: { count: [5] } }, withDetail({ count: 5.0 }))).toBe(true);
    expect(matches({ detail: { count: [5] } }, withDetail({ count: '5' }))).toBe(false);
    expect(matches({ detail: { ok: [true] } }, withDetail({ ok: true }))).toBe(true);
    expect(matches({ detail: { ok: [true] } }, withDetail({ ok: 'true' }))).toBe(false);
  });

  it('matches any value in a pattern array (OR) and any element of an event array', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = { ...ec2Event, resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:999999999999:instance/i-1'] };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-1'] })).toBe(false);
    expect(matches({ detail: { state: ['pending', 'terminated'] } }, ec2Event)).toBe(true);
  });

  it('matches null and empty string values', () => {
    expect(matches({ detail: { responseElements: [null] } }, withDetail({ responseElements: null }))).toBe(true);
    expect(matches({ detail: { responseElements: [null] } }, withDetail({ responseElements: 'x' }))).toBe(false);
    expect(matches({ detail: { responseElements: [null] } }, withDetail({}))).toBe(false);
    expect(matches({ detail: { eventVersion: [''] } }, withDetail({ eventVersion: '' }))).toBe(true);
    expect(matches({ detail: { eventVersion: [''] } }, withDetail({ eventVersion: '1.0' }))).toBe(false);
  });

  it('matches nested fields inside arrays of objects, within one element', () => {
    const event = withDetail({ items: [{ type: 'a', size: 1 }, { type: 'b', size: 2 }] });
    expect(matches({ detail: { items: { type: ['b'] } } }, event)).toBe(true);
    expect(matches({ detail: { items: { type: ['c'] } } }, event)).toBe(false);
  });
});

describe('event patterns: prefix and suffix', () => {
  it('prefix', () => {
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, { ...ec2Event, time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matches({ time: [{ prefix: '2017-10-02' }] }, ec2Event)).toBe(false);
  });

  it('prefix with equals-ignore-case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge']) expect(matches(pattern, withDetail({ service }))).toBe(true);
    expect(matches(pattern, withDetail({ service: 'Lambda' }))).toBe(false);
  });

  it('suffix', () => {
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true);
    expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' })).toBe(false);
  });

  it('suffix with equals-ignore-case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matches(pattern, withDetail({ FileName: 'image.PNG' }))).toBe(true);
    expect(matches(pattern, withDetail({ FileName: 'image.jpg' }))).toBe(false);
  });

  it('does not apply string operators to numbers', () => {
    expect(matches({ detail: { code: [{ prefix: '4' }] } }, withDetail({ code: 404 }))).toBe(false);
  });
});

describe('event patterns: anything-but', () => {
  it('a string and a number', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({ state: 'running' }))).toBe(true);
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({ state: 'initializing' }))).toBe(false);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 456 }))).toBe(true);
    expect(matches({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, withDetail({ 'x-limit': 123 }))).toBe(false);
  });

  it('a list of strings or numbers', () => {
    const states = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matches(states, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(states, withDetail({ state: 'stopped' }))).toBe(false);
    const limits = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matches(limits, withDetail({ 'x-limit': 150 }))).toBe(true);
    expect(matches(limits, withDetail({ 'x-limit': 200 }))).toBe(false);
  });

  it('does not match a missing field', () => {
    expect(matches({ detail: { state: [{ 'anything-but': 'initializing' }] } }, withDetail({}))).toBe(false);
  });

  it('prefix and suffix', () => {
    const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matches(prefix, withDetail({ state: 'running' }))).toBe(true);
    expect(matches(prefix, withDetail({ state: 'initializing' }))).toBe(false);
    const suffix = { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } };
    expect(matches(suffix, withDetail({ FileName: 'notes.md' }))).toBe(true);
    expect(matches(suffix, withDetail({ FileName: 'notes.txt' }))).toBe(false);
  });

  it('equals-ignore-case (string and list)', () => {
    const single = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } };
    expect(matches(single, withDetail({ state: 'INITIALIZING' }))).toBe(false);
    expect(matches(single, withDetail({ state: 'running' }))).toBe(true);
    const list = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } };
    expect(matches(list, withDetail({ state: 'STOPPED' }))).toBe(false);
    expect(matches(list, withDetail({ state: 'overloaded' }))).toBe(false);
    expect(matches(list, withDetail({ state: 'running' }))).toBe(true);
  });

  it('wildcard (string and list)', () => {
    const single = { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } };
    expect(matches(single, withDetail({ FilePath: '/usr/lib/x.so' }))).toBe(false);
    expect(matches(single, withDetail({ FilePath: '/usr/bin/x' }))).toBe(true);
    const list = { detail: { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*/bin/*'] } }] } };
    expect(matches(list, withDetail({ FilePath: '/usr/bin/x' }))).toBe(false);
    expect(matches(list, withDetail({ FilePath: '/home/me/x' }))).toBe(true);
  });
});

describe('event patterns: numeric', () => {
  const pattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches ranges and equality as documented', () => {
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 }))).toBe(true);
    expect(matches(pattern, withDetail({ 'c-count': 0, 'd-count': 3, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 }))).toBe(false);
    expect(matches(pattern, withDetail({ 'c-count': 5, 'd-count': 3, 'x-limit': 301 }))).toBe(false);
  });

  it('only matches JSON numbers', () => {
    expect(matches({ detail: { n: [{ numeric: ['>=', 1] }] } }, withDetail({ n: '5' }))).toBe(false);
    expect(matches({ detail: { n: [{ numeric: ['>=', 1] }] } }, withDetail({ n: 1 }))).toBe(true);
  });
});

describe('event patterns: exists', () => {
  it('exists true and false', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, ec2Event)).toBe(true);
    expect(matches({ detail: { state: [{ exists: true }] } }, withDetail({}))).toBe(false);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, ec2Event)).toBe(true);
    expect(matches({ detail: { 'c-count': [{ exists: false }] } }, withDetail({ 'c-count': 1 }))).toBe(false);
  });

  it('only matches leaf nodes', () => {
    expect(matches({ detail: [{ exists: true }] }, ec2Event)).toBe(false);
  });

  // event-ruler's README: "Exists match only works on the leaf nodes": a field whose value is an object has no
  // leaf at that path, so `exists: false` matches it (the README's c-count example) and `exists: true` does not.
  it('exists false matches a field whose value is an object, an empty array or an array of objects', () => {
    const absent = { detail: { 'c-count': [{ exists: false }] } };
    const present = { detail: { 'c-count': [{ exists: true }] } };
    for (const value of [{ c1: 100 }, [], [{ c1: 100 }], [[{ c1: 100 }]], {}]) {
      expect(matches(absent, withDetail({ state: 'running', 'c-count': value }))).toBe(true);
      expect(matches(present, withDetail({ state: 'running', 'c-count': value }))).toBe(false);
    }
    for (const value of [0, null, 'x', [1], [[1]], [{ c1: 1 }, 2]]) {
      expect(matches(absent, withDetail({ 'c-count': value }))).toBe(false);
      expect(matches(present, withDetail({ 'c-count': value }))).toBe(true);
    }
    // Below an object, exists false on a deeper field still works as for an absent one.
    expect(matches({ detail: { 'c-count': { c2: [{ exists: false }] } } }, withDetail({ 'c-count': { c1: 100 } }))).toBe(true);
    expect(matches({ detail: { 'c-count': { c1: [{ exists: false }] } } }, withDetail({ 'c-count': { c1: 100 } }))).toBe(false);
    expect(matches({ detail: { 'c-count': { c1: [{ exists: false }] } } }, withDetail({ 'c-count': [] }))).toBe(true);
  });
});

describe('event patterns: arrays of arrays (crushed out of the event, as event-ruler does)', () => {
  it('matches values inside nested event arrays', () => {
    expect(matches({ detail: { tags: ['b'] } }, withDetail({ tags: [['a', 'b'], ['c']] }))).toBe(true);
    expect(matches({ detail: { tags: ['d'] } }, withDetail({ tags: [['a', 'b'], ['c']] }))).toBe(false);
    expect(matches({ detail: { n: [{ numeric: ['>', 10] }] } }, withDetail({ n: [[1, [2, 30]]] }))).toBe(true);
    expect(matches({ detail: { tags: [{ prefix: 'ca' }] } }, withDetail({ tags: [[['cat']]] }))).toBe(true);
  });

  it('matches objects inside nested event arrays, fields within one element (event-ruler\'s employees example)', () => {
    const employees = { employees: [[{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]] };
    expect(matches({ detail: { employees: { firstName: ['Anna'] } } }, withDetail(employees))).toBe(true);
    expect(matches({ detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } }, withDetail(employees))).toBe(true);
    expect(matches({ detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } }, withDetail(employees))).toBe(false);
    expect(matches({ detail: { employees: { firstName: ['Zoe'] } } }, withDetail(employees))).toBe(false);
  });
});

describe('event patterns: equals-ignore-case, wildcard, cidr', () => {
  it('equals-ignore-case', () => {
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
    expect(matches(pattern, ec2Event)).toBe(true);
    expect(matches(pattern, { ...ec2Event, 'detail-type': 'EC2 Instance Launch' })).toBe(false);
  });

  it('wildcard', () => {
    const arn = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(matches(arn, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/my-bus' })).toBe(true);
    expect(matches(arn, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/my-bus' })).toBe(false);
    const file = { detail: { FileName: [{ wildcard: 'dir/*.png' }] } };
    expect(matches(file, withDetail({ FileName: 'dir/abc.png' }))).toBe(true);
    expect(matches(file, withDetail({ FileName: 'dir/sub/abc.png' }))).toBe(true);
    expect(matches(file, withDetail({ FileName: 'dir/abc.jpg' }))).toBe(false);
  });

  it('wildcard escapes * and \\', () => {
    const star = { detail: { name: [{ wildcard: 'a\\*b*' }] } };
    expect(matches(star, withDetail({ name: 'a*bcd' }))).toBe(true);
    expect(matches(star, withDetail({ name: 'axbcd' }))).toBe(false);
    const backslash = { detail: { name: [{ wildcard: 'c:\\\\*' }] } };
    expect(matches(backslash, withDetail({ name: 'c:\\temp' }))).toBe(true);
  });

  it('cidr for IPv4 and IPv6', () => {
    const ipv4 = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matches(ipv4, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    expect(matches(ipv4, withDetail({ sourceIPAddress: '10.0.1.1' }))).toBe(false);
    expect(matches(ipv4, withDetail({ sourceIPAddress: 'not-an-ip' }))).toBe(false);
    const ipv6 = { detail: { sourceIPAddress: [{ cidr: '2001:db8::/64' }] } };
    expect(matches(ipv6, withDetail({ sourceIPAddress: '2001:db8::1' }))).toBe(true);
    expect(matches(ipv6, withDetail({ sourceIPAddress: '2001:0db8:0000:0000:ffff:ffff:ffff:ffff' }))).toBe(true);
    expect(matches(ipv6, withDetail({ sourceIPAddress: '2001:db8:0:1::1' }))).toBe(false);
    expect(matches(ipv6, withDetail({ sourceIPAddress: '10.0.0.1' }))).toBe(false);
  });
});

describe('event patterns: $or', () => {
  it('matches when any alternative matches, nested and at top level', () => {
    const nested = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };
    expect(matches(nested, withDetail({ 'd-count': 3 }))).toBe(true);
    expect(matches(nested, withDetail({ 'x-limit': 301.8 }))).toBe(true);
    expect(matches(nested, withDetail({ 'c-count': 9, 'd-count': 30 }))).toBe(false);
    const topLevel = {
      source: ['aws.ec2'],
      $or: [{ 'detail-type': ['EC2 Instance Launch'] }, { detail: { state: ['terminated'] } }],
    };
    expect(matches(topLevel, ec2Event)).toBe(true);
    expect(matches(topLevel, withDetail({ state: 'running' }))).toBe(false);
  });
});

describe('event pattern validation', () => {
  const invalid = [
    ['not JSON', '{"source": '],
    ['a leaf that is not an array', '{"source": "aws.ec2"}'],
    ['an empty array', '{"source": []}'],
    ['an unknown operator', '{"source": [{"contains": "ec2"}]}'],
    ['two operators in one matcher', '{"source": [{"prefix": "a", "suffix": "b"}]}'],
    ['a bad numeric operator', '{"n": [{"numeric": ["!=", 1]}]}'],
    ['a numeric range that starts with <', '{"n": [{"numeric": ["<", 1, ">", 0]}]}'],
    ['a numeric range with bottom above top', '{"n": [{"numeric": [">", 5, "<", 1]}]}'],
    ['a non-numeric numeric value', '{"n": [{"numeric": [">", "1"]}]}'],
    ['a mixed anything-but list', '{"s": [{"anything-but": ["a", 1]}]}'],
    ['anything-but with an unknown operator', '{"s": [{"anything-but": {"numeric": [">", 1]}}]}'],
    ['consecutive wildcards', '{"s": [{"wildcard": "a**b"}]}'],
    ['a bad wildcard escape', '{"s": [{"wildcard": "a\\\\qb"}]}'],
    ['a bad CIDR', '{"ip": [{"cidr": "10.0.0.0/33"}]}'],
    ['exists with a non-boolean', '{"s": [{"exists": "yes"}]}'],
    ['$or with one alternative', '{"$or": [{"a": ["b"]}]}'],
    ['nested arrays', '{"s": [["a"]]}'],
    ['a pattern that is not an object', '["a"]'],
  ] as const;

  for (const [what, pattern] of invalid) {
    it(`rejects ${what}`, () => {
      expect(() => parseEventPattern(pattern)).toThrow(InvalidEventPatternError);
    });
  }

  it('accepts every operator in valid form', () => {
    expect(() => parseEventPattern({
      a: ['x', 1, null, true],
      b: [{ prefix: 'p' }, { prefix: { 'equals-ignore-case': 'p' } }, { suffix: 's' }, { suffix: { 'equals-ignore-case': 's' } }],
      c: [{ 'anything-but': 'x' }, { 'anything-but': [1, 2] }, { 'anything-but': { prefix: 'p' } }, { 'anything-but': { suffix: 's' } },
        { 'anything-but': { 'equals-ignore-case': ['a'] } }, { 'anything-but': { wildcard: '*/x/*' } }],
      d: [{ numeric: ['>=', 0, '<', 10] }, { numeric: ['=', 5] }],
      e: [{ exists: false }],
      f: [{ 'equals-ignore-case': 'x' }, { wildcard: 'a*b\\*' }, { cidr: '2001:db8::/32' }, { cidr: '192.168.0.0/16' }],
      $or: [{ g: ['1'] }, { h: { i: ['2'] } }],
    })).not.toThrow();
  });
});
