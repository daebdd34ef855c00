// Per-user BC access: what it adds. At the message, the orchestrator's BcDelegation.accept (on-behalf-of exchange
// with offline_access, KMS GenerateDataKey, AES-GCM seal, DynamoDB PutItem); in a worker, the first call for a
// user (GetItem, KMS Decrypt, refresh-token grant) against every later one (the container's cache). Against the
// BC sandbox and the local AWS endpoint through the real SDK clients; the counts do not drift, the times do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startBcSandbox } from '../local/bc-sandbox/index.js';
import { LocalAws } from '../local/aws/index.js';
import { loadOrCreateJwtKeys, signLocalToken } from '../local/cloud/index.js';
import { BcDelegation, DelegatedTokens, dynamoDelegationStore, kmsEnvelope } from '../functions/core/bc/index.js';
import { median } from './support/stats.js';

const RUNS = 50;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bc-delegation-'));
  const keys = await loadOrCreateJwtKeys(dir);
  const sandbox = await startBcSandbox({ userAssertions: { issuer: 'https://bc-agent.local/', audience: 'bc-agent', publicKey: keys.publicKey } });
  const aws = await LocalAws.start({ port: 0, stateDir: join(dir, 'aws') });
  const config = { endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const kms = new KMSClient(config);
  const db = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  try {
    await db.send(new CreateTableCommand({ TableName: 'delegations', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const client = {
      tokenUrl: sandbox.tokenUrl,
      credentials: async () => ({ clientId: sandbox.clientId, clientSecret: sandbox.clientSecret }),
      envelope: kmsEnvelope(keyId, kms),
      store: dynamoDelegationStore(db, 'delegations'),
    };
    const delegation = new BcDelegation(client, 3600);
    const assertion = await signLocalToken(keys, { issuer: 'https://bc-agent.local/', audience: ['bc-agent'] }, { sub: 'carol', tenant: 'local' });
    const accept: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    let redemptions = 0;
    for (let i = 0; i < RUNS; i++) {
      let started = performance.now();
      await delegation.accept('local', 'carol', assertion);
      accept.push(performance.now() - started);
      const tokens = new DelegatedTokens(client); // a fresh container
      started = performance.now();
      await tokens.accessToken('local', 'carol');
      cold.push(performance.now() - started);
      started = performance.now();
      for (let j = 0; j < 10; j++) await tokens.accessToken('local', 'carol');
      warm.push((performance.now() - started) / 10);
      redemptions += tokens.redemptions;
    }
    console.log(`per message: accept (on-behalf-of + GenerateDataKey + PutItem) median ${median(accept).toFixed(2)} ms over ${RUNS}`);
    console.log(`per worker container and user: first token (GetItem + Decrypt + refresh grant) median ${median(cold).toFixed(2)} ms; cached ${median(warm).toFixed(3)} ms`);
    console.log(`refresh-token redemptions for ${RUNS * 11} token requests in ${RUNS} containers: ${redemptions}`);
  } finally {
    kms.destroy();
    db.destroy();
    await aws.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
