// The purchase-order saga as synthesized: its shape (catches, compensation order, task token) and its
// behaviour, by running the definition with aws-local-stepfunctions while every Task is answered locally.
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventCatalogue, isEventName } from '../../functions/core/events/catalogue.js';
import { COMPENSATIONS, FORWARD_STEPS, SAGA_STEPS, compensationsFrom } from '../../lib/constructs/purchase-order-saga.js';
import { logicalIdOf, renderJoin, resourcesOf, synthesizeApp, type SynthesizedApp } from './support.js';

let synthesized: SynthesizedApp;
let definition: { StartAt: string; States: Record<string, any>; TimeoutSeconds?: number };
beforeAll(() => {
  // The shape with reservations (test/infra/saga-shapes.test.ts compares it with the standard-tenant shape).
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false, overrides: { prod: { saga: { reservations: true } } } });
  const stack = synthesized.stacks.prod;
  const machine = resourcesOf(synthesized.templates.prod, 'AWS::StepFunctions::StateMachine')[
    logicalIdOf(stack, stack.saga.stateMachine)
  ]!;
  definition = JSON.parse(renderJoin(machine.Properties!.DefinitionString));
});
afterAll(() => synthesized?.cleanup());

const input = {
  tenantId: 'tenant-1',
  sessionId: 'session-1',
  planId: 'plan-1',
  taskId: 'task-1',
  correlationId: 'corr-1',
  requestedBy: 'alice',
  order: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 5 }, { itemNumber: '1900-S', quantity: 2 }] },
};

function error(name: string, message = `${name} injected`): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

type StepBehaviour = (payload: Record<string, any>, attempt: number) => unknown;

interface Run {
  /** Steps and events in the order they happened: `step:<name>` or `event:<detail-type>`. */
  trace: string[];
  events: Array<{ detailType: string; detail: Record<string, any> }>;
  outcome: { status: 'succeeded'; output: unknown } | { status: 'failed'; error: string };
}

const defaultResults: Record<string, (payload: Record<string, any>) => unknown> = {
  createOrder: () => ({ id: 'po-1', number: '106001' }),
  addLine: (payload) => ({ id: `line-${payload.input.lineIndex}` }),
  reserveInventory: () => ({ reservations: ['r-1', 'r-2'] }),
  requestApproval: () => ({ approvalId: 'approval-1', decision: 'grant' }),
  parkCompensation: () => ({ repairId: 'tenant#task-1' }),
  summarizeRollback: (payload) => ({
    status: payload.input.compensationErrors ? 'partial' : 'succeeded',
    compensated: Object.keys(payload.input.compensations ?? {}),
    failed: Object.entries(payload.input.compensationErrors ?? {}).map(([step, e]: [string, any]) => ({
      step,
      error: { code: e.Error, message: e.Cause },
    })),
  }),
};

/** Runs the saga with every Task answered locally: `behaviour[step]` may throw to inject a failure. */
async function runSaga(behaviour: Record<string, StepBehaviour> = {}): Promise<Run> {
  const trace: string[] = [];
  const events: Run['events'] = [];
  const attempts = new Map<string, number>();
  const handlers: Record<string, (input: any) => Promise<any>> = {};
  const retryIntervals: Record<string, number> = {};
  const visit = (states: Record<string, any>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Retry) retryIntervals[name] = 0;
      if (state.Type === 'Map') visit(state.ItemProcessor.States);
      if (state.Type !== 'Task') continue;
      handlers[name] = async (taskInput: any) => {
        if (Array.isArray(taskInput.Entries)) {
          for (const entry of taskInput.Entries) {
            trace.push(`event:${entry.DetailType}`);
            events.push({ detailType: entry.DetailType, detail: entry.Detail });
            const inject = behaviour[`event:${entry.DetailType}`];
            if (inject) inject(entry.Detail, 0);
          }
          return { Entries: [{ EventId: 'e' }], FailedEntryCount: 0 };
        }
        // LambdaInvoke: `{ step, input }` directly, or under Payload for the task-token integration.
        const payload = taskInput.Payload ?? taskInput;
        const key = `${payload.step}#${payload.input?.lineIndex ?? ''}`;
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        trace.push(`step:${payload.step}`);
        const inject = behaviour[payload.step];
        if (inject) {
          const result = inject(payload, attempt);
          if (result !== undefined) return result;
        }
        return defaultResults[payload.step]?.(payload) ?? { done: payload.step };
      };
    }
  };
  visit(definition.States);
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryIntervals },
    // What Step Functions provides and the library leaves to the caller: the events' executionId and
    // occurredAt, and the approval's task token.
    context: {
      Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:purchase-order:task-1', Name: 'task-1' },
      State: { EnteredTime: '2026-11-27T12:00:00.000Z', Name: 'any' },
      Task: { Token: 'task-token-1' },
    } as never,
  });
  try {
    const output = await execution.result;
    return { trace, events, outcome: { status: 'succeeded', output } };
  } catch (e) {
    let failed: { Error?: string } | undefined;
    for await (const log of execution.eventLogs) if (log.type === 'ExecutionFailed') failed = log;
    return { trace, events, outcome: { status: 'failed', error: failed?.Error ?? String(e) } };
  }
}

const forwardSteps = ['step:createOrder', 'event:checkpoint:created', 'step:addLine', 'step:addLine', 'event:checkpoint:created', 'step:reserveInventory', 'event:checkpoint:created'];

describe('purchase-order saga definition', () => {
  it('has a Catch on every forward step into compensation where that step is undone', () => {
    const states = definition.States;
    expect(definition.StartAt).toBe('Validate');
    const entryFor: Record<string, string> = {
      CreateOrder: 'RollbackInitiatedAtCreateOrder',
      AddLines: 'RollbackInitiatedAtAddLines',
      ReserveInventory: 'RollbackInitiatedAtReserveInventory',
    };
    for (const [state, entry] of Object.entries(entryFor)) {
      expect(states[state].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: entry }]);
    }
    expect(states.RollbackInitiatedAtReserveInventory.Next).toBe('ReleaseReservations');
    expect(states.RollbackInitiatedAtAddLines.Next).toBe('DeleteLines');
    expect(states.RollbackInitiatedAtCreateOrder.Next).toBe('DeleteOrder');
    // Compensations in reverse order, each caught into parking (a repair record), then a record of its failure
    // that continues the chain; a failed park continues it too.
    expect(states.ReleaseReservations.Next).toBe('DeleteLines');
    expect(states.DeleteLines.Next).toBe('DeleteOrder');
    expect(states.DeleteOrder.Next).toBe('SummarizeRollback');
    for (const [compensation, next] of [['ReleaseReservations', 'DeleteLines'], ['DeleteLines', 'DeleteOrder'], ['DeleteOrder', 'SummarizeRollback']]) {
      expect(states[compensation!].Retry.at(-1).ErrorEquals).toEqual(['States.ALL']);
      const park = states[compensation!].Catch[0].Next;
      expect(states[park].Parameters).toMatchObject({ step: 'parkCompensation', 'executionId.$': '$$.Execution.Id' });
      expect(states[park].Catch[0].Next).toBe(next);
      const record = states[park].Next;
      expect(states[record].Parameters.Entries[0].DetailType).toBe('rollback:compensation-failed');
      expect(states[record].Next).toBe(next);
    }
    expect(states.RolledBack.Type).toBe('Fail');
    // A rollback with a parked compensation never ends as RolledBack.
    expect(states.RollbackPending).toMatchObject({ Type: 'Fail', Error: 'PurchaseOrderRollbackPending' });
    expect(states.RolledBackFully.Choices[0]).toMatchObject({ Variable: '$.compensationErrors', IsPresent: true, Next: 'ReportRollbackPending' });
    expect(states.ReportRollbackPending.Next).toBe('RollbackPending');
    expect(states.RolledBackFully.Default).toBe('ReportRolledBack');
    // The approval waits for a person through a task token.
    expect(states.RequestApproval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(states.RequestApproval.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    // Every forward step retries transient BC errors before its Catch applies.
    for (const state of ['Validate', 'CreateOrder', 'ReserveInventory']) {
      expect(states[state].Retry.some((r: any) => r.ErrorEquals.includes('BcTransientError'))).toBe(true);
    }
    expect(states.AddLines.ItemProcessor.States.AddLine.Retry.some((r: any) => r.ErrorEquals.includes('BcTransientError'))).toBe(true);
  });

  it('sends only the documented steps to the step function', () => {
    const steps = new Set<string>();
    const visit = (states: Record<string, any>) => {
      for (const state of Object.values(states)) {
        if (state.Type === 'Map') visit(state.ItemProcessor.States);
        const step = state.Parameters?.step ?? state.Parameters?.Payload?.step;
        if (step) steps.add(step);
      }
    };
    visit(definition.States);
    expect([...steps].sort()).toEqual([...SAGA_STEPS].sort());
    expect(Object.keys(COMPENSATIONS).sort()).toEqual([...FORWARD_STEPS].sort());
  });
});

describe('purchase-order saga execution', () => {
  it('runs every forward step once, with a checkpoint after each, and succeeds', async () => {
    const run = await runSaga();
    expect(run.outcome.status).toBe('succeeded');
    expect(run.trace).toEqual(['step:validate', 'step:requestApproval', ...forwardSteps, 'step:reportSucceeded']);
    expect(run.events.map((e) => e.detail.step)).toEqual(['createOrder', 'addLines', 'reserveInventory']);
  });

  it('publishes events that match the event catalogue', async () => {
    const run = await runSaga({ reserveInventory: () => { throw error('BcPermanentError'); } });
    const published = run.events.filter((e) => isEventName(e.detailType));
    expect(published.map((e) => e.detailType)).toEqual([
      'checkpoint:created',
      'checkpoint:created',
      'rollback:initiated',
      'rollback:completed',
    ]);
    for (const { detailType, detail } of published) {
      const schema = eventCatalogue[detailType as keyof typeof eventCatalogue];
      const parsed = schema.safeParse(detail);
      expect(parsed.success, `${detailType}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      expect(detail).toMatchObject({ tenantId: 'tenant-1', planId: 'plan-1', taskId: 'task-1', correlationId: 'corr-1' });
    }
  });

  it.each([
    ['createOrder', 'createOrder', ['step:createOrder']],
    ['addLine', 'addLines', ['step:createOrder', 'event:checkpoint:created', 'step:addLine', 'step:addLine']],
    ['reserveInventory', 'reserveInventory', forwardSteps.slice(0, 6)],
  ] as const)('compensates in reverse order when %s fails', async (failing, failedStep, before) => {
    const run = await runSaga({
      // The second line fails, so the first one has to be deleted.
      [failing]: (payload) => {
        if (failing !== 'addLine' || payload.input.lineIndex === 1) throw error('BcPermanentError');
        return undefined;
      },
    });
    expect(run.outcome).toEqual({ status: 'failed', error: 'PurchaseOrderSagaFailed' });
    const compensations = compensationsFrom(failedStep);
    expect(run.trace).toEqual([
      'step:validate',
      'step:requestApproval',
      ...before,
      'event:rollback:initiated',
      ...compensations.map((step) => `step:${step}`),
      'step:summarizeRollback',
      'event:rollback:completed',
      'step:reportFailed',
    ]);
    const initiated = run.events.find((e) => e.detailType === 'rollback:initiated')!.detail;
    expect(initiated).toMatchObject({ failedStep, steps: compensations, error: { code: 'BcPermanentError' } });
    expect(run.events.find((e) => e.detailType === 'rollback:completed')!.detail).toMatchObject({
      status: 'succeeded',
      compensated: compensations,
      failed: [],
    });
  });

  it('compensates a committed step whose checkpoint cannot be published', async () => {
    const run = await runSaga({
      'event:checkpoint:created': (detail) => {
        if (detail.step === 'createOrder') throw error('EventBridge.FailedEntry');
      },
    });
    expect(run.outcome).toEqual({ status: 'failed', error: 'PurchaseOrderSagaFailed' });
    expect(run.trace.filter((t) => t.startsWith('step:'))).toEqual([
      'step:validate', 'step:requestApproval', 'step:createOrder', 'step:deleteOrder', 'step:summarizeRollback', 'step:reportFailed',
    ]);
    // Publishing was retried before giving up.
    const retries = definition.States.CheckpointCreateOrder.Retry[0].MaxAttempts;
    expect(run.trace.filter((t) => t === 'event:checkpoint:created')).toHaveLength(1 + retries);
  });

  it('retries a transient BC error and carries on', async () => {
    const run = await runSaga({
      createOrder: (_payload, attempt) => {
        if (attempt === 1) throw error('BcTransientError');
        return undefined;
      },
    });
    expect(run.outcome.status).toBe('succeeded');
    expect(run.trace.filter((t) => t === 'step:createOrder')).toHaveLength(2);
  });

  it('records a compensation that keeps failing and still runs the ones after it', async () => {
    const run = await runSaga({
      reserveInventory: () => { throw error('BcPermanentError'); },
      deleteLines: () => { throw error('BcConflictError', 'line changed meanwhile'); },
    });
    expect(run.outcome).toEqual({ status: 'failed', error: 'PurchaseOrderRollbackPending' });
    // Retried, parked, recorded, then the order is still deleted.
    const retries = definition.States.DeleteLines.Retry.at(-1).MaxAttempts;
    expect(retries).toBeGreaterThanOrEqual(3);
    expect(run.trace.filter((t) => t === 'step:deleteLines')).toHaveLength(1 + retries);
    const afterLines = run.trace.slice(run.trace.lastIndexOf('step:deleteLines') + 1);
    expect(afterLines).toEqual(['step:parkCompensation', 'event:rollback:compensation-failed', 'step:deleteOrder', 'step:summarizeRollback', 'event:rollback:completed', 'step:reportFailed']);
    const recorded = run.events.find((e) => e.detailType === 'rollback:compensation-failed')!.detail;
    expect(recorded).toMatchObject({ step: 'deleteLines', error: { code: 'BcConflictError', message: 'line changed meanwhile' } });
    expect(run.events.find((e) => e.detailType === 'rollback:completed')!.detail).toMatchObject({
      status: 'partial',
      failed: [{ step: 'deleteLines', error: { code: 'BcConflictError' } }],
    });
  });

  it.each(['validate', 'requestApproval'])('touches nothing when %s fails (e.g. approval denied)', async (failing) => {
    const run = await runSaga({ [failing]: () => { throw error(failing === 'validate' ? 'ValidationError' : 'ApprovalDenied'); } });
    expect(run.outcome).toEqual({ status: 'failed', error: 'PurchaseOrderNotExecuted' });
    expect(run.trace.filter((t) => /create|add|reserve|delete|release|rollback/i.test(t))).toEqual([]);
    expect(run.trace.at(-1)).toBe('step:reportFailed');
  });
});

describe('the repair sweep', () => {
  it('runs every minute with the saga steps environment, the state machine to look at, and read access to its executions', () => {
    const stack = synthesized.stacks.prod;
    const template = synthesized.templates.prod;
    const fn = resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(stack, stack.saga.repair.handler.function)]!;
    const variables = (fn.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.SAGA_STATE_MACHINE_ARN).toEqual({ Ref: logicalIdOf(stack, stack.saga.stateMachine) });
    for (const name of ['STATE_TABLE', 'BREAKERS_TABLE', 'EVENT_BUS_NAME', 'BC_CREDENTIALS_SECRET_ARN', 'SAGA_REPAIR_LEASE_SECONDS']) expect(variables[name], name).toBeDefined();
    const functionId = logicalIdOf(stack, stack.saga.repair.handler.function);
    const rules = Object.values(resourcesOf(template, 'AWS::Events::Rule')).filter((rule) =>
      (rule.Properties!.Targets as { Arn: unknown }[]).some((t) => JSON.stringify(t.Arn).includes(functionId)),
    );
    expect(rules.map((r) => r.Properties!.ScheduleExpression)).toEqual(['rate(1 minute)']);
    const policies = JSON.stringify(resourcesOf(template, 'AWS::IAM::Policy'));
    for (const action of ['states:ListExecutions', 'states:DescribeExecution', 'states:GetExecutionHistory']) expect(policies).toContain(action);
  });
});
