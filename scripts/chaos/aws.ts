// What the campaign reads from the local AWS endpoint: the circuit breakers' state (to know a scenario's
// precondition holds) and whether any work is still in flight anywhere (queues, DLQs, running executions),
// which tells a plan that is merely slow from one whose work is gone.
import { DynamoDBClient, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/cloud/index.js';

const clientConfig = (endpoint: string) => ({ endpoint, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });

/** The state of every breaker, by key (e.g. `bc:local:sandbox` → `open`). */
export async function breakerStates(awsUrl: string): Promise<Record<string, string>> {
  const db = new DynamoDBClient(clientConfig(awsUrl));
  try {
    const { TableNames = [] } = await db.send(new ListTablesCommand({}));
    const table = TableNames.find((name) => /breaker/i.test(name));
    if (!table) throw new Error(`no breakers table among ${TableNames.join(', ')}`);
    const { Items = [] } = await db.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return Object.fromEntries(Items.map((item) => [item.pk?.S ?? '?', item.state?.S ?? 'closed']));
  } finally {
    db.destroy();
  }
}

export interface InFlight {
  /** Messages visible or in flight per queue (only queues holding any). */
  queues: Record<string, number>;
  runningExecutions: number;
}

export async function inFlight(awsUrl: string): Promise<InFlight> {
  const sqs = new SQSClient(clientConfig(awsUrl));
  const sfn = new SFNClient(clientConfig(awsUrl));
  try {
    const queues: Record<string, number> = {};
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
    for (const url of QueueUrls) {
      const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }));
      const count = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
      if (count > 0) queues[url.split('/').pop()!.replace(/^BcAgent-dev-/, '')] = count;
    }
    let runningExecutions = 0;
    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
    for (const machine of stateMachines) {
      const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, statusFilter: 'RUNNING' }));
      runningExecutions += executions.length;
    }
    return { queues, runningExecutions };
  } finally {
    sqs.destroy();
    sfn.destroy();
  }
}
