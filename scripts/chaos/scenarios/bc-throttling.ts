// A 429 storm: three of every four BC requests answered 429 with Retry-After until 40 have been refused.
// Throttling is BC asking to slow down, not failing: every plan still succeeds with the right answer, the
// breaker stays closed, and the saga's order is complete.
import { breakerStates } from '../aws.js';
import { judge, readsAndOrderUnder, type Scenario } from '../scenario.js';

export const bcThrottling: Scenario = {
  name: 'bc-429-storm',
  summary: '3 in 4 BC requests answered 429 (Retry-After 1 s), 40 in all: every plan succeeds, breaker stays closed',
  async run(ctx) {
    const failures: string[] = [];
    await ctx.bc.addFault({ status: 429, rate: 0.75, count: 40, retryAfterSeconds: 1 });
    const deadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
    const { order, accepted, settled } = await readsAndOrderUnder(
      ctx,
      ['count customers', 'count vendors', 'count items', 'count locations', 'list vendors top 3', 'list customers top 5'],
      'in a 429 storm',
      deadline,
      failures,
    );
    // Throttling is no reason for the saga to fail either.
    const orderPlan = order && settled.plans.get(order.planId);
    if (orderPlan && orderPlan.status !== 'succeeded') failures.push(`the purchase order ended ${orderPlan.status} in a 429 storm: ${JSON.stringify(orderPlan.tasks[0]?.error ?? orderPlan.error)}`);
    const open = Object.entries(await breakerStates(ctx.cloud.urls.aws)).filter(([, state]) => state !== 'closed');
    if (open.length) failures.push(`429s opened the breaker: ${JSON.stringify(open)}`);
    return judge(ctx, accepted, settled, Date.now(), failures);
  },
};
