// The purchase-order saga's steps (architecture §9; state machine in lib/constructs/purchase-order-saga.ts):
// one function per `step` the state machine sends, each reading what it needs from the saga's state and
// returning what the state machine stores under `$.results.<step>` / `$.compensations.<step>`. Failures leave
// as toStepError classifies them, so the state machine retries BC outages and compensates on the rest.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { EventPublisher } from '../events/index.js';
import type { PlanStore } from '../store/index.js';
import { requestApproval } from './approval-request.js';
import { deleteLines, deleteOrder, releaseReservations, type CompensationInput } from './compensations.js';
import type { SagaBc } from './documents.js';
import { invalidInput, toStepError } from './errors.js';
import { addLine, createOrder, requireGrantedApproval, reserveInventory } from './order-steps.js';
import { failureOf, reportTaskCompleted, summarizeRollback, type RollbackSummary } from './outcome.js';
import {
  addedLineSchema,
  approvalDecisionSchema,
  caughtErrorSchema,
  createdOrderSchema,
  orderLineSchema,
  parseInput,
  purchaseOrderSchema,
  reservationSchema,
  sagaContextSchema,
  validatedOrderSchema,
  type SagaStep,
} from './schema.js';
import { validateOrder } from './validate.js';

export interface PurchaseOrderSagaDeps {
  /** BC through the circuit breaker. */
  bc: SagaBc;
  db: DynamoDBDocumentClient;
  approvalsTable: string;
  approvalTtlMinutes: number;
  plans: PlanStore;
  publisher: EventPublisher;
  now: () => Date;
  /** Location of order lines that name none (see validate.ts). */
  defaultLocationCode?: string;
}

const rollbackSchema = z.object({
  status: z.enum(['succeeded', 'partial']),
  compensated: z.array(z.string()),
  failed: z.array(z.object({ step: z.string(), error: z.object({ code: z.string(), message: z.string() }) })),
});

/** The execution's state (`$`) as the state machine passes it to every step but addLine. */
const sagaStateSchema = sagaContextSchema.extend({
  requestedBy: z.string().min(1).max(256),
  order: purchaseOrderSchema,
  results: z
    .object({
      validate: validatedOrderSchema.optional(),
      approval: approvalDecisionSchema.optional(),
      createOrder: createdOrderSchema.optional(),
      addLines: z.array(addedLineSchema).optional(),
      reserveInventory: z.object({ reservations: z.array(reservationSchema) }).optional(),
    })
    .default({}),
  error: caughtErrorSchema.optional(),
  compensations: z.record(z.string(), z.unknown()).default({}),
  compensationErrors: z.record(z.string(), caughtErrorSchema).default({}),
  rollback: rollbackSchema.optional(),
});
type SagaState = z.infer<typeof sagaStateSchema>;

/** One Map item of AddLines (the construct's itemSelector). */
const addLineInputSchema = sagaContextSchema.extend({
  order: createdOrderSchema,
  line: orderLineSchema,
  lineIndex: z.number().int().nonnegative(),
});

function need<T>(value: T | undefined, path: string, step: SagaStep): T {
  if (value === undefined) throw invalidInput(`${step} needs ${path} in its input`);
  return value;
}

const contextOf = ({ tenantId, sessionId, planId, taskId, correlationId }: SagaState) => ({ tenantId, sessionId, planId, taskId, correlationId });

function compensationInput(state: SagaState): CompensationInput {
  return {
    context: contextOf(state),
    order: state.order,
    ...(state.results.validate ? { validated: state.results.validate } : {}),
    ...(state.results.createOrder ? { created: state.results.createOrder } : {}),
  };
}

async function run(deps: PurchaseOrderSagaDeps, step: SagaStep, input: unknown, taskToken: string | undefined): Promise<unknown> {
  if (step === 'addLine') {
    const item = parseInput(addLineInputSchema, input, 'the addLine input');
    return addLine(deps.bc, item.order, item.line, item.lineIndex);
  }
  const state = parseInput(sagaStateSchema, input, `the ${step} input`);
  const context = contextOf(state);
  switch (step) {
    case 'validate':
      return validateOrder(deps.bc, context, state.order, { ...(deps.defaultLocationCode ? { defaultLocationCode: deps.defaultLocationCode } : {}) });
    case 'requestApproval':
      return requestApproval(
        { db: deps.db, tableName: deps.approvalsTable, publisher: deps.publisher, ttlMinutes: deps.approvalTtlMinutes, now: deps.now },
        {
          context,
          requestedBy: state.requestedBy,
          order: state.order,
          validated: need(state.results.validate, 'results.validate', step),
          taskToken: need(taskToken, 'a taskToken', step),
        },
      );
    case 'createOrder': {
      const validated = need(state.results.validate, 'results.validate', step);
      requireGrantedApproval(context, state.order, validated, need(state.results.approval, 'results.approval', step));
      return createOrder(deps.bc, context, validated);
    }
    case 'reserveInventory':
      return reserveInventory(deps.bc, need(state.results.createOrder, 'results.createOrder', step));
    case 'releaseReservations':
      return releaseReservations(deps.bc, compensationInput(state));
    case 'deleteLines':
      return deleteLines(deps.bc, compensationInput(state));
    case 'deleteOrder':
      return deleteOrder(deps.bc, compensationInput(state));
    case 'summarizeRollback':
      return summarizeRollback(state.compensations, state.compensationErrors);
    case 'reportSucceeded': {
      const created = need(state.results.createOrder, 'results.createOrder', step);
      const reservations = need(state.results.reserveInventory, 'results.reserveInventory', step).reservations;
      await reportTaskCompleted(deps, context, {
        status: 'succeeded',
        result: { orderId: created.orderId, orderNumber: created.orderNumber, lines: created.lines.length, reservations: reservations.length },
      });
      return { reported: 'succeeded' };
    }
    case 'reportFailed':
      await reportTaskCompleted(deps, context, { status: 'failed', error: failureOf(state.error, state.rollback as RollbackSummary | undefined) });
      return { reported: 'failed' };
  }
}

/** Runs one step; every failure leaves with the name the state machine decides on. */
export async function runSagaStep(deps: PurchaseOrderSagaDeps, step: SagaStep, input: unknown, taskToken?: string): Promise<unknown> {
  try {
    return await run(deps, step, input, taskToken);
  } catch (error) {
    throw toStepError(error);
  }
}
