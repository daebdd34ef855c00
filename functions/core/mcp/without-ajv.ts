// What `ajv` and `ajv-formats` (both default exports) resolve to in the Lambda bundles
// (lib/constructs/handler-function.ts): the MCP SDK's Client and Server import their ajv provider statically even
// when given another validator, as ours are (functions/core/mcp/client.ts, functions/mcp-server/server.ts).
// Constructing ajv here means a Client or Server was created without `jsonSchemaValidator`: fail loudly instead
// of validating nothing.
const REFUSAL = 'ajv is not bundled in this function: give the MCP SDK Client or Server a jsonSchemaValidator';

export default class WithoutAjv {
  constructor() {
    throw new Error(REFUSAL);
  }
}
