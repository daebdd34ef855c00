// The deterministic demo data: fixed name lists combined by a seeded PRNG, so every start (and every reset)
// produces the same companies, ids, numbers and amounts.
import { SeededRandom } from './prng.js';
import { Store, type SandboxState } from './store.js';
import { completeRecord, definitionFor } from './schema.js';
import { itemDefaultsForLine, linesOf, recomputeDocument, type DocumentSet } from './documents.js';
import { takeNumber } from './number-series.js';
import { seedCatalogue } from './catalogue-seed.js';

const SEED_TIME = '2026-01-05T08:00:00Z';
const SYSTEM_USER = '5f1d4c7a-0c2e-4b8e-9a61-2d3e4f5a6b7c';

const customerNames = [
  'Adatum Corporation', 'Trey Research', 'School of Fine Art', 'Alpine Ski House', 'Relecloud',
  "O'Brien Outdoor Supply", 'Coho Winery', 'Fabrikam Residences', 'Contoso Pharmaceuticals', 'Northwind Traders',
  'Tailspin Toys', 'Wide World Importers', 'Litware Inc.', 'Proseware Ltd.', 'Lucerne Publishing',
  'Margie\'s Travel', 'Woodgrove Bank', 'Blue Yonder Airlines', 'Humongous Insurance', 'Graphic Design Institute',
  'Consolidated Messenger', 'Fourth Coffee', 'Southridge Video', 'VanArsdel Ltd.', 'Wingtip Toys',
  'City Power & Light', 'Munson\'s Pickles and Preserves', 'A. Datum Retail', 'Bellows College', 'Best For You Organics',
  'Nod Publishers', 'First Up Consultants',
];
const vendorNames = [
  'Fabrikam, Inc.', 'First Up Consultants', 'Graphic Design Institute', 'Wide World Importers', 'Nod Publishers',
  'Contoso Suites', 'Litware Supply', 'Proseware Components', 'Tailspin Parts', 'Woodgrove Office',
  'Coho Vineyard Supplies', 'Northwind Furniture', 'Alpine Timber Co.', 'Lamna Healthcare', 'Trey Lighting',
];
const cities = [
  { city: 'Atlanta', state: 'GA', postalCode: '31772' }, { city: 'Chicago', state: 'IL', postalCode: '61236' },
  { city: 'Miami', state: 'FL', postalCode: '37125' }, { city: 'Seattle', state: 'WA', postalCode: '98101' },
  { city: 'Boston', state: 'MA', postalCode: '02108' }, { city: 'Denver', state: 'CO', postalCode: '80202' },
  { city: 'Austin', state: 'TX', postalCode: '73301' }, { city: 'Portland', state: 'OR', postalCode: '97201' },
];
const streets = ['Main Street', 'Day Drive', 'Oak Avenue', 'Harbor Road', 'Lake Boulevard', 'Elm Court', 'Pine Lane'];
const itemCities = [
  'ATHENS', 'PARIS', 'ROME', 'MEXICO', 'MUNICH', 'MOSCOW', 'SEOUL', 'TOKYO', 'LONDON', 'AMSTERDAM',
  'BERLIN', 'ANTWERP', 'ATLANTA', 'SYDNEY', 'CHAMONIX', 'BERN', 'LISBON', 'OSLO', 'DUBLIN', 'MADRID',
];
const itemKinds = ['Desk', 'Guest Chair, black', 'Swivel Chair, blue', 'Conference Table', 'Mobile Pedestal', 'Whiteboard, base', 'Lamp', 'Storage Unit'];
const paymentTermsList = [
  { code: '14 DAYS', displayName: 'Net 14 days', dueDateCalculation: '14D', discountDateCalculation: '', discountPercent: 0 },
  { code: '1M(8D)', displayName: '1 Month/2% 8 days', dueDateCalculation: '1M', discountDateCalculation: '8D', discountPercent: 2 },
  { code: '21 DAYS', displayName: 'Net 21 days', dueDateCalculation: '21D', discountDateCalculation: '', discountPercent: 0 },
  { code: '30 DAYS', displayName: 'Net 30 days', dueDateCalculation: '30D', discountDateCalculation: '', discountPercent: 0 },
  { code: 'CM', displayName: 'Current Month', dueDateCalculation: 'CM', discountDateCalculation: '', discountPercent: 0 },
  { code: 'COD', displayName: 'Cash on delivery', dueDateCalculation: '0D', discountDateCalculation: '', discountPercent: 0 },
];
const currencyList = [
  { code: 'CAD', displayName: 'Canadian dollar', symbol: '$' },
  { code: 'EUR', displayName: 'Euro', symbol: '€' },
  { code: 'GBP', displayName: 'Pound Sterling', symbol: '£' },
  { code: 'JPY', displayName: 'Japanese yen', symbol: '¥' },
  { code: 'MXN', displayName: 'Mexican peso', symbol: '$' },
];
const locationList = [
  { code: 'MAIN', displayName: 'Main Warehouse', city: 'Atlanta', state: 'GA', postalCode: '31772' },
  { code: 'EAST', displayName: 'East Warehouse', city: 'Boston', state: 'MA', postalCode: '02108' },
  { code: 'WEST', displayName: 'West Warehouse', city: 'Seattle', state: 'WA', postalCode: '98101' },
];

interface CompanyPlan {
  name: string;
  customers: number;
  vendors: number;
  items: number;
  salesOrders: number;
  purchaseOrders: number;
}

const companyPlans: CompanyPlan[] = [
  { name: 'CRONUS USA, Inc.', customers: 32, vendors: 15, items: 40, salesOrders: 10, purchaseOrders: 8 },
  { name: 'My Company', customers: 5, vendors: 3, items: 6, salesOrders: 2, purchaseOrders: 1 },
];

/** Builds the seed state; same input, same output. */
export function buildSeed(): SandboxState {
  const random = new SeededRandom(20260105);
  const store = new Store(() => ({ rowVersion: 0, companies: {} }));
  for (const plan of companyPlans) seedCompany(store, random, plan);
  return store.exportState();
}

function complete(entitySet: string, values: Record<string, unknown>): Record<string, unknown> {
  return completeRecord(definitionFor('standard', entitySet)!, { lastModifiedDateTime: SEED_TIME, ...values });
}

function money(random: SeededRandom, min: number, max: number): number {
  return Math.round((min + random.next() * (max - min)) * 10) / 10;
}

function address(random: SeededRandom): { addressLine1: string; city: string; state: string; country: string; postalCode: string } {
  const place = random.pick(cities);
  return { addressLine1: `${random.int(1, 999)} ${random.pick(streets)}`, ...place, country: 'US' };
}

function seedCompany(store: Store, random: SeededRandom, plan: CompanyPlan): void {
  const companyId = random.guid();
  store.addCompany(
    completeRecord(definitionFor('standard', 'companies')!, {
      id: companyId,
      systemVersion: '27.0.38460.41312',
      timestamp: 0,
      name: plan.name,
      displayName: plan.name,
      businessProfileId: '',
      systemCreatedAt: SEED_TIME,
      systemCreatedBy: SYSTEM_USER,
      systemModifiedAt: SEED_TIME,
      systemModifiedBy: SYSTEM_USER,
    }),
  );
  const insert = (entitySet: string, values: Record<string, unknown>, hidden?: Record<string, string>) =>
    store.insert(companyId, entitySet, complete(entitySet, { id: random.guid(), ...values }), hidden).data;

  const currencies = currencyList.map((c) =>
    insert('currencies', { ...c, amountDecimalPlaces: c.code === 'JPY' ? '0:0' : '2:2', amountRoundingPrecision: c.code === 'JPY' ? 1 : 0.01 }),
  );
  const paymentTerms = paymentTermsList.map((t) => insert('paymentTerms', { ...t, calculateDiscountOnCreditMemos: false }));
  const locations = locationList.map((l) =>
    insert('locations', { ...l, addressLine1: `${random.int(1, 999)} ${random.pick(streets)}`, country: 'US', contact: 'Warehouse Manager', phoneNumber: `555-01${random.int(10, 99)}`, email: `${l.code.toLowerCase()}@cronus.example`, website: '' }),
  );
  const mainLocation = locations[0]!;

  const customers = customerNames.slice(0, plan.customers).map((name, i) => {
    const currency = i % 9 === 8 ? random.pick(currencies) : undefined;
    const terms = random.pick(paymentTerms);
    return insert('customers', {
      number: String((i + 1) * 10000),
      displayName: name,
      type: i % 7 === 6 ? 'Person' : 'Company',
      ...address(random),
      phoneNumber: `555-0${random.int(100, 999)}`,
      email: `contact${i + 1}@${name.toLowerCase().replace(/[^a-z]/g, '').slice(0, 12)}.example`,
      website: '',
      salespersonCode: random.pick(['JR', 'PS', 'HR']),
      creditLimit: random.pick([0, 5000, 10000, 25000]),
      taxLiable: i % 3 !== 2,
      taxAreaDisplayName: '',
      currencyId: currency?.id,
      currencyCode: currency?.code ?? '',
      paymentTermsId: terms.id,
      // One customer is blocked for everything so validation paths have something to hit.
      blocked: i === plan.customers - 1 ? 'All' : ' ',
    });
  });

  const vendors = vendorNames.slice(0, plan.vendors).map((name, i) => {
    const terms = random.pick(paymentTerms);
    return insert('vendors', {
      number: String((i + 1) * 10000),
      displayName: name,
      ...address(random),
      phoneNumber: `555-1${random.int(100, 999)}`,
      email: `orders${i + 1}@${name.toLowerCase().replace(/[^a-z]/g, '').slice(0, 12)}.example`,
      paymentTermsId: terms.id,
      taxLiable: i % 2 === 0,
      blocked: ' ',
      balance: 0,
    });
  });

  const unitOfMeasureId = random.guid();
  const items = Array.from({ length: plan.items }, (_, i) => {
    const unitPrice = money(random, 40, 1500);
    const isService = i === plan.items - 1;
    return insert('items', {
      number: `${1896 + i * 4}-S`,
      displayName: `${itemCities[i % itemCities.length]} ${itemKinds[i % itemKinds.length]}`,
      type: isService ? 'Service' : 'Inventory',
      itemCategoryCode: i % 2 === 0 ? 'FURNITURE' : 'OFFICE',
      // The second-to-last item is blocked (validation tests order it and expect a refusal).
      blocked: i === plan.items - 2,
      gtin: String(7_350_000_000_000 + i * 17),
      unitPrice,
      priceIncludesTax: false,
      unitCost: Math.round(unitPrice * 0.62 * 100) / 100,
      taxGroupCode: i % 4 === 3 ? 'LABOR' : 'FURNITURE',
      baseUnitOfMeasureId: unitOfMeasureId,
      baseUnitOfMeasureCode: 'PCS',
      generalProductPostingGroupCode: isService ? 'SERVICES' : 'RETAIL',
      inventoryPostingGroupCode: isService ? '' : 'RESALE',
      inventory: 0,
    });
  });

  // Opening inventory: a positive adjustment per stocked item at MAIN, some at EAST as well.
  let entryNumber = 0;
  for (const [i, item] of items.entries()) {
    if (item.type !== 'Inventory') continue;
    const perLocation: Array<[Record<string, unknown>, number]> = [[mainLocation, random.int(20, 200)]];
    if (i % 2 === 0) perLocation.push([locations[1]!, random.int(5, 60)]);
    let total = 0;
    for (const [location, quantity] of perLocation) {
      total += quantity;
      insert(
        'itemLedgerEntries',
        {
          entryNumber: ++entryNumber,
          itemNumber: item.number,
          postingDate: '2026-01-02',
          entryType: 'Positive Adjmt.',
          sourceNumber: '',
          sourceType: ' ',
          documentNumber: 'T00001',
          documentType: ' ',
          description: 'Opening inventory',
          quantity,
          salesAmountActual: 0,
          costAmountActual: Math.round(quantity * Number(item.unitCost) * 100) / 100,
        },
        { locationId: String(location.id) },
      );
    }
    store.update(companyId, 'items', String(item.id), { inventory: total });
  }

  const openCustomers = customers.filter((c) => c.blocked === ' ');
  const orderableItems = items.filter((item) => item.blocked !== true && item.type === 'Inventory');
  const seedDocument = (documentSet: DocumentSet, partner: Record<string, unknown>, index: number) => {
    const date = `2026-01-${String(6 + index).padStart(2, '0')}`;
    const isSales = documentSet === 'salesOrders';
    const header = isSales
      ? {
          number: takeNumber(store, companyId, 'salesOrders'),
          orderDate: date, postingDate: date, requestedDeliveryDate: date,
          customerId: partner.id, customerNumber: partner.number, customerName: partner.displayName,
          billToName: partner.displayName, billToCustomerId: partner.id, billToCustomerNumber: partner.number,
          shipToName: partner.displayName, sellToAddressLine1: partner.addressLine1, sellToCity: partner.city,
          sellToState: partner.state, sellToCountry: partner.country, sellToPostCode: partner.postalCode,
          billToAddressLine1: partner.addressLine1, billToCity: partner.city, billToState: partner.state,
          billToCountry: partner.country, billToPostCode: partner.postalCode,
          shipToAddressLine1: partner.addressLine1, shipToCity: partner.city, shipToState: partner.state,
          shipToCountry: partner.country, shipToPostCode: partner.postalCode,
          currencyId: partner.currencyId, currencyCode: partner.currencyCode, paymentTermsId: partner.paymentTermsId,
          salesperson: partner.salespersonCode, partialShipping: true, status: index % 3 === 0 ? 'Draft' : 'Open',
          phoneNumber: partner.phoneNumber, email: partner.email,
        }
      : {
          number: takeNumber(store, companyId, 'purchaseOrders'),
          orderDate: date, postingDate: date, requestedReceiptDate: date,
          vendorId: partner.id, vendorNumber: partner.number, vendorName: partner.displayName,
          payToName: partner.displayName, payToVendorId: partner.id, payToVendorNumber: partner.number,
          shipToName: 'CRONUS USA, Inc.', buyFromAddressLine1: partner.addressLine1, buyFromCity: partner.city,
          buyFromState: partner.state, buyFromCountry: partner.country, buyFromPostCode: partner.postalCode,
          payToAddressLine1: partner.addressLine1, payToCity: partner.city, payToState: partner.state,
          payToCountry: partner.country, payToPostCode: partner.postalCode,
          currencyId: partner.currencyId, currencyCode: partner.currencyCode, paymentTermsId: partner.paymentTermsId,
          purchaser: 'MH', status: index % 3 === 0 ? 'Draft' : 'Open',
        };
    const document = insert(documentSet, header);
    const lineSet = linesOf[documentSet];
    const lineCount = random.int(1, 4);
    for (let n = 1; n <= lineCount; n++) {
      const item = random.pick(orderableItems);
      const quantity = random.int(1, 12);
      insert(lineSet, {
        documentId: document.id,
        sequence: n * 10000,
        lineType: 'Item',
        ...itemDefaultsForLine(item, lineSet),
        quantity,
        discountPercent: n === 2 ? 5 : 0,
        locationId: mainLocation.id,
        ...(isSales
          ? { shipmentDate: date, invoiceQuantity: quantity, shipQuantity: quantity }
          : { expectedReceiptDate: date, invoiceQuantity: quantity, receiveQuantity: quantity }),
      });
    }
    recomputeDocument(store, companyId, documentSet, String(document.id));
  };
  for (let i = 0; i < plan.salesOrders; i++) seedDocument('salesOrders', openCustomers[i % openCustomers.length]!, i);
  for (let i = 0; i < plan.purchaseOrders; i++) seedDocument('purchaseOrders', vendors[i % vendors.length]!, i);
  seedCatalogue({ store, companyId, seed: 20260105 + companyPlans.indexOf(plan), seedTime: SEED_TIME, customers: openCustomers, items: orderableItems });
}
