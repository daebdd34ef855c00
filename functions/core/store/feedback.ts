// A user's feedback on a plan's answer: one item per user beside the plan (same partition, same TTL), written
// with a conditional put, so each user gives it once.
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expiresAt, isConditionalCheckFailed } from './client.js';
import { feedbackSk, planPk } from './keys.js';

export const FEEDBACK_RATINGS = ['up', 'down'] as const;
export type FeedbackRating = (typeof FEEDBACK_RATINGS)[number];

export interface Feedback {
  feedbackId: string;
  planId: string;
  rating: FeedbackRating;
  comment?: string;
  /** The subject of the user who gave it. */
  givenBy: string;
  givenAt: string;
}

export class FeedbackStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays = 90,
  ) {}

  /** Stores the feedback unless this user already gave some on the plan: true when this call stored it. */
  async add(tenantId: string, feedback: Feedback, now = new Date()): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: planPk(tenantId, feedback.planId), sk: feedbackSk(feedback.givenBy), ...feedback, expiresAt: expiresAt(now, this.retentionDays) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(tenantId: string, planId: string, subject: string): Promise<Feedback | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: planPk(tenantId, planId), sk: feedbackSk(subject) }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _ttl, ...feedback } = Item;
    return feedback as Feedback;
  }
}
