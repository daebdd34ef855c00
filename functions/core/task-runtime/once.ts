// "Run this at most once": Powertools idempotency over IDEMPOTENCY_TABLE. The key is a small subject
// (e.g. task + operation hash, or plan + level); while one caller runs, others get AlreadyRunningError;
// a success is recorded with its return value, so a repeat returns that value without running again; a
// failure deletes the in-progress record and is rethrown as-is, so the next attempt runs for real.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';

export class AlreadyRunningError extends Error {
  override readonly name = 'AlreadyRunningError';
}

export interface Once {
  /** Runs `work` unless a run for `subject` completed (its value is returned) or is in progress (throws). */
  run<T>(subject: Record<string, string>, work: () => Promise<T>): Promise<T>;
  /** Lets an in-progress record expire with the invocation, so a crashed run does not block retries. */
  registerLambdaContext(context: Context): void;
}

export interface OnceOptions {
  tableName: string;
  client?: DynamoDBClient;
  /** Namespace of the keys, e.g. `task` or `dispatch`. */
  keyPrefix: string;
  /** How long a completed run is remembered (at least as long as a duplicate can arrive). */
  expiresAfterSeconds: number;
}

export function createOnce(options: OnceOptions): Once {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    ...(options.client ? { awsSdkV3Client: options.client } : {}),
  });
  const config = new IdempotencyConfig({ expiresAfterSeconds: options.expiresAfterSeconds });
  const idempotent = makeIdempotent(
    async (_subject: Record<string, string>, work: () => Promise<unknown>) => work(),
    { persistenceStore, config, keyPrefix: options.keyPrefix },
  );
  return {
    async run<T>(subject: Record<string, string>, work: () => Promise<T>): Promise<T> {
      try {
        return (await idempotent(subject, work)) as T;
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) throw new AlreadyRunningError(`already running: ${JSON.stringify(subject)}`, { cause: error });
        throw error;
      }
    },
    registerLambdaContext: (context) => config.registerLambdaContext(context),
  };
}
