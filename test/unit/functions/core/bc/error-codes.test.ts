// The error codes module is generated beside the entity catalogue and must say the same: the MCP client
// recognises BC's errors by it without loading the catalogue.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bcErrorCodes } from '../../../../../functions/core/bc/index.js';
import { catalogueOf, errorCodesModule } from '../../../../../scripts/gen-bc-entities.js';

const read = (path: string) => readFileSync(new URL(`../../../../../${path}`, import.meta.url), 'utf8');

describe('bcErrorCodes', () => {
  it('are the catalogue’s documented codes, as the generator writes them', () => {
    const catalogue = JSON.parse(read('functions/core/bc/entities.json')) as { errorCodes: string[] };
    expect(bcErrorCodes).toEqual(catalogue.errorCodes);
    expect(bcErrorCodes).toEqual(catalogueOf(JSON.parse(read('reference/bc-api-v2.0-reference.json'))).errorCodes);
    expect(read('functions/core/bc/error-codes.ts')).toBe(errorCodesModule(catalogue.errorCodes));
    expect(bcErrorCodes).toContain('Request_EntityChanged');
  });
});
