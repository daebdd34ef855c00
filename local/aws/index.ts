import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { systemClock } from './clock.js';
import { LocalDynamoDb, ttlSweepMsFromEnv } from './dynamodb.js';
import { createEndpoint } from './endpoint.js';
import { cloudWatchApi } from './cloudwatch/api.js';
import { LocalCloudWatch } from './cloudwatch/service.js';
import { durabilityFromEnv, Journal } from './journal.js';
import { eventBridgeApi } from './eventbridge/api.js';
import { LocalEventBridge } from './eventbridge/service.js';
import { LocalSecrets, secretsApi } from './secrets.js';
import { LocalKms, kmsApi } from './kms.js';
import { sqsApi } from './sqs/api.js';
import { LocalSqs } from './sqs/service.js';
import { stepFunctionsApi } from './stepfunctions/api.js';
import { LocalStepFunctions } from './stepfunctions/service.js';
import type { LocalAwsOptions } from './types.js';

export type * from './types.js';
export { ManualClock, systemClock, type Clock } from './clock.js';
export { InvalidEventPatternError, matchesEventPattern, parseEventPattern } from './event-pattern.js';
export { LocalDynamoDb, ttlSweepMsFromEnv, type TableInput } from './dynamodb.js';
export { durabilityFromEnv, Journal, type DurabilityMode, type JournalStats } from './journal.js';
export { LocalEventBridge } from './eventbridge/service.js';
export { LocalSecrets } from './secrets.js';
export { LocalCloudWatch, type MetricIdentity } from './cloudwatch/service.js';
export { LocalKms } from './kms.js';
export { LocalSqs, type ReceiveOptions, type SendOptions, type SqsMessage } from './sqs/service.js';
export type { MessageAttributeValue } from './sqs/md5.js';
export { LocalStepFunctions, type ExecutionRecord } from './stepfunctions/service.js';

/**
 * The local AWS-compatible endpoint: DynamoDB (dynalite), SQS, EventBridge, Step Functions and Secrets
 * Manager in their real JSON wire formats, so unmodified SDK clients and the AWS CLI work with
 * `endpoint = url`. State lives under `stateDir` and survives a restart.
 */
export class LocalAws {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly region: string,
    readonly accountId: string,
    readonly dynamodb: LocalDynamoDb,
    readonly sqs: LocalSqs,
    readonly events: LocalEventBridge,
    readonly stepFunctions: LocalStepFunctions,
    readonly secretsManager: LocalSecrets,
    /** CloudWatch metrics: EMF lines of the functions' output in, GetMetricData out. */
    readonly cloudwatch: LocalCloudWatch,
    /** SQS, EventBridge and Step Functions state; every change the endpoint acknowledges is on disk first. */
    readonly journal: Journal,
    readonly kms: LocalKms,
  ) {}

  static async start(options: LocalAwsOptions): Promise<LocalAws> {
    const region = options.region ?? 'us-east-1';
    const accountId = options.accountId ?? '000000000000';
    const clock = options.clock ?? systemClock;
    mkdirSync(options.stateDir, { recursive: true });
    let url = '';
    const journal = Journal.open(join(options.stateDir, 'journal'), { mode: options.durability ?? durabilityFromEnv() });
    const dynamodb = await LocalDynamoDb.start({
      path: join(options.stateDir, 'dynamodb'), ttlFile: join(options.stateDir, 'dynamodb-ttl.json'),
      clock, ttlSweepMs: options.ttlSweepMs ?? ttlSweepMsFromEnv(),
    }).catch(async (error: unknown) => {
      await journal.close();
      throw error;
    });
    try {
      const sqs = new LocalSqs({ clock, region, accountId, baseUrl: () => url, journal });
      const events = new LocalEventBridge({ clock, region, accountId, sqs, journal });
      const stepFunctions = new LocalStepFunctions({
        clock, region, accountId, journal,
        putEvents: async (entries) => events.putEvents(entries),
      });
      const secretsManager = new LocalSecrets({ region, accountId, stateFile: join(options.stateDir, 'secrets.json') });
      const cloudwatch = new LocalCloudWatch({ clock, stateFile: join(options.stateDir, 'cloudwatch-metrics.json') });
      // Every answer of these services waits for the journal: what the caller is told happened is on disk.
      const durable = [sqsApi(sqs), eventBridgeApi(events), stepFunctionsApi(stepFunctions)].map((service) => ({ ...service, commit: () => journal.commit() }));
      const kms = new LocalKms({ region, accountId, stateFile: join(options.stateDir, 'kms.json') });
      const server = createEndpoint(dynamodb, [...durable, secretsApi(secretsManager), cloudWatchApi(cloudwatch), kmsApi(kms)]);
      const host = options.host ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 4566, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const { port } = server.address() as AddressInfo;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
      return new LocalAws(server, url, region, accountId, dynamodb, sqs, events, stepFunctions, secretsManager, cloudwatch, journal, kms);
    } catch (error) {
      await dynamodb.close();
      await journal.close();
      throw error;
    }
  }

  /**
   * Stops serving, ends long polls, delivery retries and executions (running ones stay RUNNING and resume at the
   * next start), writes the journal as a snapshot and closes dynalite.
   */
  async stop(): Promise<void> {
    this.sqs.close();
    this.events.close();
    await this.stepFunctions.stop();
    await this.journal.close();
    this.secretsManager.flush();
    this.cloudwatch.flush();
    this.kms.flush();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.dynamodb.close();
  }
}
