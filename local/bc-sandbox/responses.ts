// Shaping stored rows into BC's JSON: `@odata.etag` first, properties in catalogue order, $select applied,
// expanded navigation properties appended; and the `@odata.context` URLs BC sends.
import { applyCollection, selectProperties, type ExpandOption, type QueryOptions } from './odata/query.js';
import { definitionFor, type ApiKind, type EntitySetDefinition } from './schema.js';
import { etagOf, type Store, type StoredRow } from './store.js';

export interface ShapeContext {
  store: Store;
  companyId: string;
  api: ApiKind;
}

export function shapeRecord(ctx: ShapeContext, row: StoredRow, definition: EntitySetDefinition, options?: Pick<QueryOptions, 'select' | 'expand'>): Record<string, unknown> {
  const out: Record<string, unknown> = { '@odata.etag': etagOf(row), ...selectProperties(row.data, definition, options?.select) };
  for (const expand of options?.expand ?? []) out[expand.name] = expandNavigation(ctx, row, expand);
  return out;
}

function expandNavigation(ctx: ShapeContext, row: StoredRow, expand: ExpandOption): unknown {
  const target = definitionFor(ctx.api, expand.resolution.target) ?? definitionFor('standard', expand.resolution.target)!;
  const { resolution, options } = expand;
  if (resolution.kind === 'single') {
    const related = ctx.store.get(ctx.companyId, resolution.target, String(row.data[resolution.foreignKey]));
    return related ? shapeRecord(ctx, related, target, options) : null;
  }
  const children = ctx.store.list(ctx.companyId, resolution.target).filter((child) => child.data[resolution.foreignKey] === row.data.id);
  const result = applyCollection(children, (c) => c.data, options, target, Number.MAX_SAFE_INTEGER);
  return result.page.map((child) => shapeRecord(ctx, child, target, options));
}

/** `…/$metadata#companies(<id>)/customers(number,displayName)` plus `/$entity` for a single record. */
export function contextUrl(serviceRoot: string, path: string, select: string[] | undefined, single: boolean): string {
  return `${serviceRoot}/$metadata#${path}${select ? `(${select.join(',')})` : ''}${single ? '/$entity' : ''}`;
}
