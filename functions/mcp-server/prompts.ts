// Prompts: `query_builder` turns a request in words into bc_query_entity arguments; `data_validator` checks a
// record against an entity set's schema before it is written. Both embed the catalogue's view of the entity set
// so the model works from the real property names and types.
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { entitySetNames, getEntitySet, type EntitySetDefinition } from '../core/bc/index.js';

const entityArg = z.enum(entitySetNames as [string, ...string[]]);

/** Entity sets starting with what was typed so far (any case), for `completion/complete`. */
export function completeEntitySet(typed: string | undefined): string[] {
  const prefix = (typed ?? '').toLowerCase();
  return entitySetNames.filter((name) => name.toLowerCase().startsWith(prefix));
}

function describeProperties(definition: EntitySetDefinition): string {
  return definition.properties
    .map((p) => {
      const flags = [p.type, p.readOnly ? 'read-only' : '', p.enumValues ? `one of ${p.enumValues.join(' | ')}` : '']
        .filter(Boolean)
        .join(', ');
      return `- ${p.name}: ${flags}`;
    })
    .join('\n');
}

export function registerBcPrompts(server: McpServer): void {
  server.registerPrompt(
    'query_builder',
    {
      title: 'Build a Business Central query',
      description: 'Turns a request in plain words into arguments for bc_query_entity.',
      argsSchema: {
        request: z.string().min(1).max(2000).describe('What to find, e.g. "the 5 Atlanta customers owing the most"'),
        entity: completable(entityArg.optional().describe('Entity set to query, when known'), completeEntitySet),
      },
    },
    ({ request, entity }) => {
      const schemaText = entity
        ? `Entity set \`${entity}\` has these properties:\n${describeProperties(getEntitySet(entity))}\n` +
          `Expandable: ${getEntitySet(entity).navigationProperties.map((n) => n.name).join(', ') || 'nothing'}.`
        : `Pick the entity set from: ${entitySetNames.join(', ')} (schemas at bc://schemas/{entitySet}).`;
      return {
        description: 'Arguments for bc_query_entity',
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Write the arguments of one bc_query_entity call that answers this request:\n\n${request}\n\n` +
                `${schemaText}\n\n` +
                'Rules: use only the property names listed; the filter is structured JSON ' +
                "({ field, op, value }, { field, op: 'in', values }, { and: [...] }, { or: [...] }, { not: {...} }), " +
                "never an OData string; 'or' only between conditions on the same field; values typed as the property " +
                '(numbers, true/false, GUIDs, YYYY-MM-DD dates); select only the fields the answer needs; set top when ' +
                'the request asks for a number of records. Answer with the JSON arguments object only.',
            },
          },
        ],
      };
    },
  );

  server.registerPrompt(
    'data_validator',
    {
      title: 'Validate a Business Central record',
      description: "Checks a record (JSON) against an entity set's schema and business rules before it is written.",
      argsSchema: {
        entity: completable(entityArg.describe('Entity set the record is for'), completeEntitySet),
        data: z.string().min(2).max(100_000).describe('The record as a JSON object'),
      },
    },
    ({ entity, data }) => {
      let record: unknown;
      try {
        record = JSON.parse(data);
      } catch {
        throw new McpError(ErrorCode.InvalidParams, "data_validator: 'data' must be a JSON object");
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new McpError(ErrorCode.InvalidParams, "data_validator: 'data' must be a JSON object");
      }
      const definition = getEntitySet(entity);
      return {
        description: `Validation of a ${definition.entityName} record`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text:
                `Validate this record for the Business Central entity set \`${entity}\` before it is written:\n\n` +
                `\`\`\`json\n${JSON.stringify(record, null, 2)}\n\`\`\`\n\n` +
                `Schema:\n${describeProperties(definition)}\n\n` +
                'Report every problem: properties not in the schema, read-only properties that are set, values of the ' +
                'wrong type or outside the listed values, GUID references that are not GUIDs, empty names or numbers, ' +
                'negative quantities or prices, and anything that would make Business Central reject the write. ' +
                'Answer with JSON only: { "valid": boolean, "issues": [ { "field": string, "problem": string } ] }.',
            },
          },
        ],
      };
    },
  );
}
