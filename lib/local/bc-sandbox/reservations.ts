// The custom itemReservations API: reserve item quantity at a location for a source document. Reserving more
// than is available (on hand at that location less existing reservations) is refused as BC would refuse it.
import { bcErrors } from './errors.js';
import { completeRecord, EMPTY_GUID, itemReservationsDefinition } from './schema.js';
import { available } from './inventory.js';
import type { WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

const sourceSets: Record<string, string> = { 'Sales Order': 'salesOrders', 'Purchase Order': 'purchaseOrders' };

function lookup(ctx: WriteContext, entitySet: string, label: string, id: unknown, field: string, value: unknown): StoredRow {
  if (typeof id === 'string' && id !== EMPTY_GUID) {
    const row = ctx.store.get(ctx.companyId, entitySet, id);
    if (!row) throw bcErrors.relatedRecordNotFound(label, 'Id', id);
    return row;
  }
  if (typeof value === 'string' && value) {
    const row = ctx.store.find(ctx.companyId, entitySet, (d) => d[field] === value);
    if (!row) throw bcErrors.relatedRecordNotFound(label, field === 'number' ? 'No.' : 'Code', value);
    return row;
  }
  throw bcErrors.dialog(`A ${label.toLowerCase()}Id or a ${label.toLowerCase()}${field === 'number' ? 'Number' : 'Code'} must be provided`);
}

export function createReservation(ctx: WriteContext, values: Record<string, unknown>): StoredRow {
  const item = lookup(ctx, 'items', 'Item', values.itemId, 'number', values.itemNumber);
  const location = lookup(ctx, 'locations', 'Location', values.locationId, 'code', values.locationCode);
  const quantity = values.quantity;
  if (typeof quantity !== 'number' || quantity <= 0) throw bcErrors.fieldValidation('Quantity must be positive in Reservation Entry');
  if (item.data.blocked === true) {
    throw bcErrors.fieldValidation(`Blocked must be equal to 'No'  in Item: No.=${String(item.data.number)}. Current value is 'Yes'`);
  }
  if (item.data.type !== 'Inventory') throw bcErrors.fieldValidation(`Type must be equal to 'Inventory'  in Item: No.=${String(item.data.number)}. Current value is '${String(item.data.type)}'`);
  const sourceType = (values.sourceType as string | undefined) ?? 'Other';
  let sourceNumber = values.sourceNumber;
  const sourceSet = sourceSets[sourceType];
  if (sourceSet) {
    if (typeof values.sourceId !== 'string' || values.sourceId === EMPTY_GUID) throw bcErrors.required('sourceId');
    const source = ctx.store.get(ctx.companyId, sourceSet, values.sourceId);
    if (!source) throw bcErrors.relatedRecordNotFound(sourceType, 'Id', values.sourceId);
    sourceNumber = source.data.number;
  }
  const free = available(ctx.store, ctx.companyId, item.data, String(location.data.id));
  if (quantity > free) {
    throw bcErrors.dialog(
      `You cannot reserve ${quantity} of Item ${String(item.data.number)} at location ${String(location.data.code)}: only ${free} is available`,
    );
  }
  return ctx.store.insert(
    ctx.companyId,
    'itemReservations',
    completeRecord(itemReservationsDefinition, {
      ...values,
      itemId: item.data.id,
      itemNumber: item.data.number,
      locationId: location.data.id,
      locationCode: location.data.code,
      sourceType,
      sourceNumber,
      lastModifiedDateTime: ctx.now(),
    }),
  );
}
