// Local AWS endpoint figures: start time, SQS throughput through the SDK, PutEvents→rule→SQS delivery,
// Step Functions execution time. One run each; these machines are shared, so read them as orders of magnitude.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalAws } from '../local/aws/index.js';

const MESSAGES = 500;
const EXECUTIONS = 50;

export async function run(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-local-aws-'));
  const startedAt = performance.now();
  const aws = await LocalAws.start({ port: 0, stateDir });
  console.log(`start (dynalite + endpoint): ${(performance.now() - startedAt).toFixed(0)} ms`);
  const config = { endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  try {
    const { url } = aws.sqs.createQueue('bench');
    let begin = performance.now();
    for (let sent = 0; sent < MESSAGES; sent += 10) {
      await sqs.send(new SendMessageBatchCommand({
        QueueUrl: url, Entries: Array.from({ length: 10 }, (_, index) => ({ Id: `m${index}`, MessageBody: `{"n":${sent + index}}` })),
      }));
    }
    let received = 0;
    while (received < MESSAGES) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      received += Messages.length;
      if (Messages.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle! })) }));
      }
    }
    const sqsMs = performance.now() - begin;
    console.log(`SQS via SDK: ${MESSAGES} messages sent, received and deleted in batches of 10: ${sqsMs.toFixed(0)} ms (${(MESSAGES / (sqsMs / 1000)).toFixed(0)} msg/s)`);

    aws.sqs.createQueue('bench-events');
    aws.events.putRule({ busName: 'default', name: 'bench', eventPattern: '{"source":["bench"],"detail":{"n":[{"numeric":[">=",0]}]}}' });
    aws.events.putTargets('default', 'bench', [{ id: 'q', arn: aws.sqs.queueArn('bench-events'), inputPath: '$.detail' }]);
    begin = performance.now();
    for (let n = 0; n < MESSAGES; n += 10) {
      await events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, (_, index) => ({ Source: 'bench', DetailType: 'tick', Detail: `{"n":${n + index}}` })) }));
    }
    const delivered = Number(aws.sqs.getQueueAttributes('bench-events', ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages);
    console.log(`PutEvents via SDK → rule → SQS: ${delivered}/${MESSAGES} events delivered in ${(performance.now() - begin).toFixed(0)} ms`);

    aws.stepFunctions.setTaskHandlers({ invokeLambda: async (_arn, payload) => payload });
    const machineArn = aws.stepFunctions.createStateMachine({
      name: 'bench',
      definition: JSON.stringify({
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Parameters: { 'value.$': '$.value' }, Next: 'Call' },
          Call: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:echo', Next: 'Done' },
          Done: { Type: 'Succeed' },
        },
      }),
    });
    begin = performance.now();
    const arns = Array.from({ length: EXECUTIONS }, (_, index) => aws.stepFunctions.startExecution(machineArn, `{"value":${index}}`).arn);
    const results = await Promise.all(arns.map((arn) => aws.stepFunctions.waitForExecution(arn)));
    const succeeded = results.filter((execution) => execution.status === 'SUCCEEDED').length;
    console.log(`Step Functions: ${succeeded}/${EXECUTIONS} executions (Pass → Lambda task → Succeed) in ${(performance.now() - begin).toFixed(0)} ms`);
  } finally {
    sqs.destroy();
    events.destroy();
    await aws.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
