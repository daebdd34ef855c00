// Deterministic analysis statistics, validation rules and answer text.
import { describe, expect, it } from 'vitest';
import { describeStatistics, fieldStatistics, summarizeWrite, validateRecord } from '../../../../../functions/core/tasks/index.js';
import { markdownTable } from '../../../../../functions/core/progress/index.js';

const vendors = {
  value: [
    { number: 'V1', displayName: 'Alpha', balance: 100, city: 'Oslo' },
    { number: 'V2', displayName: 'Beta', balance: 300.25, city: 'Rome' },
    { number: 'V3', displayName: 'Gamma', balance: 0, city: 'Oslo' },
    { number: 'V4', displayName: 'Delta', balance: 50, city: null },
  ],
};

describe('statistics', () => {
  it('summarises a numeric field', () => {
    const stats = fieldStatistics(vendors, 'balance', { rank: 2 });
    expect(stats).toEqual({
      by: 'balance',
      records: 4,
      missing: 0,
      summary: {
        kind: 'numeric', count: 4, sum: 450.25, min: 0, max: 300.25, mean: 112.5625, median: 75,
        top: [{ key: 'V2', name: 'Beta', value: 300.25 }, { key: 'V1', name: 'Alpha', value: 100 }],
        bottom: [{ key: 'V3', name: 'Gamma', value: 0 }, { key: 'V4', name: 'Delta', value: 50 }],
      },
    });
    expect(describeStatistics('vendors', stats)).toBe(
      'vendors by balance: 4 values, total 450.25, mean 112.56, median 75, min 0, max 300.25. Highest: V2 Beta (300.25), V1 Alpha (100). Lowest: V3 Gamma (0), V4 Delta (50).',
    );
  });

  it('groups and counts any other field, noting records without it', () => {
    const stats = fieldStatistics(vendors.value, 'city');
    expect(stats.summary).toEqual({ kind: 'groups', groups: [{ value: 'Oslo', count: 2 }, { value: 'Rome', count: 1 }], otherGroups: 0 });
    expect(stats.missing).toBe(1);
    expect(describeStatistics('vendors', stats)).toBe('vendors by city: Oslo (2), Rome (1). 1 of 4 records have no city.');
    expect(describeStatistics('vendors', fieldStatistics({ value: [] }, 'city'))).toBe('There are no vendors to analyse.');
  });
});

describe('validation rules', () => {
  it('accepts a good record', () => {
    expect(validateRecord('customers', { displayName: 'Fabrikam', email: 'ap@fabrikam.example', phoneNumber: '+47 22 00 00 00' }, 'create')).toEqual({ entity: 'customers', valid: true, problems: [] });
  });

  it('reports unknown, read-only, mistyped fields, bad formats, missing required fields and non-positive quantities', () => {
    const customer = validateRecord('customers', { nme: 'x', id: '00000000-0000-0000-0000-000000000000', email: 'nope', phoneNumber: 'call me', blocked: 'Sometimes', creditLimit: 'lots' }, 'create');
    expect(customer.valid).toBe(false);
    expect(customer.problems.map((p) => [p.field, p.rule])).toEqual([
      ['nme', 'unknown_field'],
      ['id', 'read_only'],
      ['email', 'email'],
      ['phoneNumber', 'phone'],
      ['blocked', 'enum'],
      ['creditLimit', 'type'],
      ['displayName', 'required'],
    ]);
    expect(validateRecord('purchaseOrderLines', { quantity: 0 }, 'create').problems).toEqual([{ field: 'quantity', rule: 'positive', message: "'quantity' must be greater than zero" }]);
    expect(validateRecord('purchaseOrders', {}, 'create').problems[0]!.message).toBe("'vendorId' or 'vendorNumber' is required for a new purchaseOrder");
    expect(validateRecord('customers', { email: 'x@y.example' }, 'update').valid).toBe(true);
    expect(validateRecord('unicorns', {}).problems[0]!.rule).toBe('unknown_entity');
  });
});

describe('answer text', () => {
  it('renders rows as a markdown table, escaping cells and capping rows', () => {
    const rows = Array.from({ length: 22 }, (_, i) => ({ '@odata.etag': 'W/x', id: String(i), number: `N${i}`, displayName: i === 0 ? 'a|b\nc' : `R${i}` }));
    const table = markdownTable(rows).split('\n');
    expect(table.slice(0, 3)).toEqual(['| number | displayName |', '| --- | --- |', '| N0 | a\\|b c |']);
    expect(table.at(-1)).toBe('…and 2 more.');
  });

  it('summarises writes for the approver', () => {
    expect(summarizeWrite('bc_delete_entity', { entity: 'vendors', id: 'abc' })).toBe('Delete vendor abc.');
    expect(summarizeWrite('saga_purchase_order', { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }] })).toBe(
      "Create a purchase order for vendor '20000': 5 x '1896-S', and reserve the inventory.",
    );
  });
});
