// A compensation that fails for longer than its retries: a line POST is refused (400) so the saga rolls back,
// while BC answers 503 to every purchase-order DELETE until the saga has given up (or a bound passes), then
// heals. BC must come back to the snapshot: the saga repair sweep retries the parked compensation until it
// succeeds.
import { isFinal, settle, until } from '../api.js';
import { judge, purchaseOrderSagaScenario, statusCounts } from '../scenario.js';

export const compensationOutage = purchaseOrderSagaScenario({
  name: 'compensation-outage',
  summary: 'PO DELETE answers 503 longer than the compensation retries, then heals: BC eventually back to the snapshot',
  // A line POST is refused, so the saga rolls back; every purchase-order DELETE (its compensation) fails until healed.
  faults: [
    { entitySet: 'purchaseOrderLines', method: 'POST', status: 400 },
    { entitySet: 'purchaseOrders', method: 'DELETE', status: 503 },
  ],
  async afterGrant(ctx, { order, grantedAt, failures }) {
    const { timings } = ctx;

    // The outage outlasts the compensation's retries: it ends when the plan has ended, or after three retry budgets.
    const outageEnd = grantedAt + (3 * timings.compensationRetrySeconds + timings.slackSeconds) * 1000;
    const ended = await until(outageEnd, async () => (isFinal((await ctx.alice.plan(order.planId)).plan) ? true : undefined), 1000);
    const deletes = (await ctx.bc.requests()).filter((r) => r.method === 'DELETE' && r.entitySet === 'purchaseOrders').length;
    await ctx.bc.clearFaults();
    const healedAt = Date.now();
    ctx.note(`DELETE purchaseOrders refused ${deletes} times; healed ${((healedAt - grantedAt) / 1000).toFixed(1)} s after the grant (${ended ? 'plan had ended' : 'plan still open'})`);
    if (deletes === 0) failures.push('precondition: the saga never tried to delete its order');

    // After healing, a repair has one sweeper period (plus slack) to bring BC back.
    const deadline = healedAt + (timings.sweeperPeriodSeconds + timings.slackSeconds) * 1000;
    const settled = await settle(ctx.alice, [order.planId], deadline);
    const plan = settled.plans.get(order.planId);
    ctx.note(`plans: ${statusCounts(settled)}; saga: ${JSON.stringify(plan?.tasks[0]?.error ?? plan?.status).slice(0, 300)}`);
    if (plan?.status === 'succeeded') failures.push('the saga succeeded although its line POST was refused');
    return judge(ctx, [order], settled, deadline, failures);
  },
});
