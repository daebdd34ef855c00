// The OData query builder: literal formatting per type, escaping, BC's filter rules, catalogue checks and
// encoding. Injection attempts must be escaped into a single literal or refused, never widen the filter.
import { describe, expect, it } from 'vitest';
import { BcInvalidRequestError } from '../../../../../functions/core/bc/errors.js';
import {
  buildFilter,
  buildQueryOptions,
  buildQueryString,
  formatLiteral,
  quoteString,
  type ODataFilter,
} from '../../../../../functions/core/bc/odata.js';
import { schemaFor } from '../../../../../functions/core/bc/schema.js';

const customers = schemaFor('customers');
const salesOrders = schemaFor('salesOrders');
const items = schemaFor('items');
const GUID = '5d115c9c-44e3-ea11-bb43-000d3a2feca1';

function refused(fn: () => unknown, pattern: RegExp): BcInvalidRequestError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BcInvalidRequestError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as BcInvalidRequestError).kind).toBe('invalid_request');
    expect((error as BcInvalidRequestError).retryable).toBe(false);
    return error as BcInvalidRequestError;
  }
  throw new Error('expected the builder to refuse');
}

describe('literals', () => {
  it('quotes strings, doubling single quotes', () => {
    expect(quoteString("O'Brien")).toBe("'O''Brien'");
    expect(quoteString("''")).toBe("''''''");
    expect(buildFilter(customers, { field: 'displayName', op: 'eq', value: "O'Brien & Sons" })).toBe(
      "displayName eq 'O''Brien & Sons'",
    );
  });

  it('writes GUIDs bare and refuses anything that is not a GUID', () => {
    expect(buildFilter(customers, { field: 'currencyId', op: 'eq', value: GUID.toUpperCase() })).toBe(`currencyId eq ${GUID}`);
    refused(() => buildFilter(customers, { field: 'currencyId', op: 'eq', value: `${GUID} or 1 eq 1` }), /needs a GUID/);
    refused(() => buildFilter(customers, { field: 'currencyId', op: 'eq', value: 42 }), /needs a GUID/);
  });

  it('writes numbers bare, without exponents, and refuses non-numbers', () => {
    expect(buildFilter(customers, { field: 'creditLimit', op: 'gt', value: 1500.5 })).toBe('creditLimit gt 1500.5');
    expect(buildFilter(customers, { field: 'creditLimit', op: 'ge', value: '2000.25' })).toBe('creditLimit ge 2000.25');
    expect(buildFilter(customers, { field: 'creditLimit', op: 'lt', value: 1e21 })).toBe('creditLimit lt 1000000000000000000000');
    expect(buildFilter(customers, { field: 'creditLimit', op: 'gt', value: 1e-7 })).toBe('creditLimit gt 0.0000001');
    refused(() => buildFilter(customers, { field: 'creditLimit', op: 'gt', value: '0 or 1 eq 1' }), /needs a number/);
    refused(() => buildFilter(customers, { field: 'creditLimit', op: 'gt', value: Number.NaN }), /finite/);
    const lines = schemaFor('salesOrderLines');
    refused(() => buildFilter(lines, { field: 'sequence', op: 'eq', value: 1.5 }), /integer/);
    expect(buildFilter(lines, { field: 'sequence', op: 'eq', value: 10000 })).toBe('sequence eq 10000');
  });

  it('writes booleans, dates and date-times bare after validating them', () => {
    expect(buildFilter(items, { field: 'blocked', op: 'eq', value: false })).toBe('blocked eq false');
    expect(buildFilter(items, { field: 'blocked', op: 'eq', value: 'true' })).toBe('blocked eq true');
    refused(() => buildFilter(items, { field: 'blocked', op: 'eq', value: 'yes' }), /true or false/);
    expect(buildFilter(salesOrders, { field: 'orderDate', op: 'ge', value: '2024-02-29' })).toBe('orderDate ge 2024-02-29');
    refused(() => buildFilter(salesOrders, { field: 'orderDate', op: 'ge', value: '2023-02-29' }), /YYYY-MM-DD/);
    refused(() => buildFilter(salesOrders, { field: 'orderDate', op: 'ge', value: "2024-01-01' or 'a' eq 'a" }), /YYYY-MM-DD/);
    expect(buildFilter(customers, { field: 'lastModifiedDateTime', op: 'gt', value: '2024-01-31T12:00:00.123Z' })).toBe(
      'lastModifiedDateTime gt 2024-01-31T12:00:00.123Z',
    );
    refused(() => buildFilter(customers, { field: 'lastModifiedDateTime', op: 'gt', value: '2024-01-31' }), /date-time/);
  });

  it('checks enum values against the documented members, in either spelling', () => {
    expect(buildFilter(salesOrders, { field: 'status', op: 'eq', value: 'Open' })).toBe("status eq 'Open'");
    expect(buildFilter(salesOrders, { field: 'status', op: 'eq', value: 'In_x0020_Review' })).toBe("status eq 'In_x0020_Review'");
    refused(() => buildFilter(salesOrders, { field: 'status', op: 'eq', value: 'Posted' }), /one of 'Draft', 'In Review', 'Open'/);
  });

  it('writes null only for eq/ne', () => {
    expect(formatLiteral({ name: 'x', type: 'string', readOnly: false }, null)).toBe('null');
    expect(buildFilter(customers, { field: 'email', op: 'ne', value: null })).toBe('email ne null');
    refused(() => buildFilter(customers, { field: 'email', op: 'gt', value: null }), /null can only/);
  });
});

describe('injection attempts', () => {
  it('keeps "or 1 eq 1" inside one string literal', () => {
    const filter = buildFilter(customers, { field: 'displayName', op: 'eq', value: "x' or 1 eq 1 or displayName eq 'y" });
    expect(filter).toBe("displayName eq 'x'' or 1 eq 1 or displayName eq ''y'");
    // Exactly one comparison: every quote inside the literal is doubled, so the literal never ends early.
    const literal = filter.slice('displayName eq '.length);
    expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
    expect(literal.slice(1, -1).replace(/''/g, '')).not.toContain("'");
  });

  it('escapes quotes inside string functions and in lists', () => {
    expect(buildFilter(customers, { field: 'city', op: 'contains', value: "')" })).toBe("contains(city,''')')");
    expect(buildFilter(customers, { field: 'number', op: 'in', values: ["10000') or (1 eq 1", 20000] })).toBe(
      "number in ('10000'') or (1 eq 1','20000')",
    );
  });

  it('refuses field names outside the schema, including expressions posing as names', () => {
    const e = refused(() => buildFilter(customers, { field: 'secret', op: 'eq', value: 'x' }), /Unknown field 'secret' in \$filter/);
    expect(e.code).toBe('BadRequest_NotFound');
    refused(() => buildFilter(customers, { field: '1 eq 1 or displayName', op: 'eq', value: 'x' }), /Unknown field/);
    refused(() => buildFilter(customers, { field: 'displayName)', op: 'eq', value: 'x' }), /Unknown field/);
    refused(() => buildQueryOptions(customers, { select: ['displayName', 'id,secret'] }), /Unknown field 'id,secret' in \$select/);
    refused(() => buildQueryOptions(customers, { orderby: [{ field: 'displayName desc,secret' }] }), /Unknown field/);
    refused(() => buildQueryOptions(customers, { expand: ['salesOrders'] }), /Unknown navigation property 'salesOrders'/);
  });

  it('refuses unknown operators and malformed nodes', () => {
    refused(() => buildFilter(customers, { field: 'displayName', op: 'eq) or (1', value: 'x' } as unknown as ODataFilter), /Unknown operator/);
    refused(() => buildFilter(customers, { and: [] }), /non-empty array/);
    refused(() => buildFilter(customers, { and: [{ field: 'city', op: 'eq', value: 'a' }], or: [] } as unknown as ODataFilter), /only the 'and' key/);
    refused(() => buildFilter(customers, 'displayName eq 1' as unknown as ODataFilter), /must be an object/);
  });

  it('refuses an unknown entity set by name', () => {
    const e = refused(() => schemaFor('customers;drop'), /Unknown entity set 'customers;drop'/);
    expect(e.code).toBe('BadRequest_ResourceNotFound');
  });
});

describe('logical structure and BC rules', () => {
  it('combines with and, parenthesising each part', () => {
    expect(
      buildFilter(customers, {
        and: [
          { field: 'city', op: 'eq', value: 'Atlanta' },
          { or: [{ field: 'creditLimit', op: 'gt', value: 100 }, { field: 'creditLimit', op: 'eq', value: 0 }] },
        ],
      }),
    ).toBe("(city eq 'Atlanta') and ((creditLimit gt 100) or (creditLimit eq 0))");
  });

  it("allows 'or' within one field and refuses it across fields", () => {
    expect(
      buildFilter(customers, { or: [{ field: 'city', op: 'eq', value: 'Atlanta' }, { field: 'city', op: 'startswith', value: 'Mi' }] }),
    ).toBe("(city eq 'Atlanta') or (startswith(city,'Mi'))");
    const acrossFields = refused(
      () => buildFilter(customers, { or: [{ field: 'city', op: 'eq', value: 'Atlanta' }, { field: 'number', op: 'eq', value: '1' }] }),
      /cannot combine different fields with 'or' \(city, number\)/,
    );
    expect(acrossFields.code).toBe('BadRequest_MethodNotImplemented');
    refused(
      () =>
        buildFilter(customers, {
          or: [{ field: 'city', op: 'eq', value: 'A' }, { and: [{ field: 'city', op: 'ne', value: 'B' }, { field: 'state', op: 'eq', value: 'GA' }] }],
        }),
      /different fields/,
    );
  });

  it('supports not, in and case-insensitive comparisons', () => {
    expect(buildFilter(customers, { not: { field: 'city', op: 'eq', value: 'Atlanta' } })).toBe("not (city eq 'Atlanta')");
    expect(buildFilter(customers, { field: 'number', op: 'in', values: ['10000', '20000'] })).toBe("number in ('10000','20000')");
    expect(buildFilter(customers, { field: 'displayName', op: 'startswith', value: 'AdA', caseInsensitive: true })).toBe(
      "startswith(tolower(displayName),'ada')",
    );
    expect(buildFilter(customers, { field: 'type', op: 'eq', value: 'COMPANY', caseInsensitive: true })).toBe("tolower(type) eq 'company'");
    refused(() => buildFilter(customers, { field: 'creditLimit', op: 'eq', value: 5, caseInsensitive: true }), /text fields only/);
    refused(() => buildFilter(customers, { field: 'creditLimit', op: 'contains', value: '5' }), /text fields only/);
    refused(() => buildFilter(customers, { field: 'number', op: 'in', values: [] }), /non-empty 'values'/);
  });

  it('bounds depth and size', () => {
    let deep: ODataFilter = { field: 'city', op: 'eq', value: 'x' };
    for (let i = 0; i < 10; i++) deep = { not: deep };
    refused(() => buildFilter(customers, deep), /nested deeper/);
    const many = Array.from({ length: 101 }, () => ({ field: 'city', op: 'eq' as const, value: 'x' }));
    refused(() => buildFilter(customers, { or: many }), /more than 100 conditions/);
  });
});

describe('query options and encoding', () => {
  it('builds every option in a stable order, percent-encoded', () => {
    const qs = buildQueryString(salesOrders, {
      filter: { field: 'customerName', op: 'eq', value: "Ad&tum #1 O'Neil" },
      select: ['number', 'customerName', 'number'],
      expand: ['salesOrderLines', 'customer'],
      orderby: [{ field: 'orderDate', direction: 'desc' }, { field: 'number' }],
      top: 10,
      skip: 5,
      count: true,
    });
    expect(qs).toBe(
      '?$filter=customerName%20eq%20%27Ad%26tum%20%231%20O%27%27Neil%27' +
        '&$select=number%2CcustomerName&$expand=salesOrderLines%2Ccustomer' +
        '&$orderby=orderDate%20desc%2Cnumber&$top=10&$skip=5&$count=true',
    );
    // What the server decodes is exactly the expression we built.
    const params = new URLSearchParams(qs);
    expect(params.get('$filter')).toBe("customerName eq 'Ad&tum #1 O''Neil'");
    expect(params.getAll('$filter')).toHaveLength(1);
  });

  it('gives an empty string without options and refuses bad paging values', () => {
    expect(buildQueryString(customers)).toBe('');
    expect(buildQueryString(customers, { count: false, select: [] })).toBe('');
    refused(() => buildQueryOptions(customers, { top: -1 }), /\$top must be a non-negative integer/);
    refused(() => buildQueryOptions(customers, { skip: 1.5 }), /\$skip/);
    refused(() => buildQueryOptions(customers, { orderby: [{ field: 'city', direction: 'sideways' as 'asc' }] }), /asc' or 'desc/);
  });
});
