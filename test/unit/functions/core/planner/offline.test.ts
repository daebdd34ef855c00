import { describe, expect, it } from 'vitest';
import { planCommands, createOfflinePlanner } from '../../../../../functions/core/planner/offline.js';
import { tokenize } from '../../../../../functions/core/planner/command-language.js';
import type { Plan } from '../../../../../functions/core/plan/index.js';

function plan(text: string): { plan: Plan; levels: string[][] } {
  const outcome = planCommands(text, 20);
  if (outcome.kind !== 'plan') throw new Error(`expected a plan for "${text}", got ${JSON.stringify(outcome)}`);
  return outcome;
}
const args = (text: string, index = 0) => plan(text).plan.tasks[index]!.arguments;
function reply(text: string): string {
  const outcome = planCommands(text, 20);
  if (outcome.kind !== 'reply') throw new Error(`expected a reply for "${text}", got ${JSON.stringify(outcome)}`);
  return outcome.text;
}

describe('offline planner: the scenarios of issue 4', () => {
  it('count customers', () => {
    const { plan: p } = plan('count customers');
    expect(p.tasks).toHaveLength(1);
    expect(p.tasks[0]).toMatchObject({ id: 't1', type: 'query', tool: 'bc_query_entity', arguments: { entity: 'customers', count: true, top: 1, select: ['id'] } });
  });

  it("list vendors where … top 3", () => {
    expect(args("list vendors where city eq 'Atlanta' top 3")).toEqual({
      entity: 'vendors',
      filter: { field: 'city', op: 'eq', value: 'Atlanta' },
      top: 3,
    });
  });

  it("';' puts independent commands in one level", () => {
    const { plan: p, levels } = plan('list customers top 5; list vendors top 5');
    expect(p.tasks.map((t) => [t.id, t.arguments.entity, t.dependsOn])).toEqual([
      ['t1', 'customers', []],
      ['t2', 'vendors', []],
    ]);
    expect(levels).toEqual([['t1', 't2']]);
  });

  it("'then' sequences, and analyze uses the previous result by $ref", () => {
    const { plan: p, levels } = plan('get vendor 20000 then analyze vendors by balance');
    expect(levels).toEqual([['t1'], ['t2']]);
    expect(p.tasks[0]!.arguments).toEqual({ entity: 'vendors', filter: { field: 'number', op: 'eq', value: '20000' }, top: 1 });
    expect(p.tasks[1]).toMatchObject({
      type: 'analysis',
      tool: 'analyze',
      dependsOn: ['t1'],
      arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' },
    });
  });

  it('nonsense gets a helpful reply, never a throw', () => {
    for (const text of ['hello there', 'what is the weather?', '', '   ', ';;', "list customers where city eq 'unterminated", '!!!', 'list', 'get vendor', 'x'.repeat(5000)]) {
      const outcome = planCommands(text, 20);
      expect(outcome.kind, text).toBe('reply');
    }
    expect(reply('hello there')).toContain("I understand");
    expect(reply('hello there')).toContain("list customers where city eq 'Atlanta' top 5");
  });
});

describe('offline planner: every command form', () => {
  it('list with where/and/or/in/orderby/select/skip in any order, case-insensitive names', () => {
    expect(
      args("LIST Customers select displayName, city orderby balanceDue desc, displayName skip 10 top 2 where (City eq 'A' or city eq 'B') and balancedue ge 100.5 and number in ('10000', 20000)"),
    ).toEqual({
      entity: 'customers',
      filter: {
        and: [
          { or: [{ field: 'city', op: 'eq', value: 'A' }, { field: 'city', op: 'eq', value: 'B' }] },
          { field: 'balanceDue', op: 'ge', value: 100.5 },
          { field: 'number', op: 'in', values: ['10000', '20000'] },
        ],
      },
      select: ['displayName', 'city'],
      orderby: [
        { field: 'balanceDue', direction: 'desc' },
        { field: 'displayName', direction: 'asc' },
      ],
      skip: 10,
      top: 2,
    });
    expect(args("list items where displayName contains 'Chair' and blocked eq false order by unitPrice")).toMatchObject({
      filter: {
        and: [
          { field: 'displayName', op: 'contains', value: 'Chair' },
          { field: 'blocked', op: 'eq', value: false },
        ],
      },
      orderby: [{ field: 'unitPrice', direction: 'asc' }],
    });
    expect(args("list vendors where displayName startswith 'A' or displayName endswith 'Inc'").filter).toEqual({
      or: [{ field: 'displayName', op: 'startswith', value: 'A' }, { field: 'displayName', op: 'endswith', value: 'Inc' }],
    });
    expect(args("list customers where displayName eq 'O''Brien'").filter).toEqual({ field: 'displayName', op: 'eq', value: "O'Brien" });
    expect((args('list customers where balanceDue lt -5 and balanceDue ne 0 and balanceDue le 3 and balanceDue gt -100').filter as { and: unknown[] }).and).toHaveLength(4);
  });

  it('knows every entity set by singular, plural and multi-word names', () => {
    const names: Record<string, string> = {
      customer: 'customers', vendors: 'vendors', item: 'items', 'sales orders': 'salesOrders', 'sales order': 'salesOrders',
      'purchase orders': 'purchaseOrders', location: 'locations', 'payment terms': 'paymentTerms', 'payment term': 'paymentTerms',
      currency: 'currencies', currencies: 'currencies', 'item ledger entries': 'itemLedgerEntries', companies: 'companies',
      salesOrders: 'salesOrders',
    };
    for (const [name, set] of Object.entries(names)) expect(args(`list ${name} top 1`).entity, name).toBe(set);
  });

  it('get by number, by code, by entry number and by id', () => {
    expect(args('get item 1896-S').filter).toEqual({ field: 'number', op: 'eq', value: '1896-S' });
    expect(args('get currency EUR').filter).toEqual({ field: 'code', op: 'eq', value: 'EUR' });
    expect(args('get item ledger entry 42').filter).toEqual({ field: 'entryNumber', op: 'eq', value: 42 });
    expect(args('get customer 5F1B7A3C-0000-4C3E-8D5F-0123456789AB').filter).toEqual({ field: 'id', op: 'eq', value: '5f1b7a3c-0000-4c3e-8d5f-0123456789ab' });
  });

  it('count with a filter', () => {
    expect(args("count sales orders where status eq 'Open'")).toMatchObject({ entity: 'salesOrders', count: true, filter: { field: 'status', op: 'eq', value: 'Open' } });
  });

  it('create, with typed values', () => {
    const { plan: p } = plan("create customer displayName='Fabrikam' city='Oslo' creditLimit=5000 taxLiable=true");
    expect(p.tasks[0]).toMatchObject({
      type: 'write',
      tool: 'bc_create_entity',
      arguments: { entity: 'customers', data: { displayName: 'Fabrikam', city: 'Oslo', creditLimit: 5000, taxLiable: true } },
    });
  });

  it('update and delete by number look the record up and reference its id', () => {
    const { plan: p, levels } = plan("update customer 10000 set phoneNumber='555', email='a@b.c'");
    expect(levels).toEqual([['t1'], ['t2']]);
    expect(p.tasks[0]!.arguments).toEqual({ entity: 'customers', filter: { field: 'number', op: 'eq', value: '10000' }, select: ['id', 'number'], top: 1 });
    expect(p.tasks[1]).toMatchObject({
      tool: 'bc_update_entity',
      dependsOn: ['t1'],
      arguments: { entity: 'customers', id: { $ref: 't1.result.value[0].id' }, data: { phoneNumber: '555', email: 'a@b.c' } },
    });
    const del = plan('delete customer 10000').plan;
    expect(del.tasks[1]).toMatchObject({ tool: 'bc_delete_entity', arguments: { entity: 'customers', id: { $ref: 't1.result.value[0].id' } } });
    const byId = plan('delete vendor 5f1b7a3c-0000-4c3e-8d5f-0123456789ab').plan;
    expect(byId.tasks).toHaveLength(1);
    expect(byId.tasks[0]!.arguments).toEqual({ entity: 'vendors', id: '5f1b7a3c-0000-4c3e-8d5f-0123456789ab' });
  });

  it('create purchase order runs the saga', () => {
    expect(plan('create purchase order for vendor 20000: 5 x 1896-S, 2 x 1900-S at EAST').plan.tasks[0]).toMatchObject({
      type: 'write',
      tool: 'saga_purchase_order',
      arguments: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }, { itemNumber: '1900-S', quantity: 2, locationCode: 'EAST' }] },
    });
  });

  it('analyze on its own reads the records first', () => {
    const { plan: p, levels } = plan('analyze customers by balanceDue');
    expect(levels).toEqual([['t1'], ['t2']]);
    expect(p.tasks[0]!.arguments).toEqual({ entity: 'customers', select: ['number', 'displayName', 'balanceDue'] });
    expect(p.tasks[1]!.arguments).toEqual({ source: { $ref: 't1.result' }, entity: 'customers', by: 'balanceDue' });
  });

  it('validate, keeping the bad value for the validator to judge', () => {
    expect(plan("validate customer displayName='X' email='bad'").plan.tasks[0]).toMatchObject({
      type: 'validation',
      tool: 'validate_entity',
      arguments: { entity: 'customers', data: { displayName: 'X', email: 'bad' } },
    });
  });

  it('chains then and ; together', () => {
    const { plan: p, levels } = plan("count customers; list vendors top 2 then update vendor 20000 set city='Oslo'");
    expect(levels).toEqual([['t1', 't2'], ['t3'], ['t4']]);
    expect(p.tasks[2]).toMatchObject({ dependsOn: ['t2'], tool: 'bc_query_entity' });
    expect(p.tasks[3]).toMatchObject({ dependsOn: ['t3'], tool: 'bc_update_entity' });
  });
});

describe('offline planner: clear replies for mistakes', () => {
  it.each([
    ['list custmers', "Did you mean 'customers'"],
    ["list customers where cty eq 'Oslo'", "Did you mean 'city'"],
    ["list customers where city = 'Oslo'", "write 'eq' for '='"],
    ["list customers where city eq 'A' or state eq 'B'", "only between conditions on the same field"],
    ["list customers where city eq 'A' or city eq 'B' and balanceDue gt 1", "cannot combine 'and' inside an 'or'"],
    ["list customers where balanceDue gt 'lots'", "'balanceDue' is a number"],
    ['list customers where city contains 5 top 0', "'top' needs a whole number"],
    ["list customers where city in ('A', null)", "'in' takes text or numbers"],
    ['list customers where balanceDue contains 5', "works on text fields"],
    ["create customer id='x'", 'read-only'],
    ["create customer displayName='A' displayName='B'", 'given twice'],
    ["update customer 10000 phoneNumber='1'", "expected 'set'"],
    ['create purchase order for vendor 20000: five x 1896-S', 'quantity'],
    ['create purchase order for vendor 20000 5 x 1896-S', "':'"],
    ['lst customers', "Did you mean 'list'"],
    ['list customers top 5 top 6', 'given twice'],
    [`list customers where ${'('.repeat(30)}city eq 'A'${')'.repeat(30)}`, 'nested more than 8 deep'],
    ['list customers top 5000', "'top' needs a whole number from 1 to 1000"],
    ["list customers; frobnicate", "'frobnicate' is not a command"],
    ["list customers list vendors", "';' or 'then'"],
  ])('%s', (text, expected) => {
    expect(reply(text)).toContain(expected);
  });

  it('too many tasks is a failure with problems, not a crash', () => {
    const outcome = planCommands(Array.from({ length: 6 }, () => 'count customers').join('; '), 5);
    expect(outcome).toMatchObject({ kind: 'failed', problems: [expect.objectContaining({ code: 'too_many_tasks' })] });
  });

  it('the planner object answers through the common interface', async () => {
    const planner = createOfflinePlanner({ maxTasks: 20 });
    expect(planner.name).toBe('offline');
    await expect(planner.plan('count vendors', { tenantId: 't', sessionId: 's' })).resolves.toMatchObject({ kind: 'plan' });
  });

  it('tokenizes quotes, numbers and punctuation', () => {
    expect(tokenize(`a='it''s' "x""y",-1.5;(b):`).map((t) => [t.kind, t.value ?? t.text])).toEqual([
      ['word', 'a'], ['punct', '='], ['string', "it's"], ['string', 'x"y'], ['punct', ','], ['number', -1.5],
      ['punct', ';'], ['punct', '('], ['word', 'b'], ['punct', ')'], ['punct', ':'], ['end', 'the end of the text'],
    ]);
  });
});

describe('offline planner: posting commands (issue 10)', () => {
  it('post sales invoice <number>: find the draft, then a posting write that references its id', () => {
    const { plan: p, levels } = plan('post sales invoice S-INV1004');
    expect(p.tasks.map((t) => [t.type, t.tool, t.arguments])).toEqual([
      ['query', 'bc_query_entity', { entity: 'salesInvoices', filter: { field: 'number', op: 'eq', value: 'S-INV1004' }, select: ['id', 'number'], top: 1 }],
      ['write', 'bc_post_document', { entity: 'salesInvoices', action: 'post', id: { $ref: 't1.result.value[0].id' } }],
    ]);
    expect(levels).toEqual([['t1'], ['t2']]);
  });

  it('every posting phrase maps to its BC action; by id there is no lookup', () => {
    expect(args('ship and invoice sales order S-ORD101001', 1)).toMatchObject({ entity: 'salesOrders', action: 'shipAndInvoice' });
    expect(args('receive and invoice purchase order 106001', 1)).toMatchObject({ entity: 'purchaseOrders', action: 'receiveAndInvoice' });
    expect(args('post purchase invoice 107001', 1)).toMatchObject({ entity: 'purchaseInvoices', action: 'post' });
    expect(args('post sales credit memo 1001', 1)).toMatchObject({ entity: 'salesCreditMemos', action: 'post' });
    const id = '5e0c5d2a-1111-4a4a-8a8a-000000000001';
    expect(plan(`post sales invoice ${id}`).plan.tasks).toEqual([expect.objectContaining({ tool: 'bc_post_document', arguments: { entity: 'salesInvoices', action: 'post', id } })]);
  });

  it('says what can be posted instead of guessing', () => {
    expect(reply('post sales order 101001')).toContain("'post' applies to sales invoices, sales credit memos, purchase invoices, not salesOrders (a sales order is posted with 'ship and invoice sales order <number>')");
    expect(reply('post customer 10000')).toContain("'post' applies to sales invoices");
    expect(reply('receive purchase order 106001')).toContain("expected 'receive and invoice', got 'purchase'");
    expect(reply('pots sales invoice 1')).toContain("Did you mean 'post'");
    expect(reply('')).toContain('post sales invoice|sales credit memo|purchase invoice <number>');
  });
});
