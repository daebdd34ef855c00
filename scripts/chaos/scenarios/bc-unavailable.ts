// BC answers 503 to every request (rate 1.0): every plan ends failed with an error a person can read (the
// breaker opens on the way), and BC holds exactly what it held before.
import { settle } from '../api.js';
import { judge, postAll, purchaseOrderText, statusCounts, type Scenario } from '../scenario.js';

export const bcUnavailable: Scenario = {
  name: 'bc-503',
  summary: 'BC answers 503 to everything: plans end failed with readable errors, nothing written',
  async run(ctx) {
    const failures: string[] = [];
    await ctx.bc.addFault({ status: 503, rate: 1.0 });
    const deadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
    const accepted = await postAll(ctx, ctx.alice, ['count customers', 'list vendors top 3', purchaseOrderText(ctx.before)]);
    const settled = await settle(ctx.alice, accepted.map((a) => a.planId), deadline);
    ctx.note(`plans: ${statusCounts(settled)}`);
    for (const [planId, plan] of settled.plans) {
      if (plan.status === 'succeeded') failures.push(`plan ${planId} succeeded although BC answered 503 to everything`);
    }
    return judge(ctx, accepted, settled, Date.now(), failures);
  },
};
