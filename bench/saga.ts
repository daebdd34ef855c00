// Purchase-order saga: end-to-end time of a successful saga on the local endpoint (the stack's state machine
// on aws-local-stepfunctions, the step handler in-process, the BC sandbox; approval granted as soon as it is
// requested), p50 and max over a few runs after one warm-up, and BC requests per saga from the sandbox's stats
// (the warm-up pays the token and company look-up once, as a warm Lambda container would).
import { startSagaHarness } from '../test/support/saga-harness.js';
import { sagaInput } from '../test/support/saga.js';
import { percentile } from './support/stats.js';

const RUNS = 7;

export async function run(): Promise<void> {
  const harness = await startSagaHarness();
  try {
    const once = async () => {
      const input = sagaInput(harness.fixture);
      const started = performance.now();
      const { execution } = await harness.runSaga(input);
      const ms = performance.now() - started;
      if (execution.status !== 'SUCCEEDED') throw new Error(`saga ${input.taskId} ended ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
      return { ms, lines: input.order.lines.length };
    };
    await once();
    harness.sandbox.resetStats();
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < RUNS; i++) {
      const result = await once();
      times.push(result.ms);
      lines = result.lines;
    }
    times.sort((a, b) => a - b);
    const stats = harness.sandbox.stats();
    const perSaga = (route: string) => ((stats.byRoute[route] ?? 0) / RUNS).toFixed(1);
    console.log(`saga end to end (${lines} lines, approval granted at once): p50 ${percentile(times, 50).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms over ${RUNS} runs`);
    console.log(`BC requests per saga: ${(stats.total / RUNS).toFixed(1)} (writes: POST purchaseOrders ${perSaga('POST purchaseOrders')}, POST purchaseOrderLines ${perSaga('POST purchaseOrderLines')}, POST itemReservations ${perSaga('POST itemReservations')})`);
    console.log(`  by route: ${Object.entries(stats.byRoute).map(([route, n]) => `${route} ${(n / RUNS).toFixed(1)}`).join(', ')}`);
  } finally {
    await harness.stop();
  }
}
