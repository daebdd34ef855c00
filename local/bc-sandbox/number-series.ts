// Number series as BC's demo company sets them up: documents are always numbered by the series (entity-rules
// refuses manual numbers), master data takes the next series number when the caller gives none.
import type { Store } from './store.js';

interface NumberSeries {
  start: number;
  step: number;
  format: (n: number) => string;
}

export const numberSeries: Record<string, NumberSeries> = {
  customers: { start: 10, step: 10, format: (n) => `C${String(n).padStart(5, '0')}` },
  vendors: { start: 10, step: 10, format: (n) => `V${String(n).padStart(5, '0')}` },
  items: { start: 1000, step: 1, format: (n) => `I${n}` },
  salesOrders: { start: 101001, step: 1, format: String },
  purchaseOrders: { start: 106001, step: 1, format: String },
  // Documents and their posted counterparts, numbered as CRONUS USA's series are.
  salesQuotes: { start: 1001, step: 1, format: (n) => `S-QUO${n}` },
  salesInvoices: { start: 102001, step: 1, format: (n) => `S-INV${n}` },
  postedSalesInvoices: { start: 103001, step: 1, format: (n) => `PS-INV${n}` },
  salesShipments: { start: 102001, step: 1, format: (n) => `S-SHPT${n}` },
  postedSalesCreditMemos: { start: 104001, step: 1, format: (n) => `PS-CR${n}` },
  salesCreditMemos: { start: 1001, step: 1, format: (n) => `S-CR${n}` },
  purchaseInvoices: { start: 107001, step: 1, format: (n) => `P-INV${n}` },
  postedPurchaseInvoices: { start: 108001, step: 1, format: (n) => `PP-INV${n}` },
  purchaseReceipts: { start: 107001, step: 1, format: (n) => `P-RCPT${n}` },
};

export function takeNumber(store: Store, companyId: string, entitySet: string): string {
  const series = numberSeries[entitySet];
  if (!series) throw new Error(`No number series for ${entitySet}`);
  return series.format(store.nextNumber(companyId, entitySet, series.start, series.step));
}
