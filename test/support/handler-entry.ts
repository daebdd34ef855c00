// A handler entry (functions/*/index.ts) tested as deployed: configured only through its environment, with
// dynalite's tables and a local EventBridge endpoint named there, before the test file imports the module.
import { afterAll, beforeAll } from 'vitest';
import { startDynamo, type TestDynamo } from './dynamo.js';
import { startPutEventsSink, type PutEventsSink } from './put-events-sink.js';

export interface EntryEnvironment {
  dynamo: TestDynamo;
  sink: PutEventsSink;
}

/**
 * Starts dynalite and a PutEvents sink before the file's tests, sets the environment (theirs, `env`, no log
 * output) and runs `ready` (import the entry there, after the environment is set); stops both after.
 */
export function withEntryEnvironment(env: Record<string, string>, ready: (environment: EntryEnvironment) => Promise<void>): void {
  let dynamo: TestDynamo | undefined;
  let sink: PutEventsSink | undefined;
  beforeAll(async () => {
    dynamo = await startDynamo();
    sink = await startPutEventsSink();
    Object.assign(process.env, dynamo.env, { AWS_ENDPOINT_URL_EVENTBRIDGE: sink.endpoint, EVENT_BUS_NAME: 'bc-agent-test', LOG_LEVEL: 'SILENT', ...env });
    await ready({ dynamo, sink });
  });
  afterAll(async () => {
    await sink?.stop();
    await dynamo?.stop();
  });
}
