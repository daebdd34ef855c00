// DynamoDB Time to Live on the local endpoint (dynalite has none): DescribeTimeToLive / UpdateTimeToLive with
// the real SDK client, TTL from the template's CreateTable input, and the sweep that deletes expired items,
// driven by a manual clock (no sleeps).
import {
  CreateTableCommand, DeleteTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand,
  ResourceNotFoundException, ScanCommand, UpdateTimeToLiveCommand, waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import { startLocalAws } from '../../../support/local-aws.js';

const SWEEP_MS = 30_000;
const clock = new ManualClock(Date.UTC(2026, 5, 1));
let local: Awaited<ReturnType<typeof startLocalAws>>;
let dynamodb: DynamoDBClient;
const nowSeconds = () => Math.floor(clock.now() / 1000);

beforeAll(async () => {
  local = await startLocalAws({ clock, ttlSweepMs: SWEEP_MS });
  dynamodb = new DynamoDBClient(local.clientConfig);
});

afterAll(async () => {
  dynamodb.destroy();
  await local.cleanup();
});

const keyOnly = (name: string) => ({
  TableName: name, BillingMode: 'PAY_PER_REQUEST' as const,
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
});

async function put(table: string, pk: string, extra: Record<string, { N: string } | { S: string }> = {}): Promise<void> {
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, ...extra } }));
}
async function keys(table: string): Promise<string[]> {
  const { Items } = await dynamodb.send(new ScanCommand({ TableName: table }));
  return (Items ?? []).map((item) => item.pk!.S!).sort();
}
/** Moves the clock past the next sweep and waits for that sweep to finish. */
async function sweep(): Promise<number> {
  clock.advance(SWEEP_MS);
  return local.aws.dynamodb.whenSwept();
}

describe('DynamoDB TTL', () => {
  it('reports the TTL the template enables, and DISABLED otherwise', async () => {
    await local.aws.dynamodb.createTable({ ...keyOnly('ttl-template'), TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } });
    await local.aws.dynamodb.createTable(keyOnly('ttl-none'));
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-template' }))).TimeToLiveDescription)
      .toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-none' }))).TimeToLiveDescription)
      .toEqual({ TimeToLiveStatus: 'DISABLED' });
    await expect(dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('deletes expired items at the next sweep and keeps the others', async () => {
    const table = 'ttl-template';
    const now = nowSeconds();
    await put(table, 'expired', { expiresAt: { N: String(now - 10) } });
    await put(table, 'expires-soon', { expiresAt: { N: String(now + 20) } });
    await put(table, 'later', { expiresAt: { N: String(now + 3600) } });
    await put(table, 'no-ttl');
    await put(table, 'string-ttl', { expiresAt: { S: String(now - 10) } }); // not a Number: never expires
    // Expired items are still readable until the sweep runs, as on AWS.
    expect(await keys(table)).toEqual(['expired', 'expires-soon', 'later', 'no-ttl', 'string-ttl']);

    expect(await sweep()).toBe(2); // 30 s later: 'expired' and 'expires-soon'
    expect(await keys(table)).toEqual(['later', 'no-ttl', 'string-ttl']);
    expect((await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'expired' } } }))).Item).toBeUndefined();

    // An item whose TTL is moved forward before the sweep stays.
    await put(table, 'later', { expiresAt: { N: String(nowSeconds() + 7200) } });
    clock.advance(3600_000 - SWEEP_MS);
    await local.aws.dynamodb.whenSwept();
    expect(await sweep()).toBe(0);
    expect(await keys(table)).toEqual(['later', 'no-ttl', 'string-ttl']);
  });

  it('enables and disables TTL with UpdateTimeToLive, refusing bad and repeated changes', async () => {
    const table = 'ttl-wire';
    await dynamodb.send(new CreateTableCommand(keyOnly(table)));
    const enabled = await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }));
    expect(enabled.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table }))).TimeToLiveDescription)
      .toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    await expect(dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'other', Enabled: true } })))
      .rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already enabled' });
    await expect(dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: '', Enabled: true } })))
      .rejects.toMatchObject({ name: 'ValidationException' });
    await expect(dynamodb.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-missing', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } })))
      .rejects.toBeInstanceOf(ResourceNotFoundException);

    await put(table, 'old', { ttl: { N: String(nowSeconds() - 1) } });
    expect(await sweep()).toBe(1);
    expect(await keys(table)).toEqual([]);

    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: false } }));
    await expect(dynamodb.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: false } })))
      .rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already disabled' });
    await put(table, 'kept', { ttl: { N: String(nowSeconds() - 1) } });
    await sweep();
    expect(await keys(table)).toEqual(['kept']);
  });

  it('drops the setting with the table, and keeps settings across a restart', async () => {
    await dynamodb.send(new CreateTableCommand(keyOnly('ttl-dropped')));
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-dropped', TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }));
    await dynamodb.send(new DeleteTableCommand({ TableName: 'ttl-dropped' }));
    // Deleting finishes in the background, as in DynamoDB: a busy machine can still be deleting at the next call.
    await waitUntilTableNotExists({ client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: 'ttl-dropped' });
    await dynamodb.send(new CreateTableCommand(keyOnly('ttl-dropped')));
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-dropped' }))).TimeToLiveDescription)
      .toEqual({ TimeToLiveStatus: 'DISABLED' });

    const restartClock = new ManualClock(clock.now());
    const stateDir = mkdtempSync(join(tmpdir(), 'local-aws-ttl-'));
    try {
      const first = await startLocalAws({ clock: restartClock, ttlSweepMs: SWEEP_MS, stateDir });
      const client = new DynamoDBClient(first.clientConfig);
      await client.send(new CreateTableCommand(keyOnly('ttl-durable')));
      await client.send(new UpdateTimeToLiveCommand({ TableName: 'ttl-durable', TimeToLiveSpecification: { AttributeName: 'until', Enabled: true } }));
      client.destroy();
      await first.cleanup();

      const second = await startLocalAws({ clock: restartClock, ttlSweepMs: SWEEP_MS, stateDir });
      const again = new DynamoDBClient(second.clientConfig);
      try {
        expect((await again.send(new DescribeTimeToLiveCommand({ TableName: 'ttl-durable' }))).TimeToLiveDescription)
          .toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'until' });
        await again.send(new PutItemCommand({ TableName: 'ttl-durable', Item: { pk: { S: 'x' }, until: { N: String(nowSeconds() - 5) } } }));
        restartClock.advance(SWEEP_MS);
        expect(await second.aws.dynamodb.whenSwept()).toBe(1);
      } finally {
        again.destroy();
        await second.cleanup();
      }
      // A damaged settings file stops the start, naming the file.
      writeFileSync(join(stateDir, 'dynamodb-ttl.json'), '{"ttl-durable": ');
      await expect(startLocalAws({ clock: restartClock, stateDir })).rejects.toThrow(/DynamoDB TTL settings in .*dynamodb-ttl\.json are damaged/);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
