// Custom APIs this project relies on besides the standard API v2.0. Standard BC has no reservation API, so a
// real tenant gets `itemReservations` from an extension; its shape is declared here in the catalogue's own
// form so queries and writes against it are validated exactly like standard entity sets.
import type { EntitySetDefinition } from './entities.js';

export interface CustomApiPath {
  publisher: string;
  group: string;
  version: string;
  entitySet: string;
}

export const itemReservationsApi: CustomApiPath & { definition: EntitySetDefinition } = {
  publisher: 'bcagent',
  group: 'inventory',
  version: 'v1.0',
  entitySet: 'itemReservations',
  definition: {
    entitySet: 'itemReservations',
    entityName: 'itemReservation',
    parentPath: null,
    operations: ['GET list', 'GET by id', 'POST', 'DELETE'],
    boundActions: [],
    properties: [
      { name: 'id', type: 'GUID', readOnly: true },
      { name: 'itemId', type: 'GUID', readOnly: false },
      { name: 'itemNumber', type: 'string', readOnly: false },
      { name: 'locationId', type: 'GUID', readOnly: false },
      { name: 'locationCode', type: 'string', readOnly: false },
      { name: 'quantity', type: 'decimal', readOnly: false },
      { name: 'sourceType', type: 'NAV.reservationSourceType', readOnly: false, enumValues: ['Sales Order', 'Purchase Order', 'Other'] },
      { name: 'sourceId', type: 'GUID', readOnly: false },
      { name: 'sourceNumber', type: 'string', readOnly: false },
      { name: 'description', type: 'string', readOnly: false },
      { name: 'lastModifiedDateTime', type: 'datetime', readOnly: true },
    ],
    navigationProperties: [
      { name: 'item', target: 'items', collection: false },
      { name: 'location', target: 'locations', collection: false },
    ],
  },
};

const knownCustomApis = [itemReservationsApi];

function keyOf(path: CustomApiPath): string {
  return `${path.publisher}/${path.group}/${path.version}/${path.entitySet}`;
}

/** The declared shape of a custom API entity set, or undefined when this project does not know it. */
export function findCustomApi(path: CustomApiPath): EntitySetDefinition | undefined {
  const key = keyOf(path);
  return knownCustomApis.find((api) => keyOf(api) === key)?.definition;
}
