// Resources: `bc://schemas/{entitySet}` (from BC's $metadata, one per catalogue entity set), `bc://company`
// (the company the tools act on, and the others available) and `bc://docs/api` (how to use the tools).
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { entitySetNames, isEntitySet } from '../core/bc/index.js';
import { isWritable, type BcMcpServerDeps } from './deps.js';
import { apiGuide } from './api-guide.js';
import { entitySchemaDocument, type EntitySchemaCache } from './entity-schemas.js';

export const SCHEMA_URI_TEMPLATE = 'bc://schemas/{entitySet}';
export const COMPANY_URI = 'bc://company';
export const API_DOCS_URI = 'bc://docs/api';

export function registerBcResources(server: McpServer, deps: BcMcpServerDeps, schemas: EntitySchemaCache): void {
  const json = (uri: URL, value: unknown) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
  });

  server.registerResource(
    'entity-schema',
    new ResourceTemplate(SCHEMA_URI_TEMPLATE, {
      list: () => ({
        resources: entitySetNames.map((name) => ({
          uri: `bc://schemas/${name}`,
          name: `${name} schema`,
          mimeType: 'application/json',
        })),
      }),
      complete: { entitySet: (prefix) => entitySetNames.filter((name) => name.startsWith(prefix)) },
    }),
    {
      title: 'Entity set schema',
      description:
        "An entity set's properties (type, nullability, max length, enum values, read-only), key, navigation " +
        "properties, operations and whether this server writes it, from BC's $metadata.",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const entitySet = String(variables.entitySet);
      if (!isEntitySet(entitySet)) {
        throw new McpError(ErrorCode.InvalidParams, `Unknown entity set '${entitySet}'. Known: ${entitySetNames.join(', ')}`);
      }
      const metadata = await schemas.get(entitySet);
      return json(uri, entitySchemaDocument(metadata, isWritable(deps.writableEntitySets, entitySet)));
    },
  );

  server.registerResource(
    'company',
    COMPANY_URI,
    {
      title: 'Business Central company',
      description: 'The company the tools act on by default, and every company the credentials can reach.',
      mimeType: 'application/json',
    },
    async (uri) => {
      const companies = await deps.bc.companies();
      // BC_COMPANY_ID is a GUID (any case) or a name, as the BC client resolves it for the tools.
      const configured = deps.companyId;
      const current =
        (configured &&
          companies.find((c) => String(c.id).toLowerCase() === configured.toLowerCase() || c.name === configured || c.displayName === configured)) ||
        companies[0];
      return json(uri, { company: current ?? null, companies });
    },
  );

  server.registerResource(
    'api-docs',
    API_DOCS_URI,
    {
      title: 'How to use the Business Central tools',
      description: 'Tools, the structured filter language, paging, ETags, errors and which entity sets are writable.',
      mimeType: 'text/markdown',
    },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: apiGuide(deps.writableEntitySets) }],
    }),
  );
}
