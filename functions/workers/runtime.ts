// What every worker Lambda builds once per container from its environment (docs/internals.md): the state
// store, the publisher, the per-task Once, the MCP client when the worker reaches BC (passed in by those
// workers only, so the others' bundles carry no MCP SDK), and the SQS batch handler with partial failures and
// backoff.
import { positiveIntEnv, requiredEnv } from '../core/config/index.js';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { publisherFromEnv } from '../core/events/index.js';
import { createOnce, createTaskRecordHandler, type TaskExecutor, type TaskWorkerOptions } from '../core/task-runtime/index.js';
import type { McpClient } from '../core/mcp/index.js';
import { createLogger, resetCorrelation } from '../core/observability/index.js';
import { createSqsBatchHandler } from '../core/queue/index.js';
import { createDocumentClient, stateStoreFromEnv } from '../core/store/index.js';
import { type TaskType } from '../core/events/index.js';

/** A completed task execution is remembered as long as SQS keeps a message (4 days), so no redelivery repeats it. */
export const TASK_ONCE_SECONDS = 4 * 24 * 60 * 60;


export interface WorkerDefinition {
  type: TaskType;
  executor: TaskExecutor;
  /** The MCP client, for the workers that reach BC (query, write): see ./mcp.ts. */
  mcp?: () => McpClient;
  options?: TaskWorkerOptions;
}

export function createWorkerHandler(definition: WorkerDefinition): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const logger = createLogger();
  const once = createOnce({ tableName: requiredEnv('IDEMPOTENCY_TABLE'), keyPrefix: 'bc-agent-task', expiresAfterSeconds: TASK_ONCE_SECONDS });
  const recordHandler = createTaskRecordHandler(
    {
      store: stateStoreFromEnv(createDocumentClient()),
      publisher: publisherFromEnv(`worker.${definition.type}`),
      logger,
      once,
      executors: { [definition.type]: definition.executor },
      ...(definition.mcp ? { mcp: definition.mcp() } : {}),
      maxReceiveCount: positiveIntEnv('MAX_RECEIVE_COUNT', 3),
    },
    definition.options,
  );
  const batch = createSqsBatchHandler(recordHandler, { logger });
  return async (event, context) => {
    resetCorrelation(logger);
    once.registerLambdaContext(context);
    const response = await batch(event);
    if (response.batchItemFailures.length > 0) {
      logger.info('batch had failures', { failed: response.batchItemFailures.length, records: event.Records.length });
    }
    return response;
  };
}
