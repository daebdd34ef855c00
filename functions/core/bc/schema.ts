// The shape of an entity set as the query builder and write validation see it: either a standard API v2.0
// set from the catalogue or a custom API declared in code (custom-apis.ts). Names are checked here, so no
// caller-supplied identifier reaches a URL unchecked.
import { findEntitySet, entitySetNames, type EntityNavigation, type EntityProperty } from './entities.js';
import { invalidRequest } from './errors.js';

export interface EntitySchema {
  entitySet: string;
  properties: readonly EntityProperty[];
  navigationProperties: readonly EntityNavigation[];
  /** Parent path for document lines, e.g. `purchaseOrders({id})`; null for company-level sets. */
  parentPath: string | null;
  operations: readonly string[];
  boundActions: readonly string[];
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value);
}

/** Ids go into URL path segments (`customers(<id>)`): only a GUID may get there. */
export function requireGuid(value: unknown, what: string): string {
  if (!isGuid(value)) {
    throw invalidRequest(`${what} must be a GUID (e.g. 00000000-0000-0000-0000-000000000000), got ${describe(value)}`, 'Application_InvalidGUID');
  }
  return value;
}

export function schemaFor(entitySet: string): EntitySchema {
  if (typeof entitySet !== 'string' || entitySet.length === 0) {
    throw invalidRequest('An entity set name is required', 'BadRequest_ResourceNotFound');
  }
  const definition = findEntitySet(entitySet);
  if (!definition) {
    throw invalidRequest(
      `Unknown entity set '${truncate(entitySet)}'. Known entity sets: ${entitySetNames.join(', ')}`,
      'BadRequest_ResourceNotFound',
    );
  }
  return definition;
}

export function propertyOf(schema: EntitySchema, field: string, usage: string): EntityProperty {
  const property = typeof field === 'string' ? schema.properties.find((p) => p.name === field) : undefined;
  if (!property) {
    throw invalidRequest(
      `Unknown field ${describe(field)} in ${usage} for '${schema.entitySet}'. Fields: ${schema.properties.map((p) => p.name).join(', ')}`,
      'BadRequest_NotFound',
    );
  }
  return property;
}

export function navigationOf(schema: EntitySchema, name: string): EntityNavigation {
  const navigation = typeof name === 'string' ? schema.navigationProperties.find((n) => n.name === name) : undefined;
  if (!navigation) {
    const known = schema.navigationProperties.map((n) => n.name);
    throw invalidRequest(
      `Unknown navigation property ${describe(name)} in $expand for '${schema.entitySet}'. ` +
        (known.length ? `Expandable: ${known.join(', ')}` : 'This entity set has no navigation properties'),
      'BadRequest_NotFound',
    );
  }
  return navigation;
}

export function requireOperation(schema: EntitySchema, operation: string): void {
  if (!schema.operations.includes(operation)) {
    throw invalidRequest(
      `'${schema.entitySet}' does not support ${operation} (documented: ${schema.operations.join(', ') || 'none'})`,
      'BadRequest_MethodNotAllowed',
    );
  }
}

/** A short, quoted rendering of a caller value for error messages (never a whole payload). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${truncate(value)}'`;
  if (value === undefined) return 'nothing';
  try {
    return truncate(JSON.stringify(value));
  } catch {
    return typeof value;
  }
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The body of a POST/PATCH with every key checked: unknown fields and read-only fields are refused before
 * BC sees them; `@odata.*` annotations are dropped. On create, document lines may be deep-inserted through a
 * collection navigation property (`salesOrderLines: [...]`), each line checked against its own entity set.
 */
export function checkWritePayload(
  schema: EntitySchema,
  data: unknown,
  mode: 'create' | 'update',
  lookup: (entitySet: string) => EntitySchema | undefined,
): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalidRequest(`The data for '${schema.entitySet}' must be a JSON object, got ${describe(data)}`, 'BadRequest');
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith('@odata.')) continue;
    const property = schema.properties.find((p) => p.name === key);
    if (property) {
      if (property.readOnly) {
        throw invalidRequest(`Field '${key}' of '${schema.entitySet}' is read-only`, 'BadRequest_InvalidOperation');
      }
      body[key] = value;
      continue;
    }
    const navigation = schema.navigationProperties.find((n) => n.name === key);
    const target = navigation?.collection ? lookup(navigation.target) : undefined;
    if (navigation && target && mode === 'create' && Array.isArray(value)) {
      body[key] = value.map((child) => checkWritePayload(target, child, 'create', lookup));
      continue;
    }
    throw invalidRequest(
      `Unknown field ${describe(key)} for '${schema.entitySet}'. Writable fields: ${schema.properties.filter((p) => !p.readOnly).map((p) => p.name).join(', ')}`,
      'BadRequest_NotFound',
    );
  }
  if (mode === 'update' && Object.keys(body).length === 0) {
    throw invalidRequest(`Nothing to update on '${schema.entitySet}': the data has no fields`, 'BadRequest');
  }
  return body;
}
