// Wires the saga steps' dependencies from the environment of docs/internals.md: BC (BC_*, credentials from
// Secrets Manager) behind the circuit breaker (BREAKERS_TABLE, BREAKER_*), approvals (APPROVALS_TABLE,
// APPROVAL_TTL_MINUTES), the state store (STATE_TABLE) and the bus (EVENT_BUS_NAME). One set per container;
// what differs per invocation (the correlation id sent to BC, the context of breaker events) comes from the
// invocation context.
import { type Env, optionalEnv, positiveIntEnv, requiredEnv } from '../config/index.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { BcClient, correlatingFetch, withBcCorrelation, type BcClientOptions } from '../bc/index.js';
import { loadBcClientConfig, loadBcCredentialsFromSecretsManager, type BcCredentialsLoader } from '../bc/index.js';
import { CircuitBreaker, type BreakerStateChange } from '../breaker/index.js';
import { bcBreakerKey, runBcProbe } from '../breaker/index.js';
import { createEvent, createPublisher, type EventPublisher } from '../events/index.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import { approvalSettingsFromEnv, createApprovalService } from '../approvals/index.js';
import { createDocumentClient, createStateStore } from '../store/index.js';
import { compensatingSagaBc, guardedSagaBc } from './documents.js';
import { RepairStore } from './repair.js';
import { sagaReservationsFromEnv } from './shape.js';
import type { PurchaseOrderSagaDeps } from './purchase-order.js';
import type { SagaContext } from './schema.js';

/** The event component (source `bc-agent.saga`, the construct's SAGA_EVENT_SOURCE). */
export const SAGA_COMPONENT = 'saga';

const invocation = new AsyncLocalStorage<SagaContext>();

/** Runs one step with its context available to the BC requests (their correlation id) and breaker events it causes. */
export function withSagaContext<T>(context: SagaContext | undefined, run: () => Promise<T>): Promise<T> {
  return context ? invocation.run(context, () => withBcCorrelation(context.correlationId, run)) : run();
}

/** Publishes breaker:state-changed in the context of the step whose call made the transition. */
function breakerEventPublisher(publisher: EventPublisher, logger: Logger) {
  return async (change: BreakerStateChange): Promise<void> => {
    const context = invocation.getStore();
    if (!context) {
      logger.warn('breaker transition outside a saga step; not published', { breakerKey: change.key, to: change.to });
      return;
    }
    const event = createEvent(
      'breaker:state-changed',
      { breakerKey: change.key, from: change.from, to: change.to, reason: change.reason, ...(change.failures !== undefined ? { failureCount: change.failures } : {}) },
      { ...context, causationId: context.taskId },
    );
    await publisher.publish([event]);
  };
}

export interface SagaDepsOverrides {
  loadCredentials?: BcCredentialsLoader;
  /** BC client options (tests shorten backoff). */
  bcOptions?: BcClientOptions;
  /** BC client retries inside one step before the state machine's own retry takes over. */
  bcMaxRetries?: number;
  /** Instead of the EVENT_BUS_NAME publisher (tests record). */
  publisher?: EventPublisher;
  now?: () => Date;
}

export async function sagaDepsFromEnv(env: Env, logger: Logger, overrides: SagaDepsOverrides = {}): Promise<PurchaseOrderSagaDeps> {
  const bcConfig = await loadBcClientConfig(env, overrides.loadCredentials ?? loadBcCredentialsFromSecretsManager);
  const publisher = overrides.publisher ?? createPublisher({ busName: requiredEnv('EVENT_BUS_NAME', env), component: SAGA_COMPONENT });
  const db = createDocumentClient();
  const breaker = new CircuitBreaker({
    key: bcBreakerKey(bcConfig.tenant, bcConfig.environment),
    tableName: requiredEnv('BREAKERS_TABLE', env),
    db,
    threshold: positiveIntEnv('BREAKER_THRESHOLD', 5, env),
    windowMs: positiveIntEnv('BREAKER_WINDOW_SECONDS', 60, env) * 1000,
    openMs: positiveIntEnv('BREAKER_OPEN_SECONDS', 60, env) * 1000,
    runProbe: runBcProbe,
    onStateChange: breakerEventPublisher(publisher, logger),
    logger: { warn: (message, extra) => logger.warn(message, extra ?? {}) },
  });
  const bcOptions = overrides.bcOptions ?? {};
  const client = new BcClient(
    { ...bcConfig, ...(overrides.bcMaxRetries !== undefined ? { maxRetries: overrides.bcMaxRetries } : {}) },
    { ...bcOptions, fetch: correlatingFetch(bcOptions.fetch ?? globalThis.fetch.bind(globalThis)) },
  );
  const defaultLocationCode = optionalEnv('SAGA_DEFAULT_LOCATION_CODE', env);
  // The saga's shape (SAGA_RESERVATIONS, set by the construct): without reservations there is no client for them.
  const reservations = sagaReservationsFromEnv(env);
  return {
    bc: guardedSagaBc(client, breaker, {}, { reservations }),
    compensationBc: compensatingSagaBc(client, breaker, { reservations }),
    db,
    approvals: createApprovalService({
      db,
      tableName: requiredEnv('APPROVALS_TABLE', env),
      publisher,
      // A purchase order always waits for a person: auto-approving would need the steps to resume their own
      // execution (states:SendTaskSuccess on the saga that invokes them, a dependency cycle in the stack).
      settings: { ...approvalSettingsFromEnv(env), autoApprove: [] },
      ...(overrides.now ? { now: overrides.now } : {}),
    }),
    plans: createStateStore({ tableName: requiredEnv('STATE_TABLE', env), db }).plans,
    repairs: new RepairStore({ db, tableName: requiredEnv('STATE_TABLE', env), reservations }),
    publisher,
    now: overrides.now ?? (() => new Date()),
    ...(defaultLocationCode ? { defaultLocationCode } : {}),
  };
}
