// Restarts of the endpoint in-process (a stop, or a journal changed while it was down): scheduled rules keep
// their rhythm and run a fire missed while stopped once; running executions are not closed by a stop and resume;
// an execution that cannot resume is failed with a cause that says why, never dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import { Journal } from '../../../../local/aws/journal.js';
import { startLocalAws } from '../../../support/local-aws.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'local-aws-durability-'));
  dirs.push(dir);
  return dir;
};

const waiting = JSON.stringify({
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task', Resource: 'arn:aws:states:::events:putEvents.waitForTaskToken',
      Parameters: { Entries: [{ Source: 'approval', DetailType: 'ask', Detail: { 'token.$': '$$.Task.Token' } }] },
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
});

describe('local AWS state across restarts', () => {
  it('keeps a scheduled rule\'s rhythm and last fire: a fire missed while stopped runs once at start', async () => {
    const stateDir = newDir();
    const t0 = Date.UTC(2026, 5, 1, 12, 0, 0);
    const apply = (local: Awaited<ReturnType<typeof startLocalAws>>) => {
      // What the runtime does at every start: create-or-update from the template.
      local.aws.sqs.createQueue('ticks', {});
      local.aws.events.putRule({ busName: 'default', name: 'tick', scheduleExpression: 'rate(1 minute)' });
      local.aws.events.putTargets('default', 'tick', [{ id: 'q', arn: local.aws.sqs.queueArn('ticks') }]);
    };
    const count = (local: Awaited<ReturnType<typeof startLocalAws>>) => Number(local.aws.sqs.getQueueAttributes('ticks').ApproximateNumberOfMessages);

    const firstClock = new ManualClock(t0);
    const first = await startLocalAws({ stateDir, clock: firstClock });
    apply(first);
    firstClock.advance(60_000); // fires at t0 + 1 min
    expect(count(first)).toBe(1);
    await first.aws.stop();

    // Back at t0 + 2.5 min: the fire due at t0 + 2 min was missed.
    const secondClock = new ManualClock(t0 + 150_000);
    const second = await startLocalAws({ stateDir, clock: secondClock });
    apply(second);
    secondClock.advance(0);
    expect(count(second)).toBe(2);
    // The rate still counts from t0 (not from the restart): the next fire is t0 + 3 min.
    secondClock.advance(29_000);
    expect(count(second)).toBe(2);
    secondClock.advance(1_000);
    expect(count(second)).toBe(3);
    await second.aws.stop();
  });

  it('leaves a running execution RUNNING at a stop and resumes it at the next start, its token still valid', async () => {
    const stateDir = newDir();
    const first = await startLocalAws({ stateDir });
    first.aws.sqs.createQueue('asks', {});
    first.aws.events.putRule({ busName: 'default', name: 'asks', eventPattern: '{"source":["approval"]}' });
    first.aws.events.putTargets('default', 'asks', [{ id: 'q', arn: first.aws.sqs.queueArn('asks') }]);
    const machine = first.aws.stepFunctions.createStateMachine({ name: 'waits', definition: waiting });
    const { arn } = first.aws.stepFunctions.startExecution(machine, '{"order":"o-9"}');
    const [ask] = await first.aws.sqs.receive('asks', { waitTimeSeconds: 5 });
    const token = (JSON.parse(ask!.body) as { detail: { token: string } }).detail.token;
    await first.aws.stop();
    expect(first.aws.stepFunctions.describeExecution(arn).status).toBe('RUNNING');

    const second = await startLocalAws({ stateDir });
    second.aws.stepFunctions.sendTaskSuccess(token, '{"approved":true}');
    const done = await second.aws.stepFunctions.waitForExecution(arn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"approved":true}' });
    const types = second.aws.stepFunctions.history(done).map((event) => event.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types.filter((type) => type === 'ExecutionStarted')).toHaveLength(1);
    await second.aws.stop();
  });

  it('fails an execution whose state machine is gone at the restart, saying so (never dropped)', async () => {
    const stateDir = newDir();
    const first = await startLocalAws({ stateDir });
    const machine = first.aws.stepFunctions.createStateMachine({ name: 'gone', definition: waiting });
    const { arn } = first.aws.stepFunctions.startExecution(machine, '{}');
    await first.aws.stop();
    // The machine removed while the endpoint was down.
    const journal = Journal.open(join(stateDir, 'journal'));
    journal.collection('sfn.machines').delete(machine);
    await journal.close();

    const second = await startLocalAws({ stateDir });
    const execution = second.aws.stepFunctions.describeExecution(arn);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(execution.cause).toMatch(/could not resume this execution: state machine .*gone no longer exists/);
    await second.aws.stop();
  });
});
