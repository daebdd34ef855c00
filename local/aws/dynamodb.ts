import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  ConditionalCheckFailedException, CreateTableCommand, DeleteItemCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand,
  ResourceInUseException, ResourceNotFoundException, ScanCommand, type AttributeValue, type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock } from './clock.js';
import { AwsError, readBody, sendError, sendJson } from './protocol.js';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

// Fields of CreateTable that dynalite understands; TTL is kept here (dynalite has none), the rest of a
// CloudFormation table (PITR, SSE, tags, deletion protection) has no local effect.
const CREATE_TABLE_FIELDS = ['TableName', 'AttributeDefinitions', 'KeySchema', 'LocalSecondaryIndexes', 'GlobalSecondaryIndexes',
  'BillingMode', 'ProvisionedThroughput', 'StreamSpecification'] as const;

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const ERROR_SHAPE = { contentType: JSON_CONTENT_TYPE, errorNamespace: 'com.amazonaws.dynamodb.v20120810' };
/** How often expired items are looked for by default (AWS deletes them "typically within a few days"). */
export const DEFAULT_TTL_SWEEP_MS = 60_000;

/** CreateTable as the template gives it, with CloudFormation's TimeToLiveSpecification (not part of the API's CreateTable). */
export type TableInput = CreateTableCommandInput & { TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean } };

/** The TTL sweep interval from `LOCAL_AWS_TTL_SWEEP_SECONDS` (seconds), else the default. */
export function ttlSweepMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.LOCAL_AWS_TTL_SWEEP_SECONDS?.trim();
  if (!value) return DEFAULT_TTL_SWEEP_MS;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`LOCAL_AWS_TTL_SWEEP_SECONDS must be a positive number of seconds (got "${value}")`);
  return seconds * 1000;
}

export interface LocalDynamoDbOptions {
  /** dynalite's LevelDB directory. */
  path: string;
  /** Where the tables' TTL settings are kept (JSON); default `<path>.ttl.json`. */
  ttlFile?: string;
  /** Time for TTL: which items are expired and when the sweep runs. */
  clock?: Clock;
  /** Interval of the sweep that deletes expired items; default 60 s. */
  ttlSweepMs?: number;
}

/**
 * DynamoDB served by dynalite, persisted under `path`. dynalite listens on its own loopback port and
 * the endpoint forwards `DynamoDB_20120810.*` requests to it untouched, except Time to Live, which dynalite
 * lacks: DescribeTimeToLive / UpdateTimeToLive are answered here from settings kept in `ttlFile`, and a
 * sweep every `ttlSweepMs` deletes the items whose TTL attribute (a Number, epoch seconds) is before now.
 */
export class LocalDynamoDb {
  private readonly client: DynamoDBClient;
  /** Table name → the TTL attribute of tables with TTL enabled. */
  private readonly ttl: Map<string, string>;
  private sweepTimer: unknown;
  private sweep: Promise<number> = Promise.resolve(0);
  private closed = false;

  private constructor(private readonly server: Server, readonly internalUrl: string, private readonly ttlFile: string,
    private readonly clock: Clock, private readonly sweepMs: number, ttl: Map<string, string>) {
    this.client = new DynamoDBClient({ endpoint: internalUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    this.ttl = ttl;
    this.scheduleSweep();
  }

  /** The TTL settings kept in `file`; a damaged file stops the start, naming it. */
  private static readTtlFile(file: string): Map<string, string> {
    if (!existsSync(file)) return new Map();
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (typeof saved !== 'object' || saved === null || Array.isArray(saved) || Object.values(saved).some((value) => typeof value !== 'string')) {
        throw new Error('expected an object of table name → TTL attribute');
      }
      return new Map(Object.entries(saved as Record<string, string>));
    } catch (error) {
      throw new Error(`the DynamoDB TTL settings in ${file} are damaged: ${(error as Error).message}`);
    }
  }

  static async start(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
    const sweepMs = options.ttlSweepMs ?? DEFAULT_TTL_SWEEP_MS;
    if (!Number.isFinite(sweepMs) || sweepMs <= 0) throw new Error(`the TTL sweep interval must be a positive number of milliseconds, got ${sweepMs}`);
    const ttlFile = options.ttlFile ?? `${options.path}.ttl.json`;
    const ttl = LocalDynamoDb.readTtlFile(ttlFile);
    mkdirSync(options.path, { recursive: true });
    const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new LocalDynamoDb(server, `http://127.0.0.1:${port}`, ttlFile, options.clock ?? systemClock, sweepMs, ttl);
  }

  /**
   * Creates a table; an existing table of that name is left as it is. A TimeToLiveSpecification (the
   * template's) is applied either way, as a stack update would.
   */
  async createTable(input: TableInput): Promise<void> {
    const request: Record<string, unknown> = {};
    for (const field of CREATE_TABLE_FIELDS) if (input[field] !== undefined) request[field] = input[field];
    if (input.GlobalSecondaryIndexes && input.BillingMode === 'PAY_PER_REQUEST') {
      request.GlobalSecondaryIndexes = input.GlobalSecondaryIndexes.map(({ ProvisionedThroughput: _ignored, ...index }) => index);
    }
    try {
      await this.client.send(new CreateTableCommand(request as unknown as CreateTableCommandInput));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await this.waitUntilActive(input.TableName!);
    const ttl = input.TimeToLiveSpecification;
    if (ttl?.Enabled && ttl.AttributeName) this.setTimeToLive(input.TableName!, ttl.AttributeName);
    else if (ttl && ttl.Enabled === false) this.setTimeToLive(input.TableName!, undefined);
  }

  /**
   * dynalite answers CreateTable with CREATING and turns the table ACTIVE a moment later; writes before that get
   * ResourceNotFoundException. In-process callers (the template being applied) write at once, so wait for it.
   */
  private async waitUntilActive(tableName: string): Promise<void> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    }
    throw new Error(`table ${tableName} did not become ACTIVE`);
  }

  async listTables(): Promise<string[]> {
    const names: string[] = [];
    let start: string | undefined;
    do {
      const page = await this.client.send(new ListTablesCommand(start ? { ExclusiveStartTableName: start } : {}));
      names.push(...(page.TableNames ?? []));
      start = page.LastEvaluatedTableName;
    } while (start);
    return names;
  }

  /** Serves one `DynamoDB_20120810.*` request (body not yet read): TTL here, everything else by dynalite. */
  forward(req: IncomingMessage, res: ServerResponse): void {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    if (operation === 'DescribeTimeToLive' || operation === 'UpdateTimeToLive' || operation === 'DeleteTable') {
      this.serveTableOperation(operation, req, res).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, ERROR_SHAPE, error);
        else res.destroy();
      });
      return;
    }
    this.proxy(req, res);
  }

  /** Streams one request to dynalite and its answer back; `body` when it was already read. */
  private proxy(req: IncomingMessage, res: ServerResponse, body?: string, onAnswer?: (status: number) => void): void {
    const headers = body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(body)) };
    const upstream = request(`${this.internalUrl}${req.url ?? '/'}`, { method: req.method, headers }, (answer) => {
      onAnswer?.(answer.statusCode ?? 500);
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_CONTENT_TYPE });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: error.message }));
    });
    if (body === undefined) req.pipe(upstream);
    else upstream.end(body);
  }

  private async serveTableOperation(operation: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      throw new AwsError('SerializationException', 'Request body is not valid JSON');
    }
    const tableName = input.TableName;
    if (operation === 'DeleteTable') {
      // A deleted table's TTL setting goes with it (a new table of that name starts without TTL).
      this.proxy(req, res, body, (status) => {
        if (status === 200 && typeof tableName === 'string') this.setTimeToLive(tableName, undefined);
      });
      return;
    }
    if (typeof tableName !== 'string' || tableName.length < 1) throw new AwsError('ValidationException', 'TableName is required');
    await this.requireTable(tableName);
    if (operation === 'DescribeTimeToLive') {
      sendJson(res, 200, JSON_CONTENT_TYPE, { TimeToLiveDescription: this.describeTimeToLive(tableName) });
      return;
    }
    const specification = input.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    if (typeof specification?.AttributeName !== 'string' || specification.AttributeName === '' || typeof specification.Enabled !== 'boolean') {
      throw new AwsError('ValidationException', 'TimeToLiveSpecification requires AttributeName (a non-empty string) and Enabled (a boolean)');
    }
    const current = this.ttl.get(tableName);
    if (specification.Enabled && current !== undefined) throw new AwsError('ValidationException', 'TimeToLive is already enabled');
    if (!specification.Enabled && current === undefined) throw new AwsError('ValidationException', 'TimeToLive is already disabled');
    if (!specification.Enabled && current !== specification.AttributeName) {
      throw new AwsError('ValidationException', `TimeToLive is enabled on attribute ${current}, not ${specification.AttributeName}`);
    }
    this.setTimeToLive(tableName, specification.Enabled ? specification.AttributeName : undefined);
    sendJson(res, 200, JSON_CONTENT_TYPE, { TimeToLiveSpecification: { AttributeName: specification.AttributeName, Enabled: specification.Enabled } });
  }

  /** DescribeTimeToLive's answer; changes take effect at once locally (no ENABLING / DISABLING phase). */
  describeTimeToLive(tableName: string): { TimeToLiveStatus: 'ENABLED' | 'DISABLED'; AttributeName?: string } {
    const attribute = this.ttl.get(tableName);
    return attribute === undefined ? { TimeToLiveStatus: 'DISABLED' } : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute };
  }

  private async requireTable(tableName: string): Promise<{ keys: string[] }> {
    try {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      return { keys: (Table?.KeySchema ?? []).map((key) => key.AttributeName!) };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) throw new AwsError('ResourceNotFoundException', `Requested resource not found: Table: ${tableName} not found`);
      throw error;
    }
  }

  /** Enables TTL on `attribute` (undefined disables it) and writes the settings before returning. */
  private setTimeToLive(tableName: string, attribute: string | undefined): void {
    if (attribute === undefined ? !this.ttl.has(tableName) : this.ttl.get(tableName) === attribute) return;
    if (attribute === undefined) this.ttl.delete(tableName);
    else this.ttl.set(tableName, attribute);
    const temporary = `${this.ttlFile}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(Object.fromEntries(this.ttl)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.ttlFile);
  }

  // ---- TTL sweep ----

  private scheduleSweep(): void {
    if (this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweep = this.deleteExpiredItems().finally(() => this.scheduleSweep());
    }, this.sweepMs);
  }

  /** Resolves when the sweep running now (or the last one) is done, with the number of items it deleted. */
  whenSwept(): Promise<number> {
    return this.sweep;
  }

  /**
   * Deletes every item whose TTL attribute is a Number before the clock's now (epoch seconds), as DynamoDB's
   * background TTL process does. Each delete is conditional on the item still being expired, so an item
   * whose TTL was moved forward meanwhile stays. A table that fails is reported and the others still swept.
   */
  async deleteExpiredItems(): Promise<number> {
    let deleted = 0;
    for (const [tableName, attribute] of [...this.ttl]) {
      try {
        deleted += await this.deleteExpiredItemsOf(tableName, attribute);
      } catch (error) {
        if (error instanceof AwsError && error.code === 'ResourceNotFoundException') continue; // deleted meanwhile
        console.error(`[local-aws] TTL sweep of table ${tableName} failed: ${(error as Error).message}`);
      }
    }
    return deleted;
  }

  private async deleteExpiredItemsOf(tableName: string, attribute: string): Promise<number> {
    const { keys } = await this.requireTable(tableName);
    const now: AttributeValue = { N: String(Math.floor(this.clock.now() / 1000)) };
    const names = { '#ttl': attribute };
    let deleted = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({
        TableName: tableName,
        FilterExpression: 'attribute_type(#ttl, :number) AND #ttl < :now',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':number': { S: 'N' }, ':now': now },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      for (const item of page.Items ?? []) {
        try {
          await this.client.send(new DeleteItemCommand({
            TableName: tableName,
            Key: Object.fromEntries(keys.map((key) => [key, item[key]!])),
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':now': now },
          }));
          deleted++;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.sweepTimer);
    await this.sweep.catch(() => 0);
    this.client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

