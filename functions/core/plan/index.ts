// The plan model: schema, tools, validation and `$ref` resolution (ARCHITECTURE §6).
export * from './schema.js';
export * from './tools.js';
export * from './validate.js';
export { resolveRefs, isRef, parseRefPath, collectRefs, RefResolutionError, RefSyntaxError, type Ref } from './refs.js';
