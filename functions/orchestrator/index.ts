// Lambda entry for every /v1 route (HTTP API, payload 2.0). Dependencies are built once per cold start.
import { reusedUntilFailure } from '../core/container/index.js';
import { optionalEnv, positiveIntEnv, requiredEnv } from '../core/config/index.js';
import { webClientSettingsFromEnv } from '../core/record-links/index.js';
import { anthropicApiKey } from '../core/claude/index.js';
import { publisherFromEnv } from '../core/events/index.js';
import { createLogger, createMetrics } from '../core/observability/index.js';
import { httpRuntime } from '../core/runtime/index.js';
import type { Planner } from '../core/planner/index.js';
import { createDocumentClient, stateStoreFromEnv } from '../core/store/index.js';
import { createOrchestrator } from './app.js';
import { DEFAULT_MESSAGE_LIMITS } from './routes/messages.js';

const logger = createLogger('orchestrator');
const metrics = createMetrics('orchestrator');
const db = createDocumentClient();
const store = stateStoreFromEnv(db);
const publisher = publisherFromEnv('orchestrator');
const approvalsTable = requiredEnv('APPROVALS_TABLE');
const auditTable = optionalEnv('AUDIT_TABLE');
const webClient = webClientSettingsFromEnv();


const limits = {
  maxBodyBytes: positiveIntEnv('MAX_BODY_BYTES', DEFAULT_MESSAGE_LIMITS.maxBodyBytes),
  maxTextChars: positiveIntEnv('MAX_TEXT_CHARS', DEFAULT_MESSAGE_LIMITS.maxTextChars),
};
/** The stack names the task cap MAX_TASKS_PER_PLAN; the planner reads PLAN_MAX_TASKS. */
const plannerEnv = (apiKey: string | undefined): Record<string, string | undefined> => ({
  ...process.env,
  PLAN_MAX_TASKS: process.env.PLAN_MAX_TASKS ?? process.env.MAX_TASKS_PER_PLAN,
  ...(apiKey ? { ANTHROPIC_API_KEY: apiKey } : {}),
});

let resolved: Planner | undefined;
// Loaded on first use: the Claude SDK is a large part of this bundle and health checks never need it.
const resolvePlanner = reusedUntilFailure(() =>
  Promise.all([anthropicApiKey(), import('../core/planner/index.js')]).then(
    ([apiKey, { createPlanner, plannerConfigFromEnv }]) => (resolved = createPlanner(plannerConfigFromEnv(plannerEnv(apiKey)))),
  ),
);

/** Defers planner construction (a possible secret read) to the first message, so health stays cheap. */
const lazyPlanner: Planner = {
  get name() {
    return resolved?.name ?? 'offline';
  },
  plan: async (text, context) => (await resolvePlanner()).plan(text, context),
};

const app = createOrchestrator({
  store,
  planner: lazyPlanner,
  publisher,
  logger,
  metrics,
  db,
  approvalsTable,
  limits,
  ...(auditTable ? { auditTable } : {}),
  ...(webClient ? { webClient } : {}),
});

export const handler = httpRuntime({ logger }, (event) => app(event));
