import {
  CreateStateMachineCommand, DescribeExecutionCommand, DescribeStateMachineCommand, ExecutionAlreadyExists, ExecutionDoesNotExist,
  GetExecutionHistoryCommand, InvalidDefinition, ListExecutionsCommand, ListStateMachinesCommand, SendTaskFailureCommand,
  SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StopExecutionCommand, TaskDoesNotExist,
  DescribeStateMachineForExecutionCommand, ListActivitiesCommand,
} from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import type { TaskHandlers } from '../../../../local/aws/types.js';
import { startLocalAws } from '../../../support/local-aws.js';

let local: Awaited<ReturnType<typeof startLocalAws>>;
let sfn: SFNClient;
let sqs: SQSClient;
const invocations: { arn: string; payload: unknown }[] = [];
const tokens: string[] = [];

class BusinessError extends Error {
  override name = 'BusinessError';
}

const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

beforeAll(async () => {
  local = await startLocalAws();
  sfn = new SFNClient(local.clientConfig);
  sqs = new SQSClient(local.clientConfig);
  local.aws.stepFunctions.setTaskHandlers(handlers);
});

const handlers: TaskHandlers = {
  invokeLambda: async (arn, payload) => {
    invocations.push({ arn, payload });
    const input = payload as Record<string, unknown>;
    if (arn === FN('reserve')) {
      if (input.sku === 'broken') throw new BusinessError(`cannot reserve ${String(input.sku)}`);
      return { reserved: input.sku, qty: input.qty };
    }
    if (arn === FN('double')) return (input.value as number) * 2;
    if (arn === FN('request-approval')) {
      tokens.push(input.token as string);
      return { requested: true };
    }
    if (arn === FN('release')) return { released: true };
    throw new Error(`unknown function ${arn}`);
  },
};

afterAll(async () => {
  sfn.destroy();
  sqs.destroy();
  await local.cleanup();
});

async function createMachine(name: string, definition: object): Promise<string> {
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
    name, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/sfn',
  }));
  return stateMachineArn!;
}

async function finished(executionArn: string) {
  await local.aws.stepFunctions.waitForExecution(executionArn);
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

const sagaDefinition = {
  StartAt: 'Reserve',
  States: {
    Reserve: {
      Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: FN('reserve'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      Catch: [{ ErrorEquals: ['BusinessError'], ResultPath: '$.error', Next: 'Compensate' }],
      Next: 'Done',
    },
    Compensate: {
      Type: 'Task', Resource: FN('release'), ResultPath: '$.compensation', Next: 'Failed',
    },
    Failed: { Type: 'Fail', Error: 'ReservationFailed', Cause: 'compensated' },
    Done: { Type: 'Succeed' },
  },
};

describe('Step Functions through the SDK', () => {
  it('runs a Lambda task through lambda:invoke and reports the output', async () => {
    const arn = await createMachine('saga', sagaDefinition);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'ok-1', input: '{"sku":"A1","qty":2}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ reserved: 'A1', qty: 2 });
    expect(invocations.at(-1)).toEqual({ arn: FN('reserve'), payload: { sku: 'A1', qty: 2 } });

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.map((event) => event.type)).toEqual([
      'ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited',
      'SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded',
    ]);
    expect(history.events![1]!.stateEnteredEventDetails).toEqual({ name: 'Reserve', input: '{"sku":"A1","qty":2}' });
    expect(history.events!.map((event) => event.id)).toEqual(history.events!.map((_, index) => index + 1));
  });

  it('treats ResultPath "$" as AWS does: the result replaces the input', async () => {
    const arn = await createMachine('root-result', {
      StartAt: 'Double',
      States: { Double: { Type: 'Task', Resource: FN('double'), ResultPath: '$', End: true } },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":21}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toBe(42);
  });

  it('exposes the context object: execution id and name, state entered time', async () => {
    const arn = await createMachine('context', {
      StartAt: 'Read',
      States: {
        Read: {
          Type: 'Pass',
          Parameters: { 'id.$': '$$.Execution.Id', 'name.$': '$$.Execution.Name', 'entered.$': '$$.State.EnteredTime', 'machine.$': '$$.StateMachine.Name' },
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'ctx-1' }));
    const output = JSON.parse((await finished(executionArn!)).output!);
    expect(output).toMatchObject({ id: executionArn, name: 'ctx-1', machine: 'context' });
    expect(Number.isNaN(Date.parse(output.entered))).toBe(false);
  });

  it('catches a task error by name and runs the compensation path', async () => {
    const arn = local.aws.stepFunctions.stateMachineArn('saga');
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'broken-1', input: '{"sku":"broken"}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ReservationFailed');
    expect(execution.cause).toBe('compensated');
    expect(invocations.at(-1)!.arn).toBe(FN('release'));
    expect(invocations.at(-1)!.payload).toEqual({ sku: 'broken', error: { Error: 'BusinessError', Cause: 'cannot reserve broken' } });
  });

  it('runs a Map state over items with a plain Lambda ARN task', async () => {
    const arn = await createMachine('mapper', {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map', ItemsPath: '$.values', MaxConcurrency: 2,
          ItemSelector: { 'value.$': '$$.Map.Item.Value' },
          ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Task', Resource: FN('double'), End: true } } },
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"values":[1,2,3]}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual([2, 4, 6]);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events!.filter((event) => event.type === 'MapIterationSucceeded')).toHaveLength(3);
  });

  it('runs Parallel branches and retries a failing task per its Retry policy', async () => {
    let attempts = 0;
    const previous = invocations.length;
    local.aws.stepFunctions.setTaskHandlers({
      invokeLambda: async (arn, payload) => {
        invocations.push({ arn, payload });
        if (arn === FN('flaky') && ++attempts < 3) throw Object.assign(new Error('try again'), { name: 'BcTransientError' });
        return { from: arn.split(':').at(-1), payload };
      },
    });
    try {
      const arn = await createMachine('parallel', {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel', End: true,
            Branches: [
              { StartAt: 'Flaky', States: { Flaky: { Type: 'Task', Resource: FN('flaky'), Retry: [{ ErrorEquals: ['BcTransientError'], IntervalSeconds: 0, MaxAttempts: 3 }], End: true } } },
              { StartAt: 'Steady', States: { Steady: { Type: 'Task', Resource: FN('steady'), End: true } } },
            ],
          },
        },
      });
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"n":1}' }));
      const execution = await finished(executionArn!);
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output!)).toEqual([{ from: 'flaky', payload: { n: 1 } }, { from: 'steady', payload: { n: 1 } }]);
      expect(attempts).toBe(3);
      expect(invocations.length - previous).toBe(4);
    } finally {
      local.aws.stepFunctions.setTaskHandlers(handlers);
    }
  });

  it('pauses on .waitForTaskToken until SendTaskSuccess, with the token from $$.Task.Token', async () => {
    const arn = await createMachine('approval', {
      StartAt: 'AskApproval',
      States: {
        AskApproval: {
          Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: FN('request-approval'), Payload: { 'token.$': '$$.Task.Token', 'order.$': '$.order' } },
          ResultPath: '$.approval',
          Next: 'Approved',
        },
        Approved: { Type: 'Pass', End: true },
      },
    });
    const before = tokens.length;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"order":"PO-1"}' }));
    await until(() => tokens.length > before);
    const token = tokens.at(-1)!;
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":"alice"}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ order: 'PO-1', approval: { approvedBy: 'alice' } });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('fails the task on SendTaskFailure with the given error and cause', async () => {
    const arn = local.aws.stepFunctions.stateMachineArn('approval');
    const before = tokens.length;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"order":"PO-2"}' }));
    await until(() => tokens.length > before);
    await sfn.send(new SendTaskFailureCommand({ taskToken: tokens.at(-1)!, error: 'Rejected', cause: 'too expensive' }));
    const execution = await finished(executionArn!);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'Rejected', cause: 'too expensive' });
  });

  it('publishes through events:putEvents into the local bus', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'checkpoints' }));
    local.aws.events.putRule({ busName: 'default', name: 'checkpoints', eventPattern: '{"source":["saga"]}' });
    local.aws.events.putTargets('default', 'checkpoints', [{ id: 'q', arn: 'arn:aws:sqs:us-east-1:000000000000:checkpoints' }]);
    const arn = await createMachine('publisher', {
      StartAt: 'Publish',
      States: {
        Publish: {
          Type: 'Task', Resource: 'arn:aws:states:::events:putEvents',
          Parameters: { Entries: [{ Source: 'saga', DetailType: 'saga:checkpoint', 'Detail.$': '$' }] },
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"step":"reserved"}' }));
    const execution = await finished(executionArn!);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toMatchObject({ FailedEntryCount: 0 });
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${local.aws.url}/000000000000/checkpoints` }));
    expect(JSON.parse(Messages![0]!.Body!)).toMatchObject({ source: 'saga', 'detail-type': 'saga:checkpoint', detail: { step: 'reserved' } });
  });

  it('keeps execution names unique: same input while running → same execution, otherwise ExecutionAlreadyExists', async () => {
    const arn = local.aws.stepFunctions.stateMachineArn('approval');
    const before = tokens.length;
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'po-3', input: '{"order":"PO-3"}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'po-3', input: '{"order":"PO-3"}' }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'po-3', input: '{"order":"other"}' })))
      .rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await until(() => tokens.length > before);
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Cancelled', cause: 'by test' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const execution = await finished(first.executionArn!);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by test' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'po-3', input: '{"order":"PO-3"}' })))
      .rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('lists and describes state machines and executions; unknown ARNs and invalid definitions raise the named errors', async () => {
    const machines = await sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines!.map((machine) => machine.name)).toEqual(expect.arrayContaining(['saga', 'mapper', 'approval', 'context']));
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: local.aws.stepFunctions.stateMachineArn('saga') }));
    expect(JSON.parse(described.definition!)).toEqual(sagaDefinition);
    expect(described.status).toBe('ACTIVE');
    const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: local.aws.stepFunctions.stateMachineArn('saga'), statusFilter: 'FAILED' }));
    expect(failed.executions!.map((execution) => execution.name)).toEqual(['broken-1']);
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:saga:nope' })))
      .rejects.toBeInstanceOf(ExecutionDoesNotExist);
    const changed = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    await expect(sfn.send(new CreateStateMachineCommand({ name: 'mapper', definition: changed, roleArn: 'arn:aws:iam::000000000000:role/x' })))
      .rejects.toMatchObject({ name: 'StateMachineAlreadyExists' });
    local.aws.stepFunctions.createStateMachine({ name: 'mapper', definition: changed });
    expect(local.aws.stepFunctions.describeStateMachine(local.aws.stepFunctions.stateMachineArn('mapper')).definition).toBe(changed);
    await expect(sfn.send(new CreateStateMachineCommand({ name: 'broken', definition: '{"StartAt":"Missing","States":{}}', roleArn: 'arn:aws:iam::000000000000:role/x' })))
      .rejects.toBeInstanceOf(InvalidDefinition);
  });

  it('describes the state machine of an execution, and lists no activities', async () => {
    const stateMachineArn = await createMachine('for-execution', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    const machine = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(machine).toMatchObject({ stateMachineArn, name: 'for-execution', roleArn: 'arn:aws:iam::000000000000:role/sfn' });
    expect(JSON.parse(machine.definition!)).toEqual({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    expect(machine.updateDate).toBeInstanceOf(Date);
    await expect(sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: `${executionArn}-nope` })))
      .rejects.toBeInstanceOf(ExecutionDoesNotExist);
    const activities = await sfn.send(new ListActivitiesCommand({ maxResults: 10 }));
    expect(activities.activities).toEqual([]);
    expect(activities.nextToken).toBeUndefined();
  });
});

describe('Step Functions task heartbeats', () => {
  it('fails a waiting task with States.HeartbeatTimeout unless SendTaskHeartbeat arrives within HeartbeatSeconds', async () => {
    const clock = new ManualClock();
    const heartbeats = await startLocalAws({ clock });
    try {
      const issued: string[] = [];
      heartbeats.aws.stepFunctions.setTaskHandlers({
        invokeLambda: async (_arn, payload) => {
          issued.push((payload as { token: string }).token);
          return {};
        },
      });
      const arn = heartbeats.aws.stepFunctions.createStateMachine({
        name: 'heartbeat',
        definition: JSON.stringify({
          StartAt: 'Work',
          States: {
            Work: {
              Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', HeartbeatSeconds: 60,
              Parameters: { FunctionName: FN('worker'), Payload: { 'token.$': '$$.Task.Token' } },
              Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.error', Next: 'TimedOut' }],
              End: true,
            },
            TimedOut: { Type: 'Pass', End: true },
          },
        }),
      });
      const client = new SFNClient(heartbeats.clientConfig);
      const execution = heartbeats.aws.stepFunctions.startExecution(arn, '{}');
      await until(() => issued.length > 0);
      clock.advance(59_000);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: issued[0]! }));
      clock.advance(59_000);
      expect(heartbeats.aws.stepFunctions.describeExecution(execution.arn).status).toBe('RUNNING');
      clock.advance(1_000);
      const finishedExecution = await heartbeats.aws.stepFunctions.waitForExecution(execution.arn);
      expect(finishedExecution.status).toBe('SUCCEEDED');
      expect(JSON.parse(finishedExecution.output!)).toEqual({ error: { Error: 'States.HeartbeatTimeout', Cause: 'No heartbeat within 60 seconds' } });
      await expect(client.send(new SendTaskHeartbeatCommand({ taskToken: issued[0]! }))).rejects.toBeInstanceOf(TaskDoesNotExist);
      client.destroy();
    } finally {
      await heartbeats.cleanup();
    }
  });
});
