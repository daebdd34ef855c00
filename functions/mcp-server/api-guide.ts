// The text of `bc://docs/api`: how a model (or a person) uses this server's tools. Generated from the catalogue
// and the configuration so that it never lists an entity set or a writable set that is not real.
import { bcErrorCodes, entitySetNames, findEntitySet } from '../core/bc/index.js';
import type { WritableEntitySets } from './deps.js';

export function apiGuide(writable: WritableEntitySets): string {
  const writableText =
    writable === '*' ? 'every entity set that BC lets you write' : writable.size ? [...writable].join(', ') : 'none (read-only server)';
  const sets = entitySetNames
    .map((name) => {
      const definition = findEntitySet(name)!;
      const parent = definition.parentPath ? ` (lines of ${definition.parentPath})` : '';
      return `- \`${name}\`${parent}: ${definition.operations.join(', ')}`;
    })
    .join('\n');
  return `# Business Central tools

This MCP server reads and writes Microsoft Dynamics 365 Business Central (API v2.0) for one tenant and environment.
Every tool takes an optional \`company\` (company id); by default it acts on the company in \`bc://company\`.

## Entity sets
${sets}

Schemas (property names, types, read-only flags, enum values, navigation properties): \`bc://schemas/{entitySet}\`.
Writable through this server: ${writableText}.

## Tools
- \`bc_query_entity { entity, filter?, select?, expand?, orderby?, top?, skip?, count?, parentId?, nextLink? }\` returns one page
  \`{ value: [...], count?, nextLink? }\`. Page on by passing \`nextLink\` back (or with \`skip\`).
- \`bc_create_entity { entity, data, parentId? }\` returns the new record with its \`id\` and \`@odata.etag\`.
- \`bc_update_entity { entity, id, data, etag? }\` returns the updated record.
- \`bc_delete_entity { entity, id, etag? }\` returns \`{ deleted: true, entity, id }\`.
- \`bc_batch_operation { operations: [{ method, entity, id?, data?, etag? }], atomic? }\` runs them in one
  \`$batch\`; \`atomic: true\` (at most 100 operations) rolls everything back when one fails.
- \`bc_post_document { entity, action, id }\` posts a document through BC's bound action: \`salesInvoices\`,
  \`salesCreditMemos\`, \`purchaseInvoices\` \`post\`; \`salesOrders\` \`shipAndInvoice\`; \`purchaseOrders\`
  \`receiveAndInvoice\`. It reads the document first (NotFound, AlreadyPosted: nothing is posted twice) and returns
  \`{ documentNumber, summary, posted }\`, the posted document with its new number.

## Filters
A filter is structured, never a string, so values cannot change its meaning:
- condition: \`{ "field": "city", "op": "eq", "value": "Atlanta" }\`; ops \`eq ne gt ge lt le\`, and for text
  \`startswith endswith contains\`; add \`"caseInsensitive": true\` to compare text in lower case;
- list: \`{ "field": "number", "op": "in", "values": ["10000", "20000"] }\`;
- combine: \`{ "and": [ ... ] }\`, \`{ "or": [ ... ] }\`, \`{ "not": { ... } }\`.
Business Central only allows \`or\` between conditions on the same field. Values must match the property type
(numbers for decimals, \`true\`/\`false\` for booleans, GUIDs for ids, \`YYYY-MM-DD\` for dates, ISO date-times with a zone).
Example: customers in Atlanta with a balance, largest first:
\`{ "entity": "customers", "filter": { "and": [ { "field": "city", "op": "eq", "value": "Atlanta" },
{ "field": "balanceDue", "op": "gt", "value": 0 } ] }, "orderby": [ { "field": "balanceDue", "direction": "desc" } ], "top": 5 }\`

## Concurrency
Records carry \`@odata.etag\`. Updates and deletes send it as \`If-Match\`; when someone changed the record
since, the call fails with \`Request_EntityChanged\`: read it again and decide, nothing is overwritten.

## Errors
A failed call is a tool result with \`isError: true\` whose text starts with Business Central's error code, e.g.
\`Request_EntityChanged\`, \`BadRequest_NotFound\` (unknown field), \`BadRequest_ResourceNotFound\` (unknown entity
set), \`BadRequest_MethodNotAllowed\` (writes switched off or not supported), \`Internal_RecordNotFound\`,
and \`DependencyUnavailable\` when Business Central keeps failing and calls are paused for a while: retry later.
Codes BC documents: ${bcErrorCodes.join(', ')}.
`;
}
