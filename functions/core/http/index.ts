export * from './errors.js';
export * from './responses.js';
export * from './request.js';
export * from './claims.js';
export * from './claim-mapping.js';
export * from './validation.js';
export * from './router.js';
