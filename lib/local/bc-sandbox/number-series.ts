// Number series as BC's demo company sets them up: documents are always numbered by the series (manual numbers
// are refused), master data takes the next series number when the caller gives none.
import type { Store } from './store.js';

interface NumberSeries {
  start: number;
  step: number;
  format: (n: number) => string;
  manualAllowed: boolean;
}

export const numberSeries: Record<string, NumberSeries> = {
  customers: { start: 10, step: 10, format: (n) => `C${String(n).padStart(5, '0')}`, manualAllowed: true },
  vendors: { start: 10, step: 10, format: (n) => `V${String(n).padStart(5, '0')}`, manualAllowed: true },
  items: { start: 1000, step: 1, format: (n) => `I${n}`, manualAllowed: true },
  salesOrders: { start: 101001, step: 1, format: String, manualAllowed: false },
  purchaseOrders: { start: 106001, step: 1, format: String, manualAllowed: false },
};

export function takeNumber(store: Store, companyId: string, entitySet: string): string {
  const series = numberSeries[entitySet];
  if (!series) throw new Error(`No number series for ${entitySet}`);
  return series.format(store.nextNumber(companyId, entitySet, series.start, series.step));
}
