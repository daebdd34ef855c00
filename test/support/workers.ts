// SQS records as Lambda gets them from a worker queue, a fake MCP client that counts its calls, and an SQS
// client that records the visibility changes a batch handler makes.
import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DomainEvent } from '../../functions/core/events/index.js';
import type { McpClient } from '../../functions/core/mcp/index.js';
import { busEvent } from './bus-event.js';

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:query-normal';
export const QUEUE_URL = 'http://127.0.0.1:4566/000000000000/query-normal';

export function sqsRecord(event: DomainEvent, receiveCount = 1, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}-${receiveCount}`,
    body: JSON.stringify(busEvent(event, 'bc-agent.orchestrator')),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'events',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: 'us-east-1',
  };
}

export interface FakeMcp extends McpClient {
  calls: { tool: string; args: Record<string, unknown> }[];
}

export function fakeMcp(answer: (tool: string, args: Record<string, unknown>) => unknown): FakeMcp {
  const calls: FakeMcp['calls'] = [];
  return {
    calls,
    async callTool<T>(tool: string, args: Record<string, unknown>) {
      calls.push({ tool, args });
      return (await answer(tool, args)) as T;
    },
    listTools: async () => [],
    entitySchema: async () => ({}) as never,
    readResource: async () => '',
    close: async () => undefined,
  };
}

export interface RecordingSqs {
  client: SQSClient;
  /** ChangeMessageVisibility calls: receipt handle → seconds. */
  visibility: Map<string, number>;
}

export function recordingSqs(): RecordingSqs {
  const visibility = new Map<string, number>();
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      if (command.constructor.name === 'GetQueueUrlCommand') return { QueueUrl: QUEUE_URL };
      if (command.constructor.name === 'ChangeMessageVisibilityCommand') {
        visibility.set(String(command.input.ReceiptHandle), Number(command.input.VisibilityTimeout));
        return {};
      }
      throw new Error(`unexpected SQS call ${command.constructor.name}`);
    },
  } as unknown as SQSClient;
  return { client, visibility };
}
