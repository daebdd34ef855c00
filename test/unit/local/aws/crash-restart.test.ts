// The local AWS endpoint as a process, killed with SIGKILL right after it answered, then started again on the same
// state directory: what it acknowledged is still there (messages, deletes, receive counts, events on their way to
// their targets, executions), and executions that were running carry on from where they were.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand, DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand,
  SQSClient, type Message,
} from '@aws-sdk/client-sqs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../support/local-cloud.js';

const FIXTURE = fileURLToPath(new URL('../../../support/fixtures/durable-endpoint.ts', import.meta.url));
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const directories: string[] = [];
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(() => {
  for (const dir of directories) rmSync(dir, { recursive: true, force: true });
});

interface Endpoint {
  sqs: SQSClient;
  events: EventBridgeClient;
  sfn: SFNClient;
  /** SIGKILL, as a crash or `kill -9` of `npm start`; resolves once the process is gone. */
  kill(): Promise<void>;
}

async function startEndpoint(stateDir: string, env: Record<string, string> = {}): Promise<Endpoint> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, LOCAL_AWS_DURABILITY: 'fsync', LOCAL_STATE_DIR: stateDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^ready (\S+)$/m.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    void exited.then(() => reject(new Error(`the endpoint exited before it was ready:\n${output}`)));
  });
  const config = { endpoint: url, region: 'us-east-1', credentials };
  const clients = { sqs: new SQSClient(config), events: new EventBridgeClient(config), sfn: new SFNClient(config) };
  return {
    ...clients,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
      running.delete(child);
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

function newStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'local-aws-crash-'));
  directories.push(dir);
  return dir;
}

async function queueUrl(endpoint: Endpoint, name: string): Promise<string> {
  return (await endpoint.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
}

/** Receives (long polling) until `count` messages arrived; deletes nothing. */
async function receiveAll(endpoint: Endpoint, name: string, count: number): Promise<Message[]> {
  const url = await queueUrl(endpoint, name);
  const messages: Message[] = [];
  await eventually(`${count} message(s) on ${name}`, async () => {
    const { Messages } = await endpoint.sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 60, MessageSystemAttributeNames: ['All'],
    }));
    messages.push(...(Messages ?? []));
    return messages.length >= count ? messages : undefined;
  });
  return messages;
}

async function executionStatus(endpoint: Endpoint, executionArn: string, status: string) {
  return eventually(`execution ${status}`, async () => {
    const execution = await endpoint.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return execution.status === status ? execution : undefined;
  });
}

describe('local AWS endpoint killed with SIGKILL right after it answered', () => {
  it('keeps acknowledged SendMessage, SendMessageBatch, CreateQueue and DeleteMessage', async () => {
    const stateDir = newStateDir();
    const first = await startEndpoint(stateDir);
    const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'plain' }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'deleted before the kill' }));
    const [received] = (await first.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages!;
    await first.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: received!.ReceiptHandle }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    await first.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: ['b1', 'b2', 'b3'].map((body) => ({ Id: body, MessageBody: body })) }));
    await first.kill();

    const second = await startEndpoint(stateDir);
    const { Messages } = await second.sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(second, 'plain'), MaxNumberOfMessages: 10 }));
    expect(Messages?.map((message) => message.Body)).toEqual(['one', 'b1', 'b2', 'b3']);
    await second.kill();
  });

  it('brings an in-flight message back after its visibility timeout with its receive count, then dead-letters it at maxReceiveCount', async () => {
    const stateDir = newStateDir();
    const first = await startEndpoint(stateDir);
    const inbox = await queueUrl(first, 'inbox');
    const { MessageId } = await first.sqs.send(new SendMessageCommand({ QueueUrl: inbox, MessageBody: 'in flight' }));
    const taken = (await first.sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox, MessageSystemAttributeNames: ['All'] }))).Messages!;
    expect(taken[0]).toMatchObject({ MessageId, Attributes: { ApproximateReceiveCount: '1' } });
    await first.kill();

    const second = await startEndpoint(stateDir);
    // Invisible until its 1 s visibility timeout ends, then received a second time.
    const [again] = await eventually('the message visible again', async () => (await second.sqs.send(new ReceiveMessageCommand({
      QueueUrl: inbox, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['All'],
    }))).Messages);
    expect(again).toMatchObject({ MessageId, Body: 'in flight', Attributes: { ApproximateReceiveCount: '2' } });
    await second.kill();

    const third = await startEndpoint(stateDir);
    // Received twice (maxReceiveCount 2): the next receive after its visibility timeout moves it to the DLQ.
    const [dead] = await eventually('the message on the DLQ', async () => {
      await third.sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(third, 'inbox'), WaitTimeSeconds: 1 }));
      const { Messages } = await third.sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(third, 'inbox-dlq') }));
      return Messages;
    });
    expect(dead).toMatchObject({ MessageId, Body: 'in flight' });
    await third.kill();
  });

  it('delivers an accepted PutEvents to its SQS and its Lambda target after the restart', async () => {
    const stateDir = newStateDir();
    // HANG: the Lambda target never answers, so its delivery is still open at the kill.
    const first = await startEndpoint(stateDir, { HANG: '1' });
    const put = await first.events.send(new PutEventsCommand({
      Entries: [
        { EventBusName: 'app', Source: 'test', DetailType: 'order.placed', Detail: JSON.stringify({ orderId: 'o-1' }) },
        { EventBusName: 'app', Source: 'lambda', DetailType: 'order.placed', Detail: JSON.stringify({ orderId: 'o-2' }) },
      ],
    }));
    expect(put.FailedEntryCount).toBe(0);
    await first.kill();

    const second = await startEndpoint(stateDir);
    const [toQueue] = await receiveAll(second, 'target', 1);
    expect(JSON.parse(toQueue!.Body!)).toMatchObject({ id: put.Entries![0]!.EventId, detail: { orderId: 'o-1' } });
    const [toLambda] = await receiveAll(second, 'lambda-received', 1);
    expect(JSON.parse(toLambda!.Body!)).toMatchObject({ id: put.Entries![1]!.EventId, detail: { orderId: 'o-2' } });
    await second.kill();
  });

  it('resumes an execution started just before the kill; its task token is the same before and after', async () => {
    const stateDir = newStateDir();
    const first = await startEndpoint(stateDir);
    const { executionArn } = await first.sfn.send(new StartExecutionCommand({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:approval', name: 'order-o-1', input: JSON.stringify({ order: 'o-1' }),
    }));
    await first.kill();

    const second = await startEndpoint(stateDir);
    expect((await second.sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    const asks = await receiveAll(second, 'asks', 1);
    // Asked once, or once per run if the first had asked already: always with one and the same token.
    const tokens = new Set(asks.map((message) => (JSON.parse(message.Body!) as { detail: { token: string } }).detail.token));
    expect(tokens.size).toBe(1);
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: [...tokens][0], output: JSON.stringify({ approved: true }) }));
    const done = await executionStatus(second, executionArn!, 'SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ order: 'o-1', stage: 'prepared', decision: { approved: true } });
    await second.kill();
  });

  it('an execution waiting on a task token waits again after the restart, accepts the original token and does not ask twice', async () => {
    const stateDir = newStateDir();
    const first = await startEndpoint(stateDir);
    const { executionArn } = await first.sfn.send(new StartExecutionCommand({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:approval', input: JSON.stringify({ order: 'o-2' }),
    }));
    const [ask] = await receiveAll(first, 'asks', 1);
    const { token } = (JSON.parse(ask!.Body!) as { detail: { token: string } }).detail;
    await first.kill();

    const second = await startEndpoint(stateDir);
    // Accepted at once after the restart, and the answer itself survives a second kill.
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: 'after restart' }) }));
    await second.kill();

    const third = await startEndpoint(stateDir);
    const done = await executionStatus(third, executionArn!, 'SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ order: 'o-2', stage: 'prepared', decision: { approved: 'after restart' } });
    const { Messages } = await third.sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(third, 'asks') }));
    expect(Messages ?? []).toEqual([]);
    await expect(third.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await third.kill();
  });

  it('re-enters the Lambda step that was running at the kill, without running the step before it again', async () => {
    const stateDir = newStateDir();
    const first = await startEndpoint(stateDir, { HANG: '1' });
    const { executionArn } = await first.sfn.send(new StartExecutionCommand({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:steps', input: JSON.stringify({ order: 'o-7' }),
    }));
    const before = await receiveAll(first, 'calls', 2);
    expect(before.map((call) => JSON.parse(call.Body!))).toEqual([{ step: 'first', order: 'o-7' }, { step: 'second', order: 'o-7' }]);
    await first.kill();

    const second = await startEndpoint(stateDir);
    const done = await executionStatus(second, executionArn!, 'SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ order: 'o-7', first: { first: 'first' }, second: { second: 'second' } });
    const after = await second.sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(second, 'calls'), MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect(after.Messages?.map((call) => JSON.parse(call.Body!))).toEqual([{ step: 'second', order: 'o-7' }]);
    await second.kill();
  });
});
