// PutEvents calls per published batch (target: 1 call per 10 events), with and without rejected entries,
// measured against a local endpoint speaking the PutEvents protocol through the real SDK client.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEvent, createPublisher, type DomainEvent } from '../functions/core/events/index.js';
import { startPutEventsSink } from '../test/support/put-events-sink.js';

function taskEvents(n: number): DomainEvent[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent(
      'task:created',
      {
        task: {
          id: `t${i}`,
          type: 'query',
          tool: 'bc_query_entity',
          arguments: { entity: 'customers', top: 5 },
          priority: 'normal',
          delaySeconds: 0,
          critical: true,
          attempt: 1,
        },
      },
      { tenantId: 'bench', sessionId: 's', planId: 'p', taskId: `t${i}`, correlationId: 'bench-correlation', causationId: 'm' },
    ),
  );
}

export async function run(): Promise<void> {
  const sink = await startPutEventsSink();
  const client = new EventBridgeClient({
    endpoint: sink.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const publisher = createPublisher({ busName: 'bc-agent-bench', component: 'bench', client, sleep: async () => {} });
  try {
    const rows: string[] = [];
    for (const n of [1, 10, 25, 100]) {
      const events = taskEvents(n);
      const started = performance.now();
      const { putEventsCalls } = await publisher.publish(events);
      const ms = performance.now() - started;
      rows.push(`  ${String(n).padStart(3)} events: ${putEventsCalls} PutEvents call(s), ${(n / putEventsCalls).toFixed(1)} events/call, ${ms.toFixed(1)} ms`);
    }
    console.log('PutEvents calls per published batch (target 1 per 10 events):');
    console.log(rows.join('\n'));

    // Every 7th entry rejected once with a retryable code: only those entries are sent again.
    let seen = 0;
    const rejectedOnce = new Set<string>();
    sink.policy = (entry) => {
      const id = (JSON.parse(entry.Detail) as { eventId: string }).eventId;
      if (++seen % 7 === 0 && !rejectedOnce.has(id)) {
        rejectedOnce.add(id);
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'bench' };
      }
      return undefined;
    };
    sink.requests.length = 0;
    const { putEventsCalls, published } = await publisher.publish(taskEvents(100));
    const entriesSent = sink.requests.reduce((sum, r) => sum + r.length, 0);
    console.log(
      `  100 events, ${rejectedOnce.size} entries rejected once: ${published} published in ${putEventsCalls} calls, ` +
        `${entriesSent} entries sent (${entriesSent - 100} retried)`,
    );
  } finally {
    client.destroy();
    await sink.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
