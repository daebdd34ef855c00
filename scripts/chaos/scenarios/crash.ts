// SIGKILL of the whole local cloud with 22 chat messages and 2 granted purchase-order sagas in flight (their
// line POSTs slowed so they are between order and lines), plus one saga waiting for approval; then a start on
// the same state directory, and the waiting saga granted. Every accepted message's plan must reach a final
// state within the sweeper's period plus the visibility timeout, counts must equal BC's, and every saga must
// have completed (order, lines, reservations) or left nothing.
import { settle, until } from '../api.js';
import { grantWhenAsked, judge, postAll, purchaseOrderText, statusCounts, type Scenario } from '../scenario.js';

const MESSAGES = Number(process.env.CHAOS_CRASH_MESSAGES ?? 22);
const SETS = ['customers', 'vendors', 'items', 'locations', 'currencies', 'paymentTerms', 'salesOrders', 'purchaseOrders'];

export const crash: Scenario = {
  name: 'crash-restart',
  summary: `SIGKILL with ${MESSAGES} messages and 2 sagas in flight, restart on the same state: every plan final and correct`,
  needsRestart: true,
  async run(ctx) {
    const failures: string[] = [];
    const { timings, cloud } = ctx;
    if (!cloud.crashAndRestart) throw new Error('crash-restart needs a local cloud it can kill (run it with npm run chaos)');
    const setupDeadline = Date.now() + timings.scenarioDeadlineSeconds * 1000;

    // Two sagas granted and slowed between their order and their lines; one left waiting for its approval.
    await ctx.bc.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', latencyMs: 4000 });
    const sagas = await postAll(ctx, ctx.alice, [purchaseOrderText(ctx.before, 1, 0), purchaseOrderText(ctx.before, 1, 1), purchaseOrderText(ctx.before, 1, 2)]);
    const [running1, running2, waiting] = sagas;
    for (const saga of [running1, running2]) {
      if (!saga) continue;
      const granted = await grantWhenAsked(ctx, saga.planId, setupDeadline);
      if (granted.answer !== 200) failures.push(`could not grant saga ${saga.planId}: ${JSON.stringify(granted).slice(0, 200)}`);
    }
    const waitingApproval = waiting ? await until(setupDeadline, async () => (await ctx.approver.pendingApprovals()).body.approvals?.find((a) => a.planId === waiting.planId)) : undefined;

    const texts = Array.from({ length: MESSAGES }, (_, i) => `count ${SETS[i % SETS.length]}`);
    const messages = await postAll(ctx, ctx.alice, texts);
    const linesStarted = await until(Date.now() + 30_000, async () => {
      const posts = (await ctx.bc.requests()).filter((r) => r.method === 'POST' && r.entitySet === 'purchaseOrderLines').length;
      return posts >= 2 ? posts : undefined;
    }, 100);
    if (!linesStarted) failures.push('precondition: the two sagas did not both reach their line POST before the crash');
    const openBefore = (await Promise.all(messages.map(async (m) => (await ctx.alice.plan(m.planId)).plan?.status))).filter((s) => s !== 'succeeded' && s !== 'failed').length;

    await cloud.crashAndRestart();
    const restartedAt = Date.now();
    ctx.note(`killed with ${openBefore} of ${messages.length} messages unfinished and 2 sagas between order and lines; restarted`);

    // The waiting saga's approval, decided after the restart: granted must mean it runs; else a 409/410 with a reason.
    if (waiting && waitingApproval) {
      const decided = await ctx.approver.decide(waitingApproval.approvalId, 'grant');
      ctx.note(`approval granted after the restart answered ${decided.status} ${JSON.stringify(decided.body).slice(0, 160)}`);
      if (![200, 409, 410].includes(decided.status)) failures.push(`deciding an approval after the restart answered ${decided.status}`);
    }

    const accepted = [...sagas, ...messages];
    const deadline = restartedAt + timings.crashDeadlineSeconds * 1000;
    const settled = await settle(ctx.alice, accepted.map((a) => a.planId), deadline);
    ctx.note(`plans after ${((Date.now() - restartedAt) / 1000).toFixed(0)} s (deadline ${timings.crashDeadlineSeconds} s = sweeper ${timings.sweeperPeriodSeconds} s + visibility ${timings.visibilityTimeoutSeconds} s + slack): ${statusCounts(settled)}`);
    const verdict = await judge(ctx, accepted, settled, Date.now(), failures);

    // A saga that says it succeeded must have its whole order in BC.
    for (const saga of sagas) {
      const task = settled.plans.get(saga.planId)?.tasks[0];
      if (task?.status !== 'succeeded') continue;
      const lines = await ctx.bc.company(`purchaseOrders(${String(task.result?.orderId)})/purchaseOrderLines`).catch(() => ({ value: [] }));
      if (lines.value.length !== 1) failures.push(`saga ${saga.planId} succeeded but its order has ${lines.value.length} lines in BC, not 1`);
    }
    return verdict;
  },
};
