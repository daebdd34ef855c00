// Circuit breaker cost: DynamoDB reads and writes per BC call, on the healthy path and during an outage, with
// the real BcClient (guarded as the MCP server and saga steps guard it) against the BC sandbox and the breaker
// record in dynalite. Counts, not timings, so they do not drift with the machine's load.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startBcSandbox } from '../local/bc-sandbox/index.js';
import { BcClient } from '../functions/core/bc/index.js';
import { BreakerOpenError, CircuitBreaker } from '../functions/core/breaker/index.js';
import { BC_CALLS, guardWithBreaker } from '../functions/core/breaker/index.js';
import { startDynamo, TEST_CREDENTIALS } from '../test/support/dynamo.js';
import { sandboxBcConfig } from '../test/support/saga.js';

const CALLS = 200;

export async function run(): Promise<void> {
  const dynamo = await startDynamo();
  const sandbox = await startBcSandbox();
  try {
    const counts: Record<string, number> = {};
    const raw = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        counts[context.commandName as string] = (counts[context.commandName as string] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'countBreakerCalls' },
    );
    // The bench's own clock: 200 calls spread over 20 s of breaker time (10 calls per second), the cache's 1 s
    // window deciding how often the record is read.
    let clock = Date.now();
    const breaker = new CircuitBreaker({ key: 'bc:bench:sandbox', tableName: dynamo.tables.BREAKERS_TABLE, db: DynamoDBDocumentClient.from(raw), now: () => clock });
    const bc = guardWithBreaker(new BcClient({ ...sandboxBcConfig(sandbox), maxRetries: 0 }), breaker, BC_CALLS);
    await bc.companies(); // token and company look-up, as a warm container has them

    const measure = async (label: string) => {
      for (const key of Object.keys(counts)) delete counts[key];
      sandbox.resetStats();
      let rejected = 0;
      for (let i = 0; i < CALLS; i++) {
        try {
          await bc.query('customers', { top: 1 });
        } catch (error) {
          if (error instanceof BreakerOpenError) rejected += 1;
        }
        clock += 100;
      }
      const reads = counts.GetItemCommand ?? 0;
      const writes = (counts.UpdateItemCommand ?? 0) + (counts.PutItemCommand ?? 0);
      console.log(
        `${label}: ${CALLS} calls → DynamoDB reads ${reads} (${(reads / CALLS).toFixed(3)} per call), writes ${writes} (${(writes / CALLS).toFixed(3)} per call); ` +
          `BC requests ${sandbox.stats().total}, fast rejects ${rejected}`,
      );
    };
    await measure('healthy');
    sandbox.addFault({ entitySet: 'customers', status: 503 });
    await measure('outage (BC answers 503; breaker opens after 5, probes every 60 s)');
  } finally {
    await sandbox.stop();
    await dynamo.stop();
  }
}
