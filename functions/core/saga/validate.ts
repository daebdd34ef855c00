// The saga's first step: checks the order against BC before anything is written or anyone is asked to
// approve it: the vendor exists and is not blocked, every item exists, is not blocked and is an inventory
// item (only those can be reserved), every location exists, and enough is available (inventory less what is
// already reserved, on a stage with the reservations API) for the quantities asked. All problems are reported
// together.
import { BcNotFoundError } from '../bc/index.js';
import type { SagaBc } from './documents.js';
import { invalidOrder } from './errors.js';
import { operationHashOf } from './identity.js';
import type { PurchaseOrderRequest, SagaContext, ValidatedLine, ValidatedOrder } from './schema.js';

const reservationsApiMissing = (cause: BcNotFoundError) =>
  invalidOrder(
    `This stage reserves inventory (saga.reservations), but BC has no itemReservations API: install the extension of bc-extension/ in this tenant, or turn saga.reservations off (BC said: ${cause.message})`,
  );

export interface ValidateOptions {
  /** Location of lines that name none; without it a line may omit its location only if the company has one. */
  defaultLocationCode?: string;
}

/** BC line numbers step by 10000, as BC numbers lines entered by hand. */
export const LINE_SEQUENCE_STEP = 10_000;

const round = (n: number) => Math.round(n * 1e6) / 1e6;

export async function validateOrder(bc: SagaBc, context: SagaContext, order: PurchaseOrderRequest, options: ValidateOptions = {}): Promise<ValidatedOrder> {
  const companyId = await bc.client.resolveCompany(order.company);
  const company = { company: companyId };
  const itemNumbers = [...new Set(order.lines.map((line) => line.itemNumber))];
  const [vendors, items, locations] = await Promise.all([
    bc.client.query('vendors', { filter: { field: 'number', op: 'eq', value: order.vendorNumber }, select: ['id', 'number', 'displayName', 'blocked'] }, company),
    bc.client.query('items', { filter: { field: 'number', op: 'in', values: itemNumbers }, select: ['id', 'number', 'displayName', 'blocked', 'type', 'inventory'] }, company),
    bc.client.query('locations', { select: ['id', 'code'] }, company),
  ]);
  const problems: string[] = [];

  const vendor = vendors.value[0];
  if (!vendor) problems.push(`vendor ${order.vendorNumber} does not exist`);
  // Blocked 'Payment' stops payments only; BC still accepts purchase orders for such a vendor.
  else if (vendor.blocked === 'All') problems.push(`vendor ${order.vendorNumber} is blocked`);

  const itemByNumber = new Map(items.value.map((item) => [String(item.number), item]));
  for (const number of itemNumbers) {
    const item = itemByNumber.get(number);
    if (!item) problems.push(`item ${number} does not exist`);
    else if (item.blocked === true) problems.push(`item ${number} is blocked`);
    else if (item.type !== 'Inventory') problems.push(`item ${number} is a ${String(item.type)} item: only inventory items can be reserved`);
  }

  const locationByCode = new Map(locations.value.map((l) => [String(l.code).toUpperCase(), l]));
  const fallbackCode = options.defaultLocationCode ?? (locations.value.length === 1 ? String(locations.value[0]!.code) : undefined);
  const lines: ValidatedLine[] = [];
  order.lines.forEach((line, lineIndex) => {
    const code = line.locationCode ?? fallbackCode;
    const location = code === undefined ? undefined : locationByCode.get(code.toUpperCase());
    if (code === undefined) {
      problems.push(`line ${lineIndex + 1} (${line.itemNumber}) needs a locationCode: the company has several locations (${[...locationByCode.keys()].join(', ')})`);
    } else if (!location) {
      problems.push(`line ${lineIndex + 1} (${line.itemNumber}): location ${code} does not exist`);
    }
    const item = itemByNumber.get(line.itemNumber);
    if (item && location) {
      lines.push({
        lineIndex,
        sequence: (lineIndex + 1) * LINE_SEQUENCE_STEP,
        itemId: String(item.id),
        itemNumber: line.itemNumber,
        quantity: line.quantity,
        locationId: String(location.id),
        locationCode: String(location.code),
      });
    }
  });

  // Availability: API v2.0 shows inventory per item (all locations); reservations are what is already promised.
  const stocked = itemNumbers
    .map((n) => itemByNumber.get(n))
    .filter((item): item is Record<string, unknown> => item !== undefined && item.blocked !== true && item.type === 'Inventory');
  if (stocked.length > 0) {
    // Without the extension (a standard tenant) no reservation is visible through the API: inventory alone counts.
    const reserved = bc.reservations
      ? await bc.reservations
          .list({ filter: { field: 'itemId', op: 'in', values: stocked.map((item) => String(item.id)) }, select: ['itemId', 'quantity'] }, company)
          .catch((error: unknown) => {
            // The stage reserves but the tenant lacks the extension: stop here, before anything is written.
            if (error instanceof BcNotFoundError) throw reservationsApiMissing(error);
            throw error;
          })
      : { value: [] as Record<string, unknown>[] };
    for (const item of stocked) {
      const wanted = round(order.lines.filter((l) => l.itemNumber === item.number).reduce((sum, l) => sum + l.quantity, 0));
      const promised = reserved.value.filter((r) => r.itemId === item.id).reduce((sum, r) => sum + Number(r.quantity), 0);
      const available = round(Number(item.inventory) - promised);
      if (wanted > available) problems.push(`item ${String(item.number)}: ${wanted} wanted but only ${available} available`);
    }
  }

  if (problems.length > 0 || !vendor) throw invalidOrder(`The purchase order cannot be made: ${problems.join('; ')}`);
  const summary =
    `Purchase order for vendor ${String(vendor.number)} (${String(vendor.displayName)}): ` +
    lines.map((l) => `${l.quantity} × ${l.itemNumber} at ${l.locationCode}`).join(', ');
  return {
    companyId,
    vendor: { id: String(vendor.id), number: String(vendor.number), displayName: String(vendor.displayName) },
    lines,
    operationHash: operationHashOf(context.tenantId, order),
    summary,
  };
}
