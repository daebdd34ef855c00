// The breaker opens while a purchase-order saga is between its order and its lines: the order is in BC, a
// line POST is on its way (slowed, then answered 503), and failing queries open the breaker meanwhile. The
// saga must roll back and BC must equal the snapshot within the breaker's open window plus one retry period of
// the compensations (compensations pass the open breaker).
import { isFinal, settle, until } from '../api.js';
import { breakerStates } from '../aws.js';
import { judge, postAll, purchaseOrderSagaScenario, statusCounts, type Accepted } from '../scenario.js';

/** How long each line POST takes before its 503: long enough for the failing queries to open the breaker. */
const LINE_DELAY_MS = Number(process.env.CHAOS_LINE_DELAY_MS ?? 3000);

export const breakerOpenSaga = purchaseOrderSagaScenario({
  name: 'breaker-open-saga',
  summary: 'breaker opened by failing queries while a saga adds its lines; the line POST fails: rollback, BC as before',
  // The saga's line POST is slow and then fails; the queries fail meanwhile, and open the breaker.
  faults: [
    { entitySet: 'purchaseOrderLines', method: 'POST', status: 503, latencyMs: LINE_DELAY_MS },
    { entitySet: 'customers', method: 'GET', status: 503 },
  ],
  async afterGrant(ctx, { order, grantedAt, failures }) {
    const { timings } = ctx;

    // The order exists and a line is on its way: now open the breaker with queries BC fails.
    const lineStarted = await until(grantedAt + 30_000, async () => ((await ctx.bc.requests()).some((r) => r.method === 'POST' && r.entitySet === 'purchaseOrderLines') ? true : undefined), 200);
    if (!lineStarted) failures.push('precondition: the saga never reached its line POST');
    const queries: Accepted[] = await postAll(ctx, ctx.alice, Array.from({ length: 5 }, () => 'count customers'));
    const opened = await until(Date.now() + 60_000, async () => (Object.values(await breakerStates(ctx.cloud.urls.aws)).includes('open') ? true : undefined), 250);
    const planAtOpen = (await ctx.alice.plan(order.planId)).plan;
    if (!opened) failures.push('precondition: the failing queries did not open the breaker');
    else if (isFinal(planAtOpen)) failures.push(`precondition: the saga had already ended (${planAtOpen?.status}) when the breaker opened`);
    else ctx.note(`breaker open ${((Date.now() - grantedAt) / 1000).toFixed(1)} s after the grant; saga plan ${planAtOpen?.status}`);

    // Within the open window plus one retry period of the compensations (plus slack), the plans end and BC is as before.
    const deadline = grantedAt + (timings.breakerOpenSeconds + timings.compensationRetrySeconds + timings.slackSeconds) * 1000;
    const accepted = [order, ...queries];
    const settled = await settle(ctx.alice, accepted.map((a) => a.planId), deadline);
    ctx.note(`plans: ${statusCounts(settled)}; saga: ${JSON.stringify(settled.plans.get(order.planId)?.tasks[0]?.error ?? settled.plans.get(order.planId)?.status).slice(0, 300)}`);
    if (settled.plans.get(order.planId)?.status === 'succeeded') failures.push('the saga succeeded although its line POST failed');
    return judge(ctx, accepted, settled, deadline, failures);
  },
});
