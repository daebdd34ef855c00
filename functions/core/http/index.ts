export { type ClaimMapping, claimMappingFromEnv, claimMappingToEnv, defaultClaims, ENTRA_CLAIMS, GENERIC_CLAIMS, type IdentityProvider, isEntraIssuer } from './claim-mapping.js';
export { parseRoles, readCaller } from './claims.js';
export { conflict, forbidden, HttpError, notFound, serviceUnavailable, unprocessable, validationError } from './errors.js';
export { parseJsonBody, pathId } from './request.js';
export { errorResponse, type HttpResponse, json } from './responses.js';
export { createRouter, type Route, type RouteContext } from './router.js';
export { validate } from './validation.js';
export type { Caller } from './claims.js';
export type { ApiSchemas } from './api-types.js';
