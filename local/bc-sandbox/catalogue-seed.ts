// Seed data for the catalogue's entity sets beyond the core ones (seed.ts): hand-shaped records for the common
// sets (G/L accounts and entries, contacts, sales invoices and quotes with their lines, dimensions), and for
// every other set of the catalogue a few records of typed values, so every set the sandbox serves answers with
// documented data. A PRNG of its own keeps the core seed's ids unchanged as the catalogue grows.
import { findEntitySet } from '../../functions/core/bc/index.js';
import { SeededRandom } from './prng.js';
import { childSetOf, completeRecord, definitionFor, servedEntitySets, type EntitySetDefinition } from './schema.js';
import type { Store } from './store.js';
import { round2, TAX_PERCENT } from './documents.js';

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

  const accounts = accountsPlan.map(([number, displayName, category]) =>
    insert('accounts', { number, displayName, category, accountType: 'Posting', directPosting: category !== 'Assets', blocked: false, netChange: 0 }),
  );
  const account = (number: string) => accounts.find((a) => a.number === number)!;

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

  // Sales quotes and invoices with their lines; invoice totals post to G/L entries (receivable / sales / tax).
  let entryNumber = 0;
  const postEntry = (postingDate: string, documentNumber: string, number: string, description: string, debit: number, credit: number) =>
    insert('generalLedgerEntries', {
      entryNumber: ++entryNumber, postingDate, documentNumber, documentType: 'Invoice',
      accountId: account(number).id, accountNumber: number, description,
      debitAmount: debit, creditAmount: credit, additionalCurrencyDebitAmount: 0, additionalCurrencyCreditAmount: 0,
    });
  const seedSalesDocument = (documentSet: 'salesInvoices' | 'salesQuotes', index: number): void => {
    const customer = ctx.customers[index % ctx.customers.length]!;
    const date = `2026-01-${String(10 + index).padStart(2, '0')}`;
    const isInvoice = documentSet === 'salesInvoices';
    const lineSet = isInvoice ? 'salesInvoiceLines' : 'salesQuoteLines';
    const number = isInvoice ? `PS-INV${103001 + index}` : `S-QUO${1001 + index}`;
    const lines = Array.from({ length: random.int(1, 3) }, (_, n) => {
      const item = random.pick(ctx.items);
      const quantity = random.int(1, 8);
      const unitPrice = Number(item.unitPrice);
      const net = round2(quantity * unitPrice);
      const tax = round2((net * TAX_PERCENT) / 100);
      return {
        sequence: (n + 1) * 10000, itemId: item.id, lineType: 'Item', lineObjectNumber: item.number, description: item.displayName,
        unitOfMeasureCode: 'PCS', quantity, unitPrice, discountAmount: 0, discountPercent: 0, discountAppliedBeforeTax: false,
        amountExcludingTax: net, taxCode: 'FURNITURE', taxPercent: TAX_PERCENT, totalTaxAmount: tax, amountIncludingTax: round2(net + tax),
        invoiceDiscountAllocation: 0, netAmount: net, netTaxAmount: tax, netAmountIncludingTax: round2(net + tax), shipmentDate: date,
      };
    });
    const net = round2(lines.reduce((sum, line) => sum + line.netAmount, 0));
    const tax = round2(lines.reduce((sum, line) => sum + line.netTaxAmount, 0));
    const partner = {
      customerId: customer.id, customerNumber: customer.number, customerName: customer.displayName,
      billToName: customer.displayName, billToCustomerId: customer.id, billToCustomerNumber: customer.number, shipToName: customer.displayName,
      sellToAddressLine1: customer.addressLine1, sellToCity: customer.city, sellToState: customer.state, sellToCountry: customer.country, sellToPostCode: customer.postalCode,
      billToAddressLine1: customer.addressLine1, billToCity: customer.city, billToState: customer.state, billToCountry: customer.country, billToPostCode: customer.postalCode,
      shipToAddressLine1: customer.addressLine1, shipToCity: customer.city, shipToState: customer.state, shipToCountry: customer.country, shipToPostCode: customer.postalCode,
      currencyCode: customer.currencyCode, paymentTermsId: customer.paymentTermsId, salesperson: customer.salespersonCode,
      phoneNumber: customer.phoneNumber, email: customer.email, discountAmount: 0,
      totalAmountExcludingTax: net, totalTaxAmount: tax, totalAmountIncludingTax: round2(net + tax),
    };
    const header = isInvoice
      ? insert(documentSet, {
          ...partner, number, invoiceDate: date, postingDate: date, dueDate: `2026-02-${String(10 + index).padStart(2, '0')}`,
          pricesIncludeTax: false, discountAppliedBeforeTax: false, remainingAmount: round2(net + tax),
          // The first invoices are posted (open, with ledger entries); the last one is still a draft.
          status: index < 3 ? 'Open' : 'Draft',
        })
      : insert(documentSet, {
          ...partner, number, documentDate: date, postingDate: date, dueDate: date, validUntilDate: `2026-02-${String(10 + index).padStart(2, '0')}`,
          status: index === 0 ? 'Accepted' : index === 1 ? 'Sent' : 'Draft', sentDate: index <= 1 ? `${date}T09:00:00Z` : '0001-01-01T00:00:00Z',
          acceptedDate: index === 0 ? date : '0001-01-01',
        });
    for (const line of lines) insert(lineSet, { ...line, documentId: header.id });
    if (isInvoice && header.status === 'Open') {
      postEntry(date, number, '13100', `Invoice ${number}`, round2(net + tax), 0);
      postEntry(date, number, '40200', `Invoice ${number}`, 0, net);
      postEntry(date, number, '20100', `Sales tax ${number}`, 0, tax);
    }
  };
  for (let i = 0; i < 4; i++) seedSalesDocument('salesInvoices', i);
  for (let i = 0; i < 3; i++) seedSalesDocument('salesQuotes', i);

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
