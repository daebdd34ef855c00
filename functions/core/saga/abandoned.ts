// Saga executions that ended without running their compensation (TIMED_OUT, ABORTED, or FAILED with an error
// other than the saga's own Fail states — e.g. killed by a crash) after a forward step may have written:
// the repair sweep parks their whole compensation (repair.ts). Found through the Step Functions API, bounded
// per run; every execution looked at is remembered (state table, pk SAGA_EXECUTION_SEEN, with a TTL) so it
// is described once. Plans are not touched here (the plan sweeper drives those); only BC is cleaned up.
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type ExecutionStatus, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { createEvent, type EventPublisher } from '../events/index.js';
import { purchaseOrderSchema, sagaContextSchema } from './schema.js';
import { repairIdOf, type RepairStore } from './repair.js';
import { ROLLBACK_PENDING_ERROR } from './repair-contract.js';

/** States whose entry means BC may hold something of the saga's (the first committing step and after). */
export const WRITING_STATES = ['CreateOrder'] as const;
const SEEN_PK = 'SAGA_EXECUTION_SEEN';
const ENDED: ExecutionStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

const executionInputSchema = sagaContextSchema.extend({ order: purchaseOrderSchema });

export interface AbandonedDeps {
  sfn: SFNClient;
  stateMachineArn: string;
  db: DynamoDBDocumentClient;
  tableName: string;
  repairs: RepairStore;
  publisher: EventPublisher;
  /** Errors of the saga's own Fail states (their rollback ran or was parked by the execution). */
  ownErrors: readonly string[];
  /** Executions listed per status and run. */
  limit?: number;
  seenTtlSeconds?: number;
  now?: () => number;
}

export interface AbandonedOutcome {
  examined: number;
  parked: string[];
}

export async function parkAbandonedExecutions(deps: AbandonedDeps): Promise<AbandonedOutcome> {
  const outcome: AbandonedOutcome = { examined: 0, parked: [] };
  for (const statusFilter of ENDED) {
    const { executions = [] } = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn: deps.stateMachineArn, statusFilter, maxResults: deps.limit ?? 20 }));
    for (const execution of executions) {
      const arn = execution.executionArn!;
      if (await seen(deps, arn)) continue;
      outcome.examined++;
      const repairId = await examine(deps, arn, statusFilter);
      if (repairId) outcome.parked.push(repairId);
      await remember(deps, arn);
    }
  }
  return outcome;
}

async function examine(deps: AbandonedDeps, executionArn: string, status: ExecutionStatus): Promise<string | undefined> {
  const described = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const input = executionInputSchema.safeParse(safeJson(described.input));
  if (!input.success) return undefined; // not an execution the saga could have started
  const { order, tenantId, sessionId, planId, taskId, correlationId } = input.data;
  const context = { tenantId, sessionId, planId, taskId, correlationId };
  if (status === 'FAILED' && described.error && deps.ownErrors.includes(described.error)) {
    // Its own chain compensated, or parked what failed; only a pending rollback whose park was lost is left.
    if (described.error !== ROLLBACK_PENDING_ERROR || (await deps.repairs.get(repairIdOf(context)))) return undefined;
  }
  if (!(await enteredWritingState(deps, executionArn))) return undefined;
  const how = `execution ${status}${described.error ? ` (${described.error})` : ''} without running its compensation`;
  const record = await deps.repairs.park({ context, order, executionId: executionArn, reason: how, failed: [] });
  const event = createEvent(
    'rollback:compensation-failed',
    // The first compensation of the stage's shape: the one the parked rollback starts with.
    { executionId: executionArn, step: deps.repairs.compensationOrder[0]!, error: { code: 'ExecutionEnded', message: how }, repairId: record.repairId },
    { ...context, causationId: taskId },
  );
  await deps.publisher.publish([event]);
  return record.repairId;
}

async function enteredWritingState(deps: AbandonedDeps, executionArn: string): Promise<boolean> {
  let nextToken: string | undefined;
  // A saga's history is a few hundred events; five pages bound a pathological one.
  for (let page = 0; page < 5; page++) {
    const history = await deps.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const event of history.events ?? []) {
      const name = event.stateEnteredEventDetails?.name;
      if (name && (WRITING_STATES as readonly string[]).includes(name)) return true;
    }
    nextToken = history.nextToken;
    if (!nextToken) return false;
  }
  return true; // too long to read: assume it wrote (compensations are idempotent)
}

async function seen(deps: AbandonedDeps, executionArn: string): Promise<boolean> {
  const { Item } = await deps.db.send(new GetCommand({ TableName: deps.tableName, Key: { pk: SEEN_PK, sk: executionArn } }));
  return Item !== undefined;
}

async function remember(deps: AbandonedDeps, executionArn: string): Promise<void> {
  const at = (deps.now ?? Date.now)();
  await deps.db.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { pk: SEEN_PK, sk: executionArn, seenAt: new Date(at).toISOString(), expiresAt: Math.floor(at / 1000) + (deps.seenTtlSeconds ?? 90 * 86_400) },
    }),
  );
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
