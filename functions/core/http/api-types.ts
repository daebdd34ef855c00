// The HTTP API's schemas as docs/openapi.json defines them, generated into api-schema.d.ts (`npm run
// gen:api-types`; openapi-tools.test.ts keeps it in step with the document). What the API answers is typed with
// these, as the web console's reading of it is, so neither restates the contract.
import type { components } from './api-schema.js';

export type ApiSchemas = components['schemas'];
