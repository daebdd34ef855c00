// Starts the purchase-order saga for a plan task. The execution is named after the task, so a redelivered
// message starts nothing new: Step Functions answers ExecutionAlreadyExists (or, for the same input, returns
// the running execution) and the worker treats both as "already started".
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PurchaseOrderSagaInput, SagaStarter } from './executors.js';

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
