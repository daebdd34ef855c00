// What `ajv` and `ajv-formats` (both default exports) resolve to in bundles that leave ajv out (lib/constructs/handler-function.ts):
// the MCP SDK's client imports its ajv provider statically even when given another validator, as ours is
// (client.ts). Constructing ajv here means a Client was created without `jsonSchemaValidator`: fail loudly
// instead of validating nothing.
const REFUSAL = 'ajv is not bundled in this function: give the MCP SDK Client a jsonSchemaValidator (functions/core/mcp/client.ts)';

export default class WithoutAjv {
  constructor() {
    throw new Error(REFUSAL);
  }
}
