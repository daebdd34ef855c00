// What every worker Lambda builds once per container from its environment (docs/internals.md): the state
// store, the publisher, the per-task Once, the MCP client when the worker reaches BC (passed in by those
// workers only, so the others' bundles carry no MCP SDK); the SQS batch runtime does the rest (partial
// failures, backoff, the per-invocation chores).
import { positiveIntEnv, requiredEnv } from '../core/config/index.js';
import { publisherFromEnv } from '../core/events/index.js';
import { createOnce, createTaskRecordHandler, DEFAULT_TASK_LEASE_SECONDS, type TaskExecutor, type TaskWorkerOptions } from '../core/task-runtime/index.js';
import type { McpClient } from '../core/mcp/index.js';
import { createLogger } from '../core/observability/index.js';
import { createSqsBatchHandler } from '../core/queue/index.js';
import { sqsBatchRuntime, type LambdaHandler } from '../core/runtime/index.js';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
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

export function createWorkerHandler(definition: WorkerDefinition): LambdaHandler<SQSEvent, SQSBatchResponse> {
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
      // The function's timeout (set by the WorkerQueue construct): a run cannot outlast it.
      leaseSeconds: positiveIntEnv('TASK_LEASE_SECONDS', DEFAULT_TASK_LEASE_SECONDS),
    },
    definition.options,
  );
  return sqsBatchRuntime({ logger, once }, createSqsBatchHandler(recordHandler, { logger }));
}
