// Regenerates functions/core/bc/entities.json, the compact entity catalogue that the BC client, the MCP
// server and the BC sandbox share, from Microsoft's documented shapes in reference/bc-api-v2.0-reference.json
// (a copy of ../shared/bc-api-v2.0-reference.json). Run: npx tsx scripts/gen-bc-entities.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const reference = JSON.parse(readFileSync(`${root}reference/bc-api-v2.0-reference.json`, 'utf8'));

interface RefProperty { name: string; type: string; readOnly: boolean | null; enumValues?: string[] }
interface RefNavigation { name: string; target: string; collection: boolean }

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
      readOnly: p.readOnly === true,
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

writeFileSync(
  `${root}functions/core/bc/entities.json`,
  `${JSON.stringify({ source: reference.source, entities, errorCodes }, null, 1)}\n`,
);
console.log(`wrote ${Object.keys(entities).length} entity sets, ${errorCodes.length} error codes`);
