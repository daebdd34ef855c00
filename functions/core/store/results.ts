// Large task results, stored beside their plan and passed around by reference. A result is split into
// chunks under DynamoDB's 400 KB item limit; its header is written last, so a reference only resolves once
// every chunk is in place.
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, GetCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiresAt } from './client.js';
import { isSafeId, planPk, resultChunkSk, resultSk } from './keys.js';

export const RESULT_CHUNK_BYTES = 350 * 1024;
const BATCH_WRITE_LIMIT = 25;

/** Where a stored result lives; the tenant is not part of it, so only the owning tenant can read it. */
export interface ResultRef {
  planId: string;
  taskId: string;
  nonce: string;
}

export function formatResultRef(ref: ResultRef): string {
  return `${ref.planId}/${ref.taskId}/${ref.nonce}`;
}

export function parseResultRef(value: string): ResultRef | undefined {
  const [planId, taskId, nonce, extra] = value.split('/');
  if (extra !== undefined || !isSafeId(planId) || !isSafeId(taskId) || !isSafeId(nonce)) return undefined;
  return { planId, taskId, nonce };
}

export class ResultNotFoundError extends Error {
  override readonly name = 'ResultNotFoundError';
}

export class ResultStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /** Stores a JSON-serialisable value; returns its reference. */
  async put(tenantId: string, planId: string, taskId: string, value: unknown, now = new Date()): Promise<string> {
    const ref: ResultRef = { planId, taskId, nonce: randomUUID() };
    const pk = planPk(tenantId, planId);
    const ttl = expiresAt(now, this.retentionDays);
    const bytes = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < bytes.length; offset += RESULT_CHUNK_BYTES) {
      chunks.push(bytes.subarray(offset, offset + RESULT_CHUNK_BYTES));
    }
    if (chunks.length === 0) chunks.push(Buffer.alloc(0));

    const requests = chunks.map((data, index) => ({
      PutRequest: { Item: { pk, sk: resultChunkSk(taskId, ref.nonce, index), data, expiresAt: ttl } },
    }));
    // BatchWrite may hand back unprocessed items under load: resend only those.
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      let batch = requests.slice(i, i + BATCH_WRITE_LIMIT);
      while (batch.length > 0) {
        const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
        batch = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof batch;
      }
    }
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk, sk: resultSk(taskId, ref.nonce), chunks: chunks.length, bytes: bytes.length, createdAt: now.toISOString(), expiresAt: ttl },
      }),
    );
    return formatResultRef(ref);
  }

  /** Reads a stored result; throws ResultNotFoundError for an unknown (or another tenant's) reference. */
  async get(tenantId: string, reference: string): Promise<unknown> {
    const ref = parseResultRef(reference);
    if (!ref) throw new ResultNotFoundError(`malformed result reference "${reference}"`);
    const pk = planPk(tenantId, ref.planId);
    const { Item: header } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk: resultSk(ref.taskId, ref.nonce) }, ConsistentRead: true }),
    );
    if (!header) throw new ResultNotFoundError(`no stored result ${reference}`);
    const parts: Uint8Array[] = [];
    const pages = paginateQuery(
      { client: this.db },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': `${resultSk(ref.taskId, ref.nonce)}#` },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) parts.push(item.data as Uint8Array);
    if (parts.length !== header.chunks) throw new ResultNotFoundError(`stored result ${reference} is incomplete`);
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  }
}
