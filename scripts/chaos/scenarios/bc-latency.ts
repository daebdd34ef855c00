// Every BC request takes 5 s (within every timeout): reads still answer correctly, and the purchase-order saga
// either completes (its order, lines and reservations explained) or fails leaving BC as it was.
import { judge, readsAndOrderUnder, type Scenario } from '../scenario.js';

const LATENCY_MS = Number(process.env.CHAOS_LATENCY_MS ?? 5000);

export const bcLatency: Scenario = {
  name: 'bc-latency',
  summary: `every BC request takes ${LATENCY_MS / 1000} s: reads answer correctly, the saga completes or leaves nothing`,
  async run(ctx) {
    const failures: string[] = [];
    await ctx.bc.addFault({ latencyMs: LATENCY_MS, rate: 1.0 });
    const deadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
    const { accepted, settled } = await readsAndOrderUnder(ctx, ['count customers', 'count vendors', 'list vendors top 3'], `under ${LATENCY_MS} ms latency`, deadline, failures);
    return judge(ctx, accepted, settled, Date.now(), failures);
  },
};
