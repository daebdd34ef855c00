// What each task type does once its worker has it (run-task.ts handles the lifecycle around it).
import * as z from 'zod';
import { analyzeArgsSchema, findTool, type QueryArgs, type ValidateArgs } from '../plan/index.js';
import { purchaseOrderSchema, type PurchaseOrderRequest } from '../saga/schema.js';
import { operationHash, type ApprovalGate, type ApprovalSubject } from './approvals.js';
import { PermanentTaskError } from './failures.js';
import { DEFAULT_QUERY_LIMITS, runQuery, type QueryLimits } from './query.js';
import type { ProseWriter } from './claude-writer.js';
import type { TaskExecutor } from './run-task.js';
import { describeStatistics, fieldStatistics } from './statistics.js';
import { validateRecord, type ValidationProblem } from './validation-rules.js';
import { summarizeWrite } from './write-summary.js';

/**
 * Parses arguments with the tool's schema: a worker never trusts what arrived in a message. `resolved` is the
 * schema of the arguments once their `$ref`s are resolved, where the plan schema allows only a reference.
 */
function parseArgs<T>(tool: string, args: Record<string, unknown>, resolved?: z.ZodType): T {
  const definition = findTool(tool);
  if (!definition) throw new PermanentTaskError('UnknownTool', `unknown tool '${tool}'`);
  const parsed = (resolved ?? definition.args).safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PermanentTaskError('InvalidArguments', `the arguments of ${tool} are not valid: ${issues}`);
  }
  const problems = definition.check(parsed.data as never);
  if (problems.length > 0) throw new PermanentTaskError('InvalidArguments', problems.map((p) => p.message).join('; '));
  return parsed.data as T;
}

export function queryExecutor(limits: QueryLimits = DEFAULT_QUERY_LIMITS): TaskExecutor {
  return async (context) => {
    const args = parseArgs<QueryArgs>(context.task.tool, context.args);
    // Keyed by task and operation: a redelivered query returns the first answer instead of asking BC again.
    const operation = operationHash(context.events.tenantId, context.task.tool, context.args);
    const payload = await context.once({ operation }, () => runQuery(context.bc(), args, limits));
    return { kind: 'succeeded', payload };
  };
}

/** `source` arrives as the referenced result itself. */
const resolvedAnalyzeArgsSchema = analyzeArgsSchema.extend({ source: z.unknown() });
type ResolvedAnalyzeArgs = z.infer<typeof resolvedAnalyzeArgsSchema>;

export interface AnalysisOptions {
  /** Claude, when configured: adds a narrative to the statistics. */
  writer?: ProseWriter;
}

export function analysisExecutor(options: AnalysisOptions = {}): TaskExecutor {
  return async (context) => {
    const args = parseArgs<ResolvedAnalyzeArgs>(context.task.tool, context.args, resolvedAnalyzeArgsSchema);
    const statistics = fieldStatistics(args.source, args.by);
    let text = describeStatistics(args.entity, statistics);
    let narrator: 'statistics' | 'claude' = 'statistics';
    if (options.writer) {
      try {
        text = await options.writer.write(
          `Summarise these statistics of Business Central ${args.entity} by ${args.by}${args.question ? ` to answer: ${JSON.stringify(args.question)}` : ''}.`,
          { entity: args.entity, statistics },
        );
        narrator = 'claude';
      } catch (error) {
        // The statistics are the answer either way; the narrative is a nicety.
        context.logger.warn('Claude could not write the analysis; statistics only', { error: error as Error });
      }
    }
    return { kind: 'succeeded', payload: await context.payloadOf({ entity: args.entity, ...statistics, text, narrator }) };
  };
}

export function validationExecutor(): TaskExecutor {
  return async (context) => {
    const args = parseArgs<ValidateArgs>(context.task.tool, context.args);
    return { kind: 'succeeded', payload: await context.payloadOf(validateRecord(args.entity, args.data, 'check')) };
  };
}

/** Starts the purchase-order saga for a task; a second start for the same task must be harmless. */
export type SagaStarter = (input: PurchaseOrderSagaInput) => Promise<void>;

export interface PurchaseOrderSagaInput {
  tenantId: string;
  sessionId: string;
  planId: string;
  taskId: string;
  correlationId: string;
  requestedBy: string;
  order: PurchaseOrderRequest;
}

export interface WriteOptions {
  gate: ApprovalGate;
  startSaga?: SagaStarter;
}

/** Problems of the records a write sends, by the entity's schema and business rules. */
function writeProblems(tool: string, args: Record<string, unknown>): ValidationProblem[] {
  const record = (entity: unknown, data: unknown, mode: 'create' | 'update') =>
    typeof entity === 'string' && data && typeof data === 'object' ? validateRecord(entity, data as Record<string, unknown>, mode).problems : [];
  switch (tool) {
    case 'bc_create_entity':
      return record(args.entity, args.data, 'create');
    case 'bc_update_entity':
      return record(args.entity, args.data, 'update');
    case 'bc_batch_operation':
      return (args.operations as Record<string, unknown>[]).flatMap((op, i) =>
        op.data ? record(op.entity, op.data, op.method === 'POST' ? 'create' : 'update').map((p) => ({ ...p, message: `operations[${i}]: ${p.message}` })) : [],
      );
    default:
      return [];
  }
}

export function writeExecutor(options: WriteOptions): TaskExecutor {
  return async (context) => {
    const { task, events, plan } = context;
    const args = parseArgs<Record<string, unknown>>(task.tool, context.args);
    const summary = summarizeWrite(task.tool, args);

    if (task.tool === 'saga_purchase_order') {
      const order = purchaseOrderSchema.safeParse(args);
      if (!order.success) throw new PermanentTaskError('InvalidArguments', `the purchase order is not valid: ${order.error.issues.map((i) => i.message).join('; ')}`);
      if (!options.startSaga) throw new Error('the write worker has no saga to start (PURCHASE_ORDER_SAGA_ARN)');
      // The saga validates the order, asks for approval in its own step, and reports task:completed itself.
      await options.startSaga({ ...stripStory(events), taskId: task.id, requestedBy: plan.createdBy, order: order.data });
      return { kind: 'handed_off', reason: 'the purchase-order saga runs it' };
    }

    const problems = writeProblems(task.tool, args);
    if (problems.length > 0) throw new PermanentTaskError('ValidationFailed', `Nothing was written: ${problems.map((p) => p.message).join('; ')}`);

    const subject: ApprovalSubject = {
      ...stripStory(events),
      taskId: task.id,
      requestedBy: plan.createdBy,
      tool: task.tool,
      arguments: args,
      operationHash: operationHash(events.tenantId, task.tool, args),
      summary,
    };
    let approval = await options.gate.decisionFor(subject);
    if (approval.status === 'denied' || approval.status === 'expired') {
      throw new PermanentTaskError(approval.status === 'denied' ? 'ApprovalDenied' : 'ApprovalExpired', `Not written: the approval was ${approval.status}${'reason' in approval && approval.reason ? ` (${approval.reason})` : ''}.`);
    }
    if (approval.status === 'none') approval = await options.gate.request(subject);
    if (approval.status !== 'granted') return { kind: 'awaiting_approval', summary: `Waiting for approval: ${summary}` };

    // Keyed by the approval and the exact operation: a redelivered message never writes twice.
    const payload = await context.once({ operation: subject.operationHash, approval: approval.approvalId }, () =>
      context.bc().call(task.tool, args),
    );
    return { kind: 'succeeded', payload };
  };
}

function stripStory(events: { tenantId: string; sessionId: string; planId: string; correlationId: string }) {
  return { tenantId: events.tenantId, sessionId: events.sessionId, planId: events.planId, correlationId: events.correlationId };
}
