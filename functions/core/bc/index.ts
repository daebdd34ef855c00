// Public surface of the Business Central API v2.0 client (used by the MCP server and the saga steps).
export { BcClient } from './client.js';
export type { BcClientConfig, BcClientOptions, QueryResult, QueryOptions, CustomApiClient } from './client.js';
export type { ODataFilter, ODataQuery, ODataOrderBy, ODataLiteral } from './odata.js';
export { buildFilter, buildQueryOptions, buildQueryString, formatLiteral, quoteString, FILTER_LIMITS } from './odata.js';
export type { BatchOperation, BatchResult, BatchMethod } from './batch.js';
export { MAX_BATCH_OPERATIONS } from './batch.js';
export type { BcRequestInfo } from './transport.js';
export type { BcErrorKind } from './errors.js';
export {
  BcError,
  BcConflictError,
  BcNotFoundError,
  BcValidationError,
  BcInvalidRequestError,
  BcThrottledError,
  BcUnavailableError,
  BcServerError,
  BcAuthError,
  BcTimeoutError,
  BcNetworkError,
  isBcError,
  NoCapacityError,
} from './errors.js';
export { itemReservationsApi, findCustomApi, type CustomApiPath } from './custom-apis.js';
export { schemaFor, type EntitySchema } from './schema.js';
export { parseRetryAfter, backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy, type Sleep } from './retry.js';
export { withBcCorrelation, currentBcCorrelationId, correlatingFetch, isBcCorrelationId } from './correlation.js';
export { withBcDeadline, currentBcDeadline, withLambdaDeadline } from './deadline.js';
export { bcErrorCodes } from './error-codes.js';
export { type EntityProperty, type EntitySetDefinition, entitySetNames, findEntitySet, getEntitySet, isEntitySet } from './entities.js';
export { type BcCredentialsLoader, loadBcClientConfig, loadBcCredentialsFromSecretsManager } from './env.js';
export { isGuid } from './schema.js';
export { loadBcCredentials, bcTokenUrl } from './env.js';
export {
  BC_DEFAULT_SCOPE,
  JWT_BEARER_GRANT,
  OnBehalfOfTokenError,
  onBehalfOfTokenForm,
  refreshTokenForm,
  requestOnBehalfOfToken,
  redeemRefreshToken,
  type OnBehalfOfToken,
  type OnBehalfOfTokenRequest,
  type RefreshTokenRequest,
} from './entra-token.js';
export { kmsEnvelope, type Envelope, type SealedSecret, type EncryptionContext } from './envelope.js';
export { dynamoDelegationStore, type DelegationStore, type StoredDelegation } from './delegation-store.js';
export { BcDelegation, BcDelegationError, DelegatedTokens, type DelegationClient } from './delegated-access.js';
export { bcAccessMode, bcDelegationFromEnv, delegatedTokensFromEnv, DEFAULT_DELEGATION_TTL_SECONDS, type BcAccessMode } from './access-env.js';
export { BC_USER_TOKEN_HEADER, withBcUserToken, currentBcUserToken } from './user-token.js';
