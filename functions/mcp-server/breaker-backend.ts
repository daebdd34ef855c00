// BC behind the shared circuit breaker (functions/core/breaker): every call the tools and resources make goes
// through it, so while BC is unwell callers get a fast DependencyUnavailable instead of piling on. Transitions
// are logged, and published as `breaker:state-changed` in the story of the call that caused them.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runBcProbe } from '../core/breaker/index.js';
import { CircuitBreaker, type BreakerLogger, type BreakerStateChange } from '../core/breaker/index.js';
import { createEvent, type EventPublisher } from '../core/events/index.js';
import type { BcBackend } from './deps.js';
import { currentStory } from './story-context.js';

export interface Breaker {
  execute<T>(call: () => Promise<T>): Promise<T>;
}

export function withCircuitBreaker(bc: BcBackend, breaker: Breaker): BcBackend {
  return {
    companies: () => breaker.execute(() => bc.companies()),
    query: (...args) => breaker.execute(() => bc.query(...args)),
    continueQuery: (...args) => breaker.execute(() => bc.continueQuery(...args)),
    create: (...args) => breaker.execute(() => bc.create(...args)),
    update: (...args) => breaker.execute(() => bc.update(...args)),
    delete: (...args) => breaker.execute(() => bc.delete(...args)),
    batch: (...args) => breaker.execute(() => bc.batch(...args)),
    metadata: () => breaker.execute(() => bc.metadata()),
    get: (...args) => breaker.execute(() => bc.get(...args)),
    invokeAction: (...args) => breaker.execute(() => bc.invokeAction(...args)),
  };
}

type Env = Record<string, string | undefined>;

function seconds(env: Env, name: string): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return value;
}

export interface BcBreakerOptions {
  tenant: string;
  environment: string;
  logger: BreakerLogger;
  publisher?: EventPublisher;
  env?: Env;
}

/** The breaker for `bc:<tenant>:<environment>` from BREAKERS_TABLE and BREAKER_*; undefined without a table. */
export function bcBreakerFromEnv(options: BcBreakerOptions): CircuitBreaker | undefined {
  const env = options.env ?? process.env;
  const tableName = env.BREAKERS_TABLE?.trim();
  if (!tableName) return undefined;
  const threshold = seconds(env, 'BREAKER_THRESHOLD');
  const windowSeconds = seconds(env, 'BREAKER_WINDOW_SECONDS');
  const openSeconds = seconds(env, 'BREAKER_OPEN_SECONDS');
  const { logger, publisher } = options;

  const onStateChange = async (change: BreakerStateChange): Promise<void> => {
    logger.warn('BC circuit breaker changed state', { ...change });
    const story = currentStory();
    if (!publisher || !story) return;
    const { causationId, ...context } = story;
    const event = createEvent(
      'breaker:state-changed',
      {
        breakerKey: change.key,
        from: change.from,
        to: change.to,
        reason: change.reason,
        ...(change.failures !== undefined ? { failureCount: change.failures } : {}),
      },
      { ...context, causationId: causationId ?? context.correlationId },
    );
    const result = await publisher.publish([event], { throwOnFailure: false });
    if (result.failed.length) logger.warn('breaker:state-changed could not be published', { key: change.key });
  };

  return new CircuitBreaker({
    key: `bc:${options.tenant}:${options.environment}`,
    tableName,
    db: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    ...(threshold ? { threshold } : {}),
    ...(windowSeconds ? { windowMs: windowSeconds * 1000 } : {}),
    ...(openSeconds ? { openMs: openSeconds * 1000 } : {}),
    runProbe: runBcProbe,
    onStateChange,
    logger,
  });
}
