// SIGKILL of the whole local cloud with 22 chat messages and 2 granted purchase-order sagas in flight (their
// line POSTs slowed so they are between order and lines), plus one saga waiting for approval; then a start on
// the same state directory, and the waiting saga granted. Every accepted message's plan must reach a final
// state within the sweeper's period plus the visibility timeout, counts must equal BC's, and every saga must
// have completed (order, lines, reservations) or left nothing.
import { settle, until } from '../api.js';
import { takeSnapshot } from '../bc.js';
import { judge, postAll, purchaseOrderText, recordsOf, statusCounts, type Accepted, type Scenario } from '../scenario.js';

const MESSAGES = Number(process.env.CHAOS_CRASH_MESSAGES ?? 22);
/** Sets nothing in the scenario writes, so each count has one right answer: the snapshot's. */
const SETS = ['customers', 'vendors', 'items', 'locations', 'currencies', 'paymentTerms', 'salesOrders'];
/** How long each saga's line POST takes, the window in which the cloud is killed. */
const LINE_DELAY_MS = Number(process.env.CHAOS_CRASH_LINE_DELAY_MS ?? 8000);

const accepted = (sagas: Accepted[], messages: Accepted[]): Accepted[] => [...sagas, ...messages];

export const crash: Scenario = {
  name: 'crash-restart',
  summary: `SIGKILL with ${MESSAGES} messages and 2 sagas in flight, restart on the same state: every plan final and correct`,
  needsRestart: true,
  async run(ctx) {
    const failures: string[] = [];
    const { timings, cloud } = ctx;
    if (!cloud.crashAndRestart) throw new Error('crash-restart needs a local cloud it can kill (run it with npm run chaos)');
    const setupDeadline = Date.now() + timings.scenarioDeadlineSeconds * 1000;

    // Three sagas waiting for approval; their line POSTs will take LINE_DELAY_MS each.
    await ctx.bc.addFault({ entitySet: 'purchaseOrderLines', method: 'POST', latencyMs: LINE_DELAY_MS });
    const sagas = await postAll(ctx, ctx.alice, [purchaseOrderText(ctx.before, 1, 0), purchaseOrderText(ctx.before, 1, 1), purchaseOrderText(ctx.before, 1, 2)]);
    const approvals = await Promise.all(sagas.map((saga) => until(setupDeadline, async () => (await ctx.approver.pendingApprovals()).body.approvals?.find((a) => a.planId === saga.planId))));
    if (sagas.length !== 3 || approvals.some((a) => !a)) failures.push('precondition: the three purchase orders did not all wait for approval');
    const waitingApproval = approvals[2];

    // The messages, then the two grants; the kill comes as soon as both sagas are between their order and their line.
    const texts = Array.from({ length: MESSAGES }, (_, i) => `count ${SETS[i % SETS.length]}`);
    const messages = await postAll(ctx, ctx.alice, texts);
    const linePostsBefore = (await ctx.bc.requests()).filter((r) => r.method === 'POST' && r.entitySet === 'purchaseOrderLines').length;
    const grants = await Promise.all(approvals.slice(0, 2).map((a) => (a ? ctx.approver.decide(a.approvalId, 'grant') : undefined)));
    if (grants.some((g) => g?.status !== 200)) failures.push(`precondition: granting the two sagas answered ${grants.map((g) => g?.status).join(', ')}`);
    const linesStarted = await until(Date.now() + 30_000, async () => {
      const posts = (await ctx.bc.requests()).filter((r) => r.method === 'POST' && r.entitySet === 'purchaseOrderLines').length - linePostsBefore;
      return posts >= 2 ? posts : undefined;
    }, 100);
    if (!linesStarted) failures.push('precondition: the two sagas did not both reach their line POST before the crash');
    const statuses = await Promise.all(accepted(sagas, messages).map(async (m) => (await ctx.alice.plan(m.planId)).plan?.status));
    const open = statuses.filter((s) => s !== 'succeeded' && s !== 'failed').length;

    await cloud.crashAndRestart();
    const restartedAt = Date.now();
    ctx.note(`killed with ${open} of ${statuses.length} plans unfinished (2 sagas between order and line, 1 awaiting approval); restarted`);

    // The waiting saga's approval, decided after the restart: granted must mean it runs; else a 409/410 with a reason.
    if (waitingApproval) {
      const decided = await ctx.approver.decide(waitingApproval.approvalId, 'grant');
      ctx.note(`approval granted after the restart answered ${decided.status} ${JSON.stringify(decided.body).slice(0, 160)}`);
      if (![200, 409, 410].includes(decided.status)) failures.push(`deciding an approval after the restart answered ${decided.status}`);
    }

    const all = accepted(sagas, messages);
    const deadline = restartedAt + timings.crashDeadlineSeconds * 1000;
    const settled = await settle(ctx.alice, all.map((a) => a.planId), deadline);
    ctx.note(`plans after ${((Date.now() - restartedAt) / 1000).toFixed(0)} s (deadline ${timings.crashDeadlineSeconds} s = sweeper ${timings.sweeperPeriodSeconds} s + visibility ${timings.visibilityTimeoutSeconds} s + slack): ${statusCounts(settled)}`);
    const verdict = await judge(ctx, all, settled, Date.now(), failures);

    // A saga that says it succeeded must have its whole order (one line, and one reservation where the stage reserves) in BC.
    const after = await takeSnapshot(ctx.bc);
    for (const saga of sagas) {
      const task = settled.plans.get(saga.planId)?.tasks[0];
      if (task?.status !== 'succeeded') continue;
      const orderId = String(task.result?.orderId).toLowerCase();
      const lines = recordsOf(after, 'purchaseOrderLines').filter((l) => String(l.documentId).toLowerCase() === orderId).length;
      const reservations = recordsOf(after, 'itemReservations').filter((r) => String(r.sourceId).toLowerCase() === orderId).length;
      const reserved = after.reservationsApi ? 1 : 0;
      if (lines !== 1 || reservations !== reserved) failures.push(`saga ${saga.planId} succeeded but its order has ${lines} lines and ${reservations} reservations in BC, not 1 and ${reserved}`);
    }
    return verdict;
  },
};
