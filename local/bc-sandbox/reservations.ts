// The custom itemReservations API: reserve item quantity at a location for a source document. Reserving more
// than is available (on hand at that location less existing reservations) is refused as BC would refuse it.
// A real tenant has it only with the extension of bc-extension/ installed; the sandbox serves it only while
// that is emulated (startBcSandbox `itemReservations`, `setItemReservationsApi`), answering as BC answers a
// route no installed extension publishes otherwise.
import { BcError, bcErrors } from './errors.js';
import { completeRecord, EMPTY_GUID, itemReservationsDefinition } from './schema.js';
import { available } from './inventory.js';
import { reference, type WriteContext } from './entity-rules.js';
import type { StoredRow } from './store.js';

const sourceSets: Record<string, string> = { 'Sales Order': 'salesOrders', 'Purchase Order': 'purchaseOrders' };

/** Like BC's own APIs, the item and location can be named by id or by number/code. */
function required(ctx: WriteContext, entitySet: string, label: string, id: unknown, field: string, value: unknown): StoredRow {
  const row = reference(ctx, entitySet, label, id, field, value);
  if (row) return row;
  const noun = label.toLowerCase();
  throw bcErrors.dialog(`A ${noun}Id or a ${noun}${field === 'number' ? 'Number' : 'Code'} must be provided`);
}

/** Whether the extension that publishes `api/bcagent/inventory/v1.0` is installed (mutable: install, uninstall). */
export interface CustomApiSettings {
  itemReservations: boolean;
}

/**
 * BC's answer to a request for an API route that no installed extension publishes: 404 BadRequest_NotFound
 * "No HTTP resource was found that matches the request URI", for the collection, $metadata and the service
 * document alike (the whole `api/bcagent/inventory/v1.0` root is missing, not one entity set).
 */
export function requireInventoryApi(settings: CustomApiSettings, url: URL): void {
  if (settings.itemReservations) return;
  throw new BcError(404, 'BadRequest_NotFound', `No HTTP resource was found that matches the request URI '${url.origin}${url.pathname}'.`);
}

export function createReservation(ctx: WriteContext, values: Record<string, unknown>): StoredRow {
  const item = required(ctx, 'items', 'Item', values.itemId, 'number', values.itemNumber);
  const location = required(ctx, 'locations', 'Location', values.locationId, 'code', values.locationCode);
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
