// Inventory as BC derives it: quantity on hand per item and location is the sum of item ledger entries (the
// location is kept on the entry but not exposed by API v2.0); available = on hand - reserved.
import type { Store } from './store.js';

export function defaultLocationId(store: Store, companyId: string): string | undefined {
  const locations = store.list(companyId, 'locations');
  return String((locations.find((l) => l.data.code === 'MAIN') ?? locations[0])?.data.id ?? '') || undefined;
}

export function onHand(store: Store, companyId: string, itemNumber: string, locationId: string): number {
  return store
    .list(companyId, 'itemLedgerEntries')
    .filter((e) => e.data.itemNumber === itemNumber && e.hidden?.locationId === locationId)
    .reduce((sum, e) => sum + Number(e.data.quantity), 0);
}

export function reserved(store: Store, companyId: string, itemId: string, locationId: string, exceptSourceId?: string): number {
  return store
    .list(companyId, 'itemReservations')
    .filter((r) => r.data.itemId === itemId && r.data.locationId === locationId && (!exceptSourceId || r.data.sourceId !== exceptSourceId))
    .reduce((sum, r) => sum + Number(r.data.quantity), 0);
}

export function available(store: Store, companyId: string, item: Record<string, unknown>, locationId: string, exceptSourceId?: string): number {
  return onHand(store, companyId, String(item.number), locationId) - reserved(store, companyId, String(item.id), locationId, exceptSourceId);
}

/** Records an item ledger entry and keeps the item's `inventory` equal to the sum of its entries. */
export function postItemEntry(store: Store, companyId: string, entry: Record<string, unknown>, locationId: string, itemId: string): void {
  const entryNumber = store.list(companyId, 'itemLedgerEntries').reduce((max, e) => Math.max(max, Number(e.data.entryNumber)), 0) + 1;
  store.insert(companyId, 'itemLedgerEntries', { ...entry, entryNumber }, { locationId });
  const item = store.get(companyId, 'items', itemId);
  if (item) store.update(companyId, 'items', itemId, { inventory: Number(item.data.inventory) + Number(entry.quantity), lastModifiedDateTime: entry.lastModifiedDateTime });
}
