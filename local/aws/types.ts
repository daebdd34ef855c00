import type { Clock } from './clock.js';
import type { DurabilityMode } from './journal.js';

/**
 * The shapes the local cloud runtime (local/cloud/cloud.ts) uses to create resources in the local AWS
 * endpoint and to plug in Lambda / Step Functions delivery. Service classes implement these.
 */

export interface LocalAwsOptions {
  /** 0 = ephemeral. Default 4566. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Directory for dynalite data and the JSON state of SQS, EventBridge, Step Functions and secrets. */
  stateDir: string;
  /** Default us-east-1. */
  region?: string;
  /** Default 000000000000. */
  accountId?: string;
  /** Time source for SQS visibility/delays and EventBridge retries; tests inject a ManualClock. */
  clock?: Clock;
  /** How acknowledged changes are made durable (default: LOCAL_AWS_DURABILITY, else `fsync`); see journal.ts. */
  durability?: DurabilityMode;
  /** How often expired DynamoDB items (TTL) are deleted, in ms (default: LOCAL_AWS_TTL_SWEEP_SECONDS × 1000, else 60 s). */
  ttlSweepMs?: number;
}

// ---- EventBridge ----

export interface InputTransformer {
  /** JSON-path map, e.g. { "id": "$.detail.id" }. */
  inputPathsMap?: Record<string, string>;
  /** Template with <name> placeholders, e.g. '{"id": <id>}' or '"plain <id> text"'. */
  inputTemplate: string;
}

export interface RuleTarget {
  id: string;
  arn: string;
  /** Constant JSON text sent instead of the event. */
  input?: string;
  /** JSON path of the part of the event to send. */
  inputPath?: string;
  inputTransformer?: InputTransformer;
  /** SQS queue ARN receiving events that could not be delivered after retries. */
  deadLetterArn?: string;
  retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  /** Kept for ListTargetsByRule; not used locally. */
  roleArn?: string;
  /** FIFO queue targets: the message group. */
  sqsParameters?: { messageGroupId?: string };
}

export interface PutRuleInput {
  busName: string;
  name: string;
  /** JSON text of the event pattern; validated (InvalidEventPatternException). */
  eventPattern?: string;
  scheduleExpression?: string;
  /** Default ENABLED. */
  state?: 'ENABLED' | 'DISABLED';
  description?: string;
}

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date | string | number;
  TraceHeader?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

/**
 * Delivers a matched event to a target the endpoint cannot reach itself (Lambda, Step Functions).
 * `payload` is the JSON text after Input/InputPath/InputTransformer. A rejection counts as a failed
 * delivery: retried per the target's retry policy, then sent to its dead-letter queue.
 */
export type TargetDispatcher = (target: RuleTarget, payload: string) => Promise<void>;

// ---- Step Functions ----

export interface CreateStateMachineInput {
  name: string;
  /** Default arn:aws:states:<region>:<account>:stateMachine:<name>. */
  arn?: string;
  /** ASL JSON text. */
  definition: string;
  type?: 'STANDARD' | 'EXPRESS';
  roleArn?: string;
}

/** How task states reach the rest of the local cloud. */
export interface TaskHandlers {
  /** Invokes a Lambda function with the payload; resolves to its result, rejects with an Error whose `name` is the Lambda errorType. */
  invokeLambda(functionArn: string, payload: unknown): Promise<unknown>;
  /** Publishes entries (default: into the local EventBridge). */
  putEvents?(entries: PutEventsEntry[]): Promise<PutEventsResult | void>;
}
