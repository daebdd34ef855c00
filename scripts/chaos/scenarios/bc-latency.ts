// Every BC request takes 5 s (within every timeout): reads still answer correctly, and the purchase-order saga
// either completes (its order, lines and reservations explained) or fails leaving BC as it was.
import { settle } from '../api.js';
import { grantWhenAsked, judge, postAll, purchaseOrderText, statusCounts, type Scenario } from '../scenario.js';

const LATENCY_MS = Number(process.env.CHAOS_LATENCY_MS ?? 5000);

export const bcLatency: Scenario = {
  name: 'bc-latency',
  summary: `every BC request takes ${LATENCY_MS / 1000} s: reads answer correctly, the saga completes or leaves nothing`,
  async run(ctx) {
    const failures: string[] = [];
    await ctx.bc.addFault({ latencyMs: LATENCY_MS, rate: 1.0 });
    const deadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
    const queries = await postAll(ctx, ctx.alice, ['count customers', 'count vendors', 'list vendors top 3']);
    const [order] = await postAll(ctx, ctx.alice, [purchaseOrderText(ctx.before)]);
    const accepted = [...queries, ...(order ? [order] : [])];
    if (order) {
      const granted = await grantWhenAsked(ctx, order.planId, deadline);
      if (granted.answer !== 200) ctx.note(`purchase order not granted: ${JSON.stringify(granted).slice(0, 200)}`);
    }
    const settled = await settle(ctx.alice, accepted.map((a) => a.planId), deadline);
    ctx.note(`plans: ${statusCounts(settled)}`);
    for (const { text, planId } of queries) {
      const plan = settled.plans.get(planId);
      if (plan && plan.status !== 'succeeded') failures.push(`"${text}" ended ${plan.status} under ${LATENCY_MS} ms latency: ${JSON.stringify(plan.tasks[0]?.error ?? plan.error)}`);
    }
    return judge(ctx, accepted, settled, Date.now(), failures);
  },
};
