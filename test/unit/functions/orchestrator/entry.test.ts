// The deployed entry (functions/orchestrator/index.ts) configured only through its environment, as CDK and
// the local cloud configure it: service endpoints from the standard AWS_ENDPOINT_URL_* variables.
import { describe, expect, it, vi } from 'vitest';
import type { TestDynamo } from '../../../support/dynamo.js';
import { withEntryEnvironment } from '../../../support/handler-entry.js';
import type { PutEventsSink } from '../../../support/put-events-sink.js';
import { httpEvent, jsonBody } from '../../../support/http-event.js';

let dynamo: TestDynamo;
let sink: PutEventsSink;
let handler: (typeof import('../../../../functions/orchestrator/index.js'))['handler'];

withEntryEnvironment({ MAX_BODY_BYTES: '1024', MAX_TEXT_CHARS: '100' }, async (environment) => {
  ({ dynamo, sink } = environment);
  delete process.env.ANTHROPIC_API_KEY;
  delete process.env.ANTHROPIC_SECRET_ARN;
  ({ handler } = await import('../../../../functions/orchestrator/index.js'));
});

describe('orchestrator entry', () => {
  it('plans with the offline planner, publishes to the configured bus and reports EMF metrics', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const response = await handler(httpEvent('POST', '/v1/sessions/s1/messages', { body: JSON.stringify({ text: 'list customers top 5' }) }));
    write.mockRestore();
    expect(response.statusCode).toBe(202);
    const emf = out.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ PlansStarted: 1, planner: 'offline', outcome: 'run' }),
        expect.objectContaining({ PlanningLatency: expect.any(Number) }),
      ]),
    );
    expect(sink.accepted.map((e) => [e.busName, e.detailType])).toEqual([
      ['bc-agent-test', 'agent:started'],
      ['bc-agent-test', 'task:created'],
    ]);
    const plan = await handler(httpEvent('GET', `/v1/plans/${jsonBody(response).planId}`));
    expect(jsonBody(plan).status).toBe('running');
  });

  it('applies the configured limits', async () => {
    const long = await handler(httpEvent('POST', '/v1/sessions/s1/messages', { body: JSON.stringify({ text: 'x'.repeat(101) }) }));
    expect(jsonBody(long).error.message).toMatch(/at most 100 characters/);
    const big = await handler(httpEvent('POST', '/v1/sessions/s1/messages', { body: JSON.stringify({ text: 'x'.repeat(2000) }) }));
    expect(big.statusCode).toBe(413);
  });
});
