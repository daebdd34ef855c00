import { mkdirSync } from 'node:fs';
import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

// Fields of CreateTable that dynalite understands; the rest of a CloudFormation table (TTL, PITR, SSE,
// tags, deletion protection) has no local effect.
const CREATE_TABLE_FIELDS = ['TableName', 'AttributeDefinitions', 'KeySchema', 'LocalSecondaryIndexes', 'GlobalSecondaryIndexes',
  'BillingMode', 'ProvisionedThroughput', 'StreamSpecification'] as const;

/**
 * DynamoDB served by dynalite, persisted under `path`. dynalite listens on its own loopback port and
 * the endpoint forwards `DynamoDB_20120810.*` requests to it untouched.
 */
export class LocalDynamoDb {
  private readonly client: DynamoDBClient;

  private constructor(private readonly server: Server, readonly internalUrl: string) {
    this.client = new DynamoDBClient({ endpoint: internalUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  static async start(options: { path: string }): Promise<LocalDynamoDb> {
    mkdirSync(options.path, { recursive: true });
    const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new LocalDynamoDb(server, `http://127.0.0.1:${port}`);
  }

  /** Creates a table; an existing table of that name is left as it is. */
  async createTable(input: CreateTableCommandInput): Promise<void> {
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

  /** Forwards one request (body not yet read) to dynalite and streams the answer back. */
  forward(req: IncomingMessage, res: ServerResponse): void {
    const upstream = request(`${this.internalUrl}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: error.message }));
    });
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    this.client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

