// The BC capacity governor (issue 13): one shared budget per BC environment and identity in DynamoDB, a token
// bucket for the request rate and leased slots for concurrency, shrunk by BC's 429s (AIMD, Retry-After for all).
export { CapacityGovernor, CapacityRefusedError, type CapacityPermit, type GovernorOptions, type GovernorStats } from './governor.js';
export { BC_PUBLISHED_LIMITS, CAPACITY_ENV, DEFAULT_CAPACITY_LIMITS, capacityLimitsFromEnv, effectiveBudget, validateLimits, type CapacityLimits } from './limits.js';
export { BC_PRIORITY_HEADER, currentBcPriority, isPriority, withBcPriority } from './priority.js';
export { CAPACITY_SK, CapacityStore, capacityPk } from './store.js';
export { advance, initialState, sync, throttle, type CapacityState, type Priority } from './state.js';
export { governorEnabled, governorFromEnv, scopeKey, type CapacityScope } from './env.js';
