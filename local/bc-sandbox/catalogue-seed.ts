// Seed data for the catalogue's entity sets beyond the core ones (seed.ts): hand-shaped records for the common
// sets (G/L accounts and entries, contacts, sales invoices and quotes with their lines, dimensions), and for
// every other set of the catalogue a few records of typed values, so every set the sandbox serves answers with
// documented data. A PRNG of its own keeps the core seed's ids unchanged as the catalogue grows.
import { findEntitySet } from '../../functions/core/bc/index.js';
import { SeededRandom } from './prng.js';
import { childSetOf, completeRecord, definitionFor, servedEntitySets, type EntitySetDefinition } from './schema.js';
import type { Store, StoredRow } from './store.js';
import { linesOf } from './documents.js';
import { createRecord, type WriteContext } from './entity-rules.js';
import { postPurchaseInvoice, postSalesInvoice } from './posting.js';

type Row = Record<string, unknown>;

export interface CatalogueSeedContext {
  store: Store;
  companyId: string;
  /** Stable per company, so the second company's data does not shift when the first one's grows. */
  seed: number;
  seedTime: string;
  customers: Row[];
  items: Row[];
}

const accountsPlan: Array<[string, string, string]> = [
  ['10100', 'Checking account', 'Assets'],
  ['13100', 'Accounts Receivable', 'Assets'],
  ['14100', 'Inventory', 'Assets'],
  ['20100', 'Accounts Payable', 'Liabilities'],
  ['22100', 'Sales Tax Payable', 'Liabilities'],
  ['30100', 'Capital Stock', 'Equity'],
  ['40100', 'Income, Services', 'Income'],
  ['40200', 'Income, Product Sales', 'Income'],
  ['50100', 'Cost of Materials', 'Cost of Goods Sold'],
  ['60100', 'Wages', 'Expense'],
  ['60200', 'Rent', 'Expense'],
];
const contactNames = ['Robert Townes', 'Jesse Homer', 'Ian Deberry', 'Meagan Bond', 'Kevin Wright', 'Mark McArthur'];

export function seedCatalogue(ctx: CatalogueSeedContext): void {
  const random = new SeededRandom(ctx.seed);
  const insert = (entitySet: string, values: Row): Row =>
    ctx.store.insert(ctx.companyId, entitySet, completeRecord(definitionFor('standard', entitySet)!, { id: random.guid(), lastModifiedDateTime: ctx.seedTime, ...values })).data;

  accountsPlan.forEach(([number, displayName, category]) =>
    insert('accounts', { number, displayName, category, accountType: 'Posting', directPosting: category !== 'Assets', blocked: false, netChange: 0 }),
  );

  contactNames.forEach((name, i) => {
    const customer = ctx.customers[i % ctx.customers.length]!;
    insert('contacts', {
      number: `CT${String(100 + i * 10).padStart(6, '0')}`,
      type: 'Person',
      displayName: name,
      jobTitle: i % 2 === 0 ? 'Purchasing Manager' : 'Accountant',
      companyNumber: String(customer.number),
      companyName: String(customer.displayName),
      addressLine1: customer.addressLine1, city: customer.city, state: customer.state, country: customer.country, postalCode: customer.postalCode,
      phoneNumber: `555-2${random.int(100, 999)}`,
      email: `${name.toLowerCase().replace(/[^a-z]/g, '.')}@contoso.example`,
      searchName: name.toUpperCase(),
      privacyBlocked: false,
      lastInteractionDate: '2026-01-04',
    });
  });

  // Sales quotes, sales and purchase invoices go through the same rules and posting as API writes do, so the
  // posted invoices come with their item ledger entries, G/L entries and partner balances (posting.ts).
  const writes: WriteContext = { store: ctx.store, companyId: ctx.companyId, now: () => ctx.seedTime, newId: () => random.guid() };
  const seedDocument = (documentSet: 'salesInvoices' | 'salesQuotes' | 'purchaseInvoices', index: number, partner: Row, extra: Row): StoredRow => {
    const date = `2026-01-${String(10 + index).padStart(2, '0')}`;
    const isSales = documentSet !== 'purchaseInvoices';
    const header = createRecord(writes, documentSet, {
      id: random.guid(), [isSales ? 'customerId' : 'vendorId']: partner.id,
      postingDate: date, invoiceDate: date, documentDate: date, dueDate: `2026-02-${String(10 + index).padStart(2, '0')}`, ...extra,
    });
    const lineCount = random.int(1, 3);
    for (let n = 0; n < lineCount; n++) {
      const item = random.pick(ctx.items);
      createRecord(writes, linesOf[documentSet], {
        id: random.guid(), documentId: header.data.id, itemId: item.id, quantity: random.int(1, 8), ...(isSales ? { shipmentDate: date } : { expectedReceiptDate: date }),
      });
    }
    return ctx.store.get(ctx.companyId, documentSet, String(header.data.id))!;
  };
  for (let i = 0; i < 4; i++) {
    const invoice = seedDocument('salesInvoices', i, ctx.customers[i % ctx.customers.length]!, {});
    // The first three are posted (Open, with their ledger entries); the last one is still a draft.
    if (i < 3) postSalesInvoice(writes, invoice);
  }
  for (let i = 0; i < 3; i++) {
    const date = `2026-01-${String(10 + i).padStart(2, '0')}`;
    seedDocument('salesQuotes', i, ctx.customers[i % ctx.customers.length]!, {
      validUntilDate: `2026-02-${String(10 + i).padStart(2, '0')}`,
      status: i === 0 ? 'Accepted' : i === 1 ? 'Sent' : 'Draft', sentDate: i <= 1 ? `${date}T09:00:00Z` : '0001-01-01T00:00:00Z',
      acceptedDate: i === 0 ? date : '0001-01-01',
    });
  }
  const vendors = ctx.store.list(ctx.companyId, 'vendors').map((row) => row.data);
  for (let i = 0; i < 3; i++) {
    const invoice = seedDocument('purchaseInvoices', i, vendors[i % vendors.length]!, { vendorInvoiceNumber: `VINV-${5001 + i}` });
    // Two posted purchase invoices (stock received, vendor owed), one draft.
    if (i < 2) postPurchaseInvoice(writes, invoice);
  }

  const department = insert('dimensions', { code: 'DEPARTMENT', displayName: 'Department' });
  ['ADM', 'PROD', 'SALES'].forEach((code) => insert('dimensionValues', { code, dimensionId: department.id, displayName: code === 'ADM' ? 'Administration' : code === 'PROD' ? 'Production' : 'Sales' }));

  // Every other set of the catalogue: parents first, then sets whose parentPath names them.
  const ordered = [...servedEntitySets].sort((a, b) => Number(Boolean(findEntitySet(a)?.parentPath)) - Number(Boolean(findEntitySet(b)?.parentPath)));
  for (const entitySet of ordered) {
    if (entitySet === 'companies' || ctx.store.list(ctx.companyId, entitySet).length > 0) continue;
    const definition = definitionFor('standard', entitySet)!;
    const parentSet = definition.parentPath?.replace('({id})', '');
    const parent = parentSet ? ctx.store.list(ctx.companyId, parentSet)[0]?.data : undefined;
    const foreignKey = parentSet ? childSetOf(definitionFor('standard', parentSet)!, entitySet)?.foreignKey : undefined;
    if (parentSet && (!parent || !foreignKey)) continue;
    for (let i = 1; i <= 2; i++) insert(entitySet, { ...typedValues(definition, i), ...(parent && foreignKey ? { [foreignKey]: parent.id } : {}) });
  }
}

/** Plain, typed values for a record of a set with no seed of its own: codes, names, numbers and dates. */
function typedValues(definition: EntitySetDefinition, n: number): Row {
  const values: Row = {};
  for (const property of definition.properties) {
    if (property.name === 'id' || property.name === 'lastModifiedDateTime') continue;
    const name = property.name;
    if (property.type === 'string') {
      if (name === 'code' || name.endsWith('Code')) values[name] = `${definition.entityName.slice(0, 6).toUpperCase()}${n}`;
      else if (name === 'number' || name.endsWith('Number')) values[name] = `${definition.entityName.slice(0, 3).toUpperCase()}${String(n).padStart(5, '0')}`;
      else if (name === 'displayName' || name === 'description' || name === 'name') values[name] = `${definition.entityName} ${n}`;
    } else if (property.type === 'integer' || property.type === 'int64') {
      values[name] = n;
    } else if (property.type === 'date') {
      values[name] = `2026-01-0${n}`;
    }
  }
  return values;
}
