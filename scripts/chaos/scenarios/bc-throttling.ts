// A 429 storm: three of every four BC requests answered 429 with Retry-After until 40 have been refused.
// Throttling is BC asking to slow down, not failing: every plan still succeeds with the right answer, the
// breaker stays closed, and the saga's order is complete.
import { settle } from '../api.js';
import { breakerStates } from '../aws.js';
import { grantWhenAsked, judge, postAll, purchaseOrderText, statusCounts, type Scenario } from '../scenario.js';

export const bcThrottling: Scenario = {
  name: 'bc-429-storm',
  summary: '3 in 4 BC requests answered 429 (Retry-After 1 s), 40 in all: every plan succeeds, breaker stays closed',
  async run(ctx) {
    const failures: string[] = [];
    await ctx.bc.addFault({ status: 429, rate: 0.75, count: 40, retryAfterSeconds: 1 });
    const deadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
    const queries = await postAll(ctx, ctx.alice, ['count customers', 'count vendors', 'count items', 'count locations', 'list vendors top 3', 'list customers top 5']);
    const [order] = await postAll(ctx, ctx.alice, [purchaseOrderText(ctx.before)]);
    const accepted = [...queries, ...(order ? [order] : [])];
    if (order) {
      const granted = await grantWhenAsked(ctx, order.planId, deadline);
      if (granted.answer !== 200) ctx.note(`purchase order not granted: ${JSON.stringify(granted).slice(0, 200)}`);
    }
    const settled = await settle(ctx.alice, accepted.map((a) => a.planId), deadline);
    ctx.note(`plans: ${statusCounts(settled)}`);
    for (const { text, planId } of accepted) {
      const plan = settled.plans.get(planId);
      if (plan && plan.status !== 'succeeded') failures.push(`"${text.slice(0, 40)}" ended ${plan.status} in a 429 storm: ${JSON.stringify(plan.tasks[0]?.error ?? plan.error)}`);
    }
    const open = Object.entries(await breakerStates(ctx.cloud.urls.aws)).filter(([, state]) => state !== 'closed');
    if (open.length) failures.push(`429s opened the breaker: ${JSON.stringify(open)}`);
    return judge(ctx, accepted, settled, Date.now(), failures);
  },
};
