// The DynamoDB document client every store shares. The endpoint comes from the SDK's own configuration
// (AWS_ENDPOINT_URL locally), never from code.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

export const DAY_SECONDS = 24 * 60 * 60;

/** TTL attribute value (epoch seconds) `days` from `now`. */
export function expiresAt(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * DAY_SECONDS;
}
