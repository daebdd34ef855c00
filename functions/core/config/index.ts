// One family of typed environment readers: each takes the variable's name and `env` (process.env by default),
// and fails a cold start naming the variable instead of running half-configured.
export { optionalEnv, positiveIntEnv, requiredEnv, type Env } from './env.js';
