// Regenerates functions/core/bc/entities.json, the compact entity catalogue that the BC client, the MCP
// server, plan validation and the BC sandbox share, from Microsoft's documented shapes in
// reference/bc-api-v2.0-reference.json (extracted by scripts/extract-bc-reference.ts).
// Run: npx tsx scripts/gen-bc-entities.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface RefProperty { name: string; type: string; readOnly: boolean | null; editableInApiPage?: boolean | null; enumValues?: string[] }
interface RefNavigation { name: string; target: string; collection: boolean }
interface RefApiPage { insertAllowed: boolean; modifyAllowed: boolean }

/**
 * Whether a client may not write a property. The docs mark only some fields (`readOnly: true`) and are silent
 * on the rest (`null`), so silence is not permission: a field is writable only when the entity takes writes
 * (POST or PATCH documented, and its API page allows inserts or modifications) and the API page's field is
 * editable. A field the page does not have is read-only.
 */
export function isReadOnly(property: RefProperty, operations: readonly string[], apiPage: RefApiPage | null): boolean {
  if (property.readOnly === true) return true;
  if (!operations.includes('POST') && !operations.includes('PATCH')) return true;
  if (!apiPage || (!apiPage.insertAllowed && !apiPage.modifyAllowed)) return true;
  return property.editableInApiPage !== true;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function catalogueOf(reference: any) {
  const entities: Record<string, unknown> = {};
  for (const [entitySet, entity] of Object.entries<any>(reference.entities)) {
    entities[entitySet] = {
      entityName: entity.entityName,
      parentPath: entity.parentPath ?? null,
      operations: entity.operations,
      boundActions: entity.boundActions ?? [],
      properties: (entity.properties as RefProperty[]).map((p) => ({
        name: p.name,
        type: p.type,
        readOnly: isReadOnly(p, entity.operations, entity.apiPage ?? null),
        ...(p.enumValues ? { enumValues: p.enumValues } : {}),
      })),
      navigationProperties: (entity.navigationProperties as RefNavigation[]).map((n) => ({
        name: n.name,
        target: n.target,
        collection: n.collection,
      })),
    };
  }
  const errorCodes = [...new Set((reference.errorCodes as { code: string }[]).map((e) => e.code))].sort();
  return { source: reference.source, entities, errorCodes };
}

function main(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const reference = JSON.parse(readFileSync(`${root}reference/bc-api-v2.0-reference.json`, 'utf8'));
  const catalogue = catalogueOf(reference);
  writeFileSync(`${root}functions/core/bc/entities.json`, `${JSON.stringify(catalogue, null, 1)}\n`);
  console.log(`wrote ${Object.keys(catalogue.entities).length} entity sets, ${catalogue.errorCodes.length} error codes`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
