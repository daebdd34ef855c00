// The sandbox's view of the shared BC entity catalogue: which entity sets it serves, the custom itemReservations
// API, default values per documented type, and how navigation properties resolve to stored records.
import { itemReservationsApi } from '../../functions/core/bc/index.js';
import { entitySetNames, findEntitySet, type EntityProperty, type EntitySetDefinition } from '../../functions/core/bc/index.js';

export type { EntityProperty, EntitySetDefinition };

/**
 * The standard API v2.0 entity sets the sandbox serves: every set of the shared catalogue (generated from
 * Microsoft's docs), so a set added to the catalogue is served, listed in $metadata and writable as its
 * documented operations and read-only flags allow, with no list to keep in step here.
 */
export const servedEntitySets: readonly string[] = entitySetNames;
export type ServedEntitySet = string;

/**
 * The custom API `/api/bcagent/inventory/v1.0/companies({id})/itemReservations`: standard BC has no reservation
 * API, so a real tenant would get this from an extension. Described in the catalogue's own shape so the query,
 * validation and metadata code treat it like any other entity set. The client's declaration
 * (functions/core/bc/custom-apis.ts) is the contract; the sandbox serves exactly that shape.
 */
export const itemReservationsDefinition: EntitySetDefinition = itemReservationsApi.definition;

/**
 * Members of enums the docs leave unlisted (item ledger entries), as BC's application defines them, so that
 * $metadata can declare them and filters can check values against them.
 */
const undocumentedEnumValues: Record<string, string[]> = {
  'NAV.itemLedgerEntryType': ['Purchase', 'Sale', 'Positive Adjmt.', 'Negative Adjmt.', 'Transfer', 'Consumption', 'Output', ' ', 'Assembly Consumption', 'Assembly Output'],
  'NAV.analysisSourceType': [' ', 'Customer', 'Vendor', 'Item'],
  'NAV.itemLedgerDocumentType': [
    ' ', 'Sales Shipment', 'Sales Invoice', 'Sales Return Receipt', 'Sales Credit Memo', 'Purchase Receipt', 'Purchase Invoice',
    'Purchase Return Shipment', 'Purchase Credit Memo', 'Transfer Shipment', 'Transfer Receipt',
  ],
};

const standardDefinitions = new Map<string, EntitySetDefinition>(
  servedEntitySets.map((name) => {
    const definition = findEntitySet(name);
    if (!definition) throw new Error(`The BC entity catalogue has no entity set '${name}'`);
    const properties = definition.properties.map((p) =>
      p.enumValues || !undocumentedEnumValues[p.type] ? p : { ...p, enumValues: undocumentedEnumValues[p.type] },
    );
    return [name, { ...definition, properties }];
  }),
);

export type ApiKind = 'standard' | 'inventory';

export function definitionFor(api: ApiKind, entitySet: string): EntitySetDefinition | undefined {
  if (api === 'inventory') return entitySet === 'itemReservations' ? itemReservationsDefinition : undefined;
  return standardDefinitions.get(entitySet);
}

export function standardDefinitionsList(): EntitySetDefinition[] {
  return [...standardDefinitions.values()];
}

/**
 * A set reached under a parent record (`salesInvoices({id})/salesInvoiceLines`, `journals({id})/journalLines`):
 * the catalogue's parentPath says which, and the child refers to its parent by `documentId` on document lines,
 * `<parent entity>Id` otherwise.
 */
export function childSetOf(parent: EntitySetDefinition, name: string): { definition: EntitySetDefinition; foreignKey: string } | undefined {
  const definition = standardDefinitions.get(name);
  if (!definition || definition.parentPath !== `${parent.entitySet}({id})`) return undefined;
  const foreignKey = definition.properties.some((p) => p.name === 'documentId') ? 'documentId' : `${parent.entityName}Id`;
  return definition.properties.some((p) => p.name === foreignKey) ? { definition, foreignKey } : undefined;
}

export const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

/** BC never omits a property: blank values are typed blanks. */
export function blankValue(property: EntityProperty): unknown {
  switch (property.type) {
    case 'GUID':
      return EMPTY_GUID;
    case 'decimal':
    case 'integer':
    case 'int64':
      return 0;
    case 'boolean':
      return false;
    case 'date':
      return '0001-01-01';
    case 'datetime':
      return '0001-01-01T00:00:00Z';
    default:
      return property.enumValues?.[0] ?? '';
  }
}

/** A complete record in catalogue order: every documented property present, blanks where not given. */
export function completeRecord(definition: EntitySetDefinition, values: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const property of definition.properties) record[property.name] = values[property.name] ?? blankValue(property);
  return record;
}

/**
 * How a navigation property maps onto stored records: a single record referenced by a foreign key on this
 * record, or a collection whose `foreignKey` points back to this record's id.
 */
export type NavigationResolution =
  | { kind: 'single'; target: string; foreignKey: string }
  | { kind: 'collection'; target: string; foreignKey: string };

const navigationResolutions: Record<string, NavigationResolution> = {
  customer: { kind: 'single', target: 'customers', foreignKey: 'customerId' },
  vendor: { kind: 'single', target: 'vendors', foreignKey: 'vendorId' },
  currency: { kind: 'single', target: 'currencies', foreignKey: 'currencyId' },
  paymentTerm: { kind: 'single', target: 'paymentTerms', foreignKey: 'paymentTermsId' },
  item: { kind: 'single', target: 'items', foreignKey: 'itemId' },
  location: { kind: 'single', target: 'locations', foreignKey: 'locationId' },
  salesOrder: { kind: 'single', target: 'salesOrders', foreignKey: 'documentId' },
  purchaseOrder: { kind: 'single', target: 'purchaseOrders', foreignKey: 'documentId' },
  salesOrderLines: { kind: 'collection', target: 'salesOrderLines', foreignKey: 'documentId' },
  purchaseOrderLines: { kind: 'collection', target: 'purchaseOrderLines', foreignKey: 'documentId' },
};

export function resolveNavigation(definition: EntitySetDefinition, name: string): NavigationResolution | undefined {
  const navigation = definition.navigationProperties.find((n) => n.name === name);
  if (!navigation) return undefined;
  return navigationResolutions[name] ?? inferredResolution(definition, navigation);
}

/**
 * The catalogue's other navigations follow BC's naming: a single-valued one points at the set whose entity it
 * names through `<name>Id` (or `<name>sId`, as paymentTerm → paymentTermsId), a collection of document lines
 * points back through the line's `documentId`. A navigation with no such key (pictures, computed details) has
 * no stored relation to follow and stays unexpandable.
 */
function inferredResolution(definition: EntitySetDefinition, navigation: { name: string; target: string; collection: boolean }): NavigationResolution | undefined {
  if (navigation.collection) {
    const lines = findEntitySet(navigation.target);
    return lines?.properties.some((p) => p.name === 'documentId') ? { kind: 'collection', target: lines.entitySet, foreignKey: 'documentId' } : undefined;
  }
  const target = entitySetNames.map((set) => findEntitySet(set)!).find((set) => set.entityName === navigation.target);
  const foreignKey = [`${navigation.name}Id`, `${navigation.name}sId`].find((key) => definition.properties.some((p) => p.name === key));
  return target && foreignKey ? { kind: 'single', target: target.entitySet, foreignKey } : undefined;
}

/** BC writes enum names XML-encoded in JSON (`_x0020_` for a space); accept both forms on input. */
export function decodeEnumName(value: string): string {
  return value.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
