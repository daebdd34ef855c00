// Starts dynalite in-process on 127.0.0.1:0 with the tables of docs/internals.md, for tests that need
// DynamoDB. Every test file gets its own in-memory database; call `stop()` in afterAll.
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

/** Table names as the tests see them (the env variable each stands for is the key). */
export const TEST_TABLES = {
  STATE_TABLE: 'test-state',
  APPROVALS_TABLE: 'test-approvals',
  BREAKERS_TABLE: 'test-breakers',
  IDEMPOTENCY_TABLE: 'test-idempotency',
  AUDIT_TABLE: 'test-audit',
  CONNECTIONS_TABLE: 'test-connections',
} as const;

const pkSk = (TableName: string): CreateTableCommandInput => ({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
});

const hashOnly = (TableName: string, key: string): CreateTableCommandInput => ({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
});

/** A pk/sk table with one global secondary index over two string attributes. */
const pkSkIndexed = (TableName: string, IndexName: string, [hash, range]: [string, string], Projection: NonNullable<CreateTableCommandInput['GlobalSecondaryIndexes']>[number]['Projection']): CreateTableCommandInput => {
  const table = pkSk(TableName);
  return {
    ...table,
    AttributeDefinitions: [...(table.AttributeDefinitions ?? []), { AttributeName: hash, AttributeType: 'S' }, { AttributeName: range, AttributeType: 'S' }],
    GlobalSecondaryIndexes: [
      {
        IndexName,
        KeySchema: [
          { AttributeName: hash, KeyType: 'HASH' },
          { AttributeName: range, KeyType: 'RANGE' },
        ],
        Projection,
      },
    ],
  };
};

/** The tables as docs/internals.md defines them. */
export const TABLE_DEFINITIONS: CreateTableCommandInput[] = [
  pkSkIndexed(TEST_TABLES.STATE_TABLE, 'bySweepAt', ['sweepPk', 'sweepAt'], { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenantId', 'planId'] }),
  pkSkIndexed(TEST_TABLES.APPROVALS_TABLE, 'byStatus', ['gsi1pk', 'gsi1sk'], { ProjectionType: 'ALL' }),
  hashOnly(TEST_TABLES.BREAKERS_TABLE, 'pk'),
  hashOnly(TEST_TABLES.IDEMPOTENCY_TABLE, 'id'),
  pkSk(TEST_TABLES.AUDIT_TABLE),
  {
    TableName: TEST_TABLES.CONNECTIONS_TABLE,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'connectionId', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'sessionKey', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'connectionId', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [{ IndexName: 'bySession', KeySchema: [{ AttributeName: 'sessionKey', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } }],
  },
];

export interface TestDynamo {
  endpoint: string;
  tables: typeof TEST_TABLES;
  /** Low-level client pointed at this instance. */
  client: DynamoDBClient;
  /** Document client (marshalling, undefined values removed). */
  doc: DynamoDBDocumentClient;
  /** AWS_* and table variables a handler reads, for tests that configure through the environment. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export async function startDynamo(): Promise<TestDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  for (const table of TABLE_DEFINITIONS) await client.send(new CreateTableCommand(table));
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    tables: TEST_TABLES,
    client,
    doc,
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      ...TEST_TABLES,
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
