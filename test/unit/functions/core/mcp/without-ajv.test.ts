// What bundles without ajv get for `ajv`: a client created without a jsonSchemaValidator fails at once, loudly,
// instead of validating nothing.
import { describe, expect, it } from 'vitest';
import WithoutAjv from '../../../../../functions/core/mcp/without-ajv.js';

describe('without-ajv', () => {
  it('refuses to be constructed and says what to do', () => {
    expect(() => new WithoutAjv()).toThrow(/ajv is not bundled in this function: give the MCP SDK Client or Server a jsonSchemaValidator/);
  });
});
