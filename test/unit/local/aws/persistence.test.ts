import { DynamoDBClient, DescribeTableCommand, ListTablesCommand, ResourceNotFoundException as TableNotFound } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ListRulesCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalAws } from '../../../support/local-aws.js';

const stateDir = mkdtempSync(join(tmpdir(), 'local-aws-restart-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const stateTable = {
  TableName: 'bc-agent-dev-state',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }, { AttributeName: 'sk', AttributeType: 'S' as const }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }, { AttributeName: 'sk', KeyType: 'RANGE' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
};

describe('DynamoDB, Secrets Manager and restarts', () => {
  it('serves DynamoDB put/get/query through the endpoint, with idempotent table creation', async () => {
    const local = await startLocalAws();
    try {
      await local.aws.dynamodb.createTable(stateTable);
      await local.aws.dynamodb.createTable(stateTable);
      const documents = DynamoDBDocumentClient.from(new DynamoDBClient(local.clientConfig));
      for (const sk of ['msg#1', 'msg#2', 'plan#1']) {
        await documents.send(new PutCommand({ TableName: stateTable.TableName, Item: { pk: 'session#1', sk, text: sk.toUpperCase() } }));
      }
      const item = await documents.send(new GetCommand({ TableName: stateTable.TableName, Key: { pk: 'session#1', sk: 'msg#2' } }));
      expect(item.Item).toEqual({ pk: 'session#1', sk: 'msg#2', text: 'MSG#2' });
      const query = await documents.send(new QueryCommand({
        TableName: stateTable.TableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': 'session#1', ':prefix': 'msg#' },
      }));
      expect(query.Items?.map((entry) => entry.sk)).toEqual(['msg#1', 'msg#2']);
      await expect(new DynamoDBClient(local.clientConfig).send(new DescribeTableCommand({ TableName: 'missing-table' })))
        .rejects.toBeInstanceOf(TableNotFound);
      documents.destroy();
    } finally {
      await local.cleanup();
    }
  });

  it('serves secrets by name and ARN, and ResourceNotFoundException for unknown ones', async () => {
    const local = await startLocalAws();
    try {
      const arn = local.aws.secretsManager.putSecret('bc/credentials', '{"clientId":"local-client","clientSecret":"local-secret"}');
      const secrets = new SecretsManagerClient(local.clientConfig);
      for (const id of ['bc/credentials', arn]) {
        const value = await secrets.send(new GetSecretValueCommand({ SecretId: id }));
        expect(JSON.parse(value.SecretString!)).toEqual({ clientId: 'local-client', clientSecret: 'local-secret' });
        expect(value.ARN).toBe(arn);
      }
      const templateArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:anthropic-AbCdEf';
      local.aws.secretsManager.putSecret(templateArn, 'sk-local');
      expect((await secrets.send(new GetSecretValueCommand({ SecretId: templateArn }))).SecretString).toBe('sk-local');
      await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
      secrets.destroy();
    } finally {
      await local.cleanup();
    }
  });

  it('keeps tables, queues and messages, rules, state machines, executions and secrets across a restart', async () => {
    const first = await startLocalAws({ stateDir });
    const queueUrl = first.aws.sqs.createQueue('kept', { VisibilityTimeout: '5' }).url;
    let executionArn: string;
    try {
      await first.aws.dynamodb.createTable(stateTable);
      const documents = DynamoDBDocumentClient.from(new DynamoDBClient(first.clientConfig));
      await documents.send(new PutCommand({ TableName: stateTable.TableName, Item: { pk: 'a', sk: 'b', kept: true } }));
      documents.destroy();
      const sqs = new SQSClient(first.clientConfig);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'survives' }));
      sqs.destroy();
      first.aws.events.createBus('bc-agent-dev');
      first.aws.events.putRule({ busName: 'bc-agent-dev', name: 'kept-rule', eventPattern: '{"source":["x"]}' });
      const machineArn = first.aws.stepFunctions.createStateMachine({
        name: 'kept-machine', definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: 1 }, End: true } } }),
      });
      executionArn = first.aws.stepFunctions.startExecution(machineArn, '{}', 'kept-execution').arn;
      await first.aws.stepFunctions.waitForExecution(executionArn);
      first.aws.secretsManager.putSecret('kept-secret', 'value');
    } finally {
      await first.aws.stop();
    }

    const second = await startLocalAws({ stateDir });
    try {
      const tables = await new DynamoDBClient(second.clientConfig).send(new ListTablesCommand({}));
      expect(tables.TableNames).toContain(stateTable.TableName);
      const documents = DynamoDBDocumentClient.from(new DynamoDBClient(second.clientConfig));
      expect((await documents.send(new GetCommand({ TableName: stateTable.TableName, Key: { pk: 'a', sk: 'b' } }))).Item).toEqual({ pk: 'a', sk: 'b', kept: true });
      documents.destroy();
      const sqs = new SQSClient(second.clientConfig);
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: second.aws.sqs.getQueueUrl('kept') }));
      expect(Messages?.map((message) => message.Body)).toEqual(['survives']);
      sqs.destroy();
      const rules = await new EventBridgeClient(second.clientConfig).send(new ListRulesCommand({ EventBusName: 'bc-agent-dev' }));
      expect(rules.Rules?.map((rule) => rule.Name)).toEqual(['kept-rule']);
      const sfn = new SFNClient(second.clientConfig);
      expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((machine) => machine.name)).toEqual(['kept-machine']);
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(execution).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":1}' });
      sfn.destroy();
      const secret = await new SecretsManagerClient(second.clientConfig).send(new GetSecretValueCommand({ SecretId: 'kept-secret' }));
      expect(secret.SecretString).toBe('value');
    } finally {
      await second.aws.stop();
    }
  });
});
