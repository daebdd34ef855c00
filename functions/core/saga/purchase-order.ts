// The purchase-order saga's steps (architecture §9; state machine in lib/constructs/purchase-order-saga.ts):
// one function per `step` the state machine sends, each reading what it needs from the saga's state and
// returning what the state machine stores under `$.results.<step>` / `$.compensations.<step>`. Failures leave
// as toStepError classifies them, so the state machine retries BC outages and compensates on the rest.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { ApprovalService } from '../approvals/index.js';
import type { EventPublisher } from '../events/index.js';
import type { PlanStore } from '../store/index.js';
import { requestApproval } from './approval-request.js';
import { deleteLines, deleteOrder, releaseReservations, type CompensationInput } from './compensations.js';
import type { SagaBc } from './documents.js';
import { invalidInput, SAGA_ERROR_NAMES, SagaStepError, toStepError } from './errors.js';
import { addLine, createOrder, requireGrantedApproval, reserveInventory } from './order-steps.js';
import { failureOf, reportTaskCompleted, succeededResult, summarizeRollback, type RollbackSummary } from './outcome.js';
import {
  approvalDecisionSchema,
  caughtErrorSchema,
  createdOrderSchema,
  orderLineSchema,
  parseInput,
  purchaseOrderSchema,
  reservationSchema,
  sagaContextSchema,
  validatedOrderSchema,
  type SagaContext,
  type SagaStep,
} from './schema.js';
import { validateOrder } from './validate.js';
import type { RepairStore } from './repair.js';

export interface PurchaseOrderSagaDeps {
  /** BC through the circuit breaker. */
  bc: SagaBc;
  /** BC for compensations: not refused by an open breaker (documents.ts compensatingSagaBc); default `bc`. */
  compensationBc?: SagaBc;
  db: DynamoDBDocumentClient;
  /** Records the approval request; decisions resume the execution through its task token. */
  approvals: Pick<ApprovalService, 'request'>;
  plans: PlanStore;
  publisher: EventPublisher;
  now: () => Date;
  /** Location of order lines that name none (see validate.ts). */
  defaultLocationCode?: string;
  /** Where a compensation that gave up is parked for the repair sweep. */
  repairs: RepairStore;
}

const rollbackSchema = z.object({
  status: z.enum(['succeeded', 'partial']),
  compensated: z.array(z.string()),
  failed: z.array(z.object({ step: z.string(), error: z.object({ code: z.string(), message: z.string() }) })),
});

/**
 * The execution's state (`$`) as the state machine passes it to every step but addLine. Step results are
 * parsed only where a step uses them (`result`), so one malformed result cannot stop the compensations and
 * bookkeeping that do not need it.
 */
const sagaStateSchema = sagaContextSchema.extend({
  requestedBy: z.string().min(1).max(256),
  order: purchaseOrderSchema,
  results: z.record(z.string(), z.unknown()).default({}),
  error: caughtErrorSchema.optional(),
  compensations: z.record(z.string(), z.unknown()).default({}),
  compensationErrors: z.record(z.string(), caughtErrorSchema).default({}),
  rollback: rollbackSchema.optional(),
  repair: z.object({ repairId: z.string() }).optional(),
});
type SagaState = z.infer<typeof sagaStateSchema>;

const resultSchemas = {
  validate: validatedOrderSchema,
  approval: approvalDecisionSchema,
  createOrder: createdOrderSchema,
  reserveInventory: z.object({ reservations: z.array(reservationSchema) }),
} as const;
type ResultName = keyof typeof resultSchemas;

/** `$.results.<name>`, parsed; a step that needs it and finds none fails with SagaInputInvalid. */
function result<N extends ResultName>(state: SagaState, name: N, step: SagaStep): z.infer<(typeof resultSchemas)[N]> {
  const value = state.results[name];
  if (value === undefined) throw invalidInput(`${step} needs results.${name} in its input`);
  return parseInput(resultSchemas[name] as unknown as z.ZodType<z.infer<(typeof resultSchemas)[N]>>, value, `results.${name}`);
}

/** `$.results.<name>` when present and well-formed: compensations fall back to finding things in BC. */
function optionalResult<N extends ResultName>(state: SagaState, name: N): z.infer<(typeof resultSchemas)[N]> | undefined {
  const parsed = resultSchemas[name].safeParse(state.results[name]);
  return parsed.success ? (parsed.data as z.infer<(typeof resultSchemas)[N]>) : undefined;
}

/** One Map item of AddLines (the construct's itemSelector). */
const addLineInputSchema = sagaContextSchema.extend({
  order: createdOrderSchema,
  line: orderLineSchema,
  lineIndex: z.number().int().nonnegative(),
});


const missingTaskToken = (): never => {
  throw invalidInput('requestApproval needs a taskToken (the state machine sends $$.Task.Token)');
};

const contextOf = ({ tenantId, sessionId, planId, taskId, correlationId }: SagaState) => ({ tenantId, sessionId, planId, taskId, correlationId });

function compensationInput(state: SagaState): CompensationInput {
  const validated = optionalResult(state, 'validate');
  const created = optionalResult(state, 'createOrder');
  return { context: contextOf(state), order: state.order, ...(validated ? { validated } : {}), ...(created ? { created } : {}) };
}

async function run(deps: PurchaseOrderSagaDeps, step: SagaStep, input: unknown, taskToken: string | undefined, executionId: string | undefined): Promise<unknown> {
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
        deps.approvals,
        {
          context,
          requestedBy: state.requestedBy,
          order: state.order,
          validated: result(state, 'validate', step),
          taskToken: taskToken ?? missingTaskToken(),
        },
      );
    case 'createOrder': {
      const validated = result(state, 'validate', step);
      requireGrantedApproval(context, state.order, validated, result(state, 'approval', step));
      await requirePlanNotEnded(deps.plans, context);
      return createOrder(deps.bc, context, validated);
    }
    case 'reserveInventory':
      return reserveInventory(deps.bc, result(state, 'createOrder', step));
    case 'releaseReservations':
      return releaseReservations(deps.compensationBc ?? deps.bc, compensationInput(state));
    case 'deleteLines':
      return deleteLines(deps.compensationBc ?? deps.bc, compensationInput(state));
    case 'deleteOrder':
      return deleteOrder(deps.compensationBc ?? deps.bc, compensationInput(state));
    case 'parkCompensation': {
      const failed = Object.keys(state.compensationErrors);
      const record = await deps.repairs.park({
        ...compensationInput(state),
        ...(executionId ? { executionId } : {}),
        reason: `compensation ${failed.join(', ')} failed after its retries`,
        failed,
      });
      return { repairId: record.repairId };
    }
    case 'summarizeRollback':
      return summarizeRollback(state.compensations, state.compensationErrors);
    case 'reportSucceeded': {
      const created = result(state, 'createOrder', step);
      // A stage without reservations (shape.ts) has no ReserveInventory state: the result says nothing of them.
      const reservations = deps.bc.reservations ? result(state, 'reserveInventory', step).reservations : undefined;
      await reportTaskCompleted(deps, context, {
        status: 'succeeded',
        result: succeededResult(created, reservations),
      });
      return { reported: 'succeeded' };
    }
    case 'reportFailed':
      await reportTaskCompleted(deps, context, {
        status: 'failed',
        error: failureOf(state.error, state.rollback as RollbackSummary | undefined, Object.keys(state.compensationErrors), state.repair?.repairId),
      });
      return { reported: 'failed' };
  }
}

/** Runs one step; every failure leaves with the name the state machine decides on. */
export async function runSagaStep(deps: PurchaseOrderSagaDeps, step: SagaStep, input: unknown, taskToken?: string, executionId?: string): Promise<unknown> {
  try {
    return await run(deps, step, input, taskToken, executionId);
  } catch (error) {
    throw toStepError(error);
  }
}

/**
 * A grant can arrive after the plan ended (a critical task failed, the plan was cancelled): the order is then no
 * longer wanted, so the saga stops before its first write instead of writing for a plan nobody follows.
 */
async function requirePlanNotEnded(plans: PlanStore, context: SagaContext): Promise<void> {
  const plan = await plans.getPlan(context.tenantId, context.planId);
  if (plan && (plan.status === 'failed' || plan.status === 'cancelled')) {
    throw new SagaStepError(SAGA_ERROR_NAMES.planEnded, `Plan ${context.planId} has ${plan.status}; the purchase order is not written`, 'PlanEnded');
  }
}
