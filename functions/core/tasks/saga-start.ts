// Starts the purchase-order saga for a plan task. The execution is named after the task, so a redelivered
// message starts nothing new: Step Functions answers ExecutionAlreadyExists (or, for the same input, returns
// the running execution) and the worker treats both as "already started".
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PurchaseOrderSagaInput, SagaStarter } from './write.js';

/** Execution names: 1-80 of A-Z a-z 0-9 - _. */
export function sagaExecutionName(planId: string, taskId: string): string {
  return `${planId}-${taskId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}

export function sagaStarter(stateMachineArn: string, client: SFNClient = new SFNClient({})): SagaStarter {
  return async (input: PurchaseOrderSagaInput) => {
    try {
      await client.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: sagaExecutionName(input.planId, input.taskId),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  };
}

/** How the saga execution of a task stands, for the plan sweeper (functions/core/sweeper). */
export type SagaExecutionStatus =
  | { status: 'RUNNING' }
  | { status: 'SUCCEEDED'; output?: string }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error?: string; cause?: string }
  | { status: 'MISSING' };

export type SagaExecutionLookup = (planId: string, taskId: string) => Promise<SagaExecutionStatus>;

/** The execution ARN of a task's saga: the state machine's ARN with `execution` and the execution name. */
export function sagaExecutionArn(stateMachineArn: string, planId: string, taskId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${sagaExecutionName(planId, taskId)}`;
}

/** DescribeExecution of the task's saga; an execution that does not exist is `MISSING` (never started). */
export function sagaExecutionLookup(stateMachineArn: string, client: SFNClient = new SFNClient({})): SagaExecutionLookup {
  return async (planId, taskId) => {
    try {
      const out = await client.send(new DescribeExecutionCommand({ executionArn: sagaExecutionArn(stateMachineArn, planId, taskId) }));
      switch (out.status) {
        case 'SUCCEEDED':
          return { status: 'SUCCEEDED', ...(out.output !== undefined ? { output: out.output } : {}) };
        case 'FAILED':
        case 'TIMED_OUT':
        case 'ABORTED':
          return { status: out.status, ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
        default:
          // RUNNING, or PENDING_REDRIVE: Step Functions still owes the outcome.
          return { status: 'RUNNING' };
      }
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return { status: 'MISSING' };
      throw error;
    }
  };
}
