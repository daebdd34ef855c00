// Typed access to the BC entity catalogue (entities.json, generated from Microsoft's documented shapes by
// scripts/gen-bc-entities.ts). The client, the MCP server and the sandbox share it so that entity-set and
// field names are checked against one source.
import catalogue from './entities.json' with { type: 'json' };

// The error codes have a module of their own: the MCP client recognises BC's errors in every worker, which
// should not load the ~100 KB catalogue for that.
export { bcErrorCodes } from './error-codes.js';

export interface EntityProperty {
  name: string;
  /** Type as documented: GUID, string, decimal, integer, int64, boolean, date, datetime, or NAV.<enum>. */
  type: string;
  readOnly: boolean;
  enumValues?: string[];
}

export interface EntityNavigation {
  name: string;
  target: string;
  collection: boolean;
}

export interface EntitySetDefinition {
  entitySet: string;
  entityName: string;
  /** For lines: the parent path, e.g. `purchaseOrders({id})`; null for company-level sets. */
  parentPath: string | null;
  /** Documented operations: `GET list`, `GET by id`, `POST`, `PATCH`, `DELETE`. */
  operations: string[];
  boundActions: string[];
  properties: EntityProperty[];
  navigationProperties: EntityNavigation[];
}

const definitions = new Map<string, EntitySetDefinition>(
  Object.entries(catalogue.entities).map(([entitySet, e]) => [
    entitySet,
    { entitySet, ...(e as Omit<EntitySetDefinition, 'entitySet'>) },
  ]),
);

export const entitySetNames: readonly string[] = [...definitions.keys()];

export function isEntitySet(name: string): boolean {
  return definitions.has(name);
}

/** The definition of an entity set, or undefined when BC's API v2.0 has no such set in our catalogue. */
export function findEntitySet(name: string): EntitySetDefinition | undefined {
  return definitions.get(name);
}

export function getEntitySet(name: string): EntitySetDefinition {
  const definition = definitions.get(name);
  if (!definition) {
    throw new Error(`Unknown entity set '${name}'. Known: ${entitySetNames.join(', ')}`);
  }
  return definition;
}

export function findProperty(entitySet: string, property: string): EntityProperty | undefined {
  return definitions.get(entitySet)?.properties.find((p) => p.name === property);
}

export function supportsOperation(entitySet: string, operation: string): boolean {
  return definitions.get(entitySet)?.operations.includes(operation) ?? false;
}
