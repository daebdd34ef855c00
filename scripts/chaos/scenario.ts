// What every scenario shares: its context (the cloud, the time limits, the BC snapshot taken before it), the
// moves a chat front-end and an approver make (messages, purchase orders granted), the truth read from BC to
// judge answers, and the verdict: orphans, stuck plans and lost messages as the campaign defines them.
import { AgentClient, isFinal, readableError, settle, until, type PlanView, type Settled } from './api.js';
import { inFlight } from './aws.js';
import { describeDifference, diffSnapshots, takeSnapshot, unexplained, type BcDifference, type BcSnapshot, type ExplainedWrite, type FaultRule, type SandboxClient } from './bc.js';
import type { ChaosCloud } from './cloud.js';
import type { ChaosTimings } from './timings.js';

export interface ScenarioContext {
  cloud: ChaosCloud;
  timings: ChaosTimings;
  bc: SandboxClient;
  /** The requester's chat. */
  alice: AgentClient;
  /** An approver of the same tenant. */
  approver: AgentClient;
  /** BC before the scenario. */
  before: BcSnapshot;
  /** A line for the report (shown under the scenario's line). */
  note(line: string): void;
}

export interface Scenario {
  name: string;
  /** One line: what is done and what is expected. */
  summary: string;
  /** Needs a cloud it can SIGKILL and restart (not the in-process test cloud). */
  needsRestart?: boolean;
  run(ctx: ScenarioContext): Promise<Verdict>;
}

export interface Verdict {
  orphans: number;
  stuck: number;
  lost: number;
  /** Checks of correctness that failed (wrong answer, unreadable error, precondition not reached). */
  failures: string[];
}

export interface Accepted {
  text: string;
  planId: string;
}

/** Posts each text; returns the accepted (202) ones and notes the rest. */
export async function postAll(ctx: ScenarioContext, client: AgentClient, texts: string[]): Promise<Accepted[]> {
  const answers = await Promise.all(texts.map(async (text) => ({ text, answer: await client.send(text) })));
  const accepted: Accepted[] = [];
  for (const { text, answer } of answers) {
    if (answer.status === 202 && answer.body.planId) accepted.push({ text, planId: answer.body.planId });
    else ctx.note(`not accepted (${answer.status}): "${text}" ${JSON.stringify(answer.body).slice(0, 200)}`);
  }
  return accepted;
}

/** The demo company's records of one set in a snapshot. */
export function recordsOf(snapshot: BcSnapshot, entitySet: string): Array<Record<string, any>> {
  const prefix = `${snapshot.demoCompanyId}/${entitySet}/`;
  return [...snapshot.records].filter(([key]) => key.startsWith(prefix)).map(([, record]) => record);
}

/**
 * `create purchase order for vendor <no>: <qty> x <item>, …` for a vendor that is not blocked and stocked
 * inventory items, taken from the snapshot (`offset` picks other items, so parallel orders differ).
 */
export function purchaseOrderText(snapshot: BcSnapshot, lines = 2, offset = 0): string {
  const vendor = recordsOf(snapshot, 'vendors').filter((v) => v.blocked !== 'All').sort((a, b) => String(a.number).localeCompare(String(b.number)))[0];
  const items = recordsOf(snapshot, 'items')
    .filter((i) => i.type === 'Inventory' && i.blocked === false && Number(i.inventory) > 10)
    .sort((a, b) => String(a.number).localeCompare(String(b.number)));
  if (!vendor || items.length < lines + offset) throw new Error('the demo company has no open vendor or too few stocked items for a purchase order');
  const chosen = items.slice(offset, offset + lines).map((item, i) => `${i + 1} x ${String(item.number)}`);
  return `create purchase order for vendor ${String(vendor.number)}: ${chosen.join(', ')}`;
}

/** A purchase-order saga under a scenario's faults, granted at `grantedAt`; `failures` so far (a grant that failed). */
export interface GrantedSaga {
  order: Accepted;
  grantedAt: number;
  failures: string[];
}

/**
 * A scenario about one purchase-order saga: the order posted, the scenario's faults in place, the order granted
 * when it asks; then `afterGrant` watches what follows and judges. An order not even accepted is the verdict.
 */
export function purchaseOrderSagaScenario(spec: Omit<Scenario, 'run'> & { faults: FaultRule[]; afterGrant(ctx: ScenarioContext, saga: GrantedSaga): Promise<Verdict> }): Scenario {
  const { faults, afterGrant, ...scenario } = spec;
  return {
    ...scenario,
    async run(ctx) {
      const setupDeadline = Date.now() + ctx.timings.scenarioDeadlineSeconds * 1000;
      const [order] = await postAll(ctx, ctx.alice, [purchaseOrderText(ctx.before)]);
      if (!order) return { orphans: 0, stuck: 0, lost: 0, failures: ['the purchase order was not accepted'] };
      for (const fault of faults) await ctx.bc.addFault(fault);
      const granted = await grantWhenAsked(ctx, order.planId, setupDeadline);
      const grantedAt = Date.now();
      const failures = granted.answer === 200 ? [] : [`could not grant the purchase order: ${JSON.stringify(granted).slice(0, 300)}`];
      return afterGrant(ctx, { order, grantedAt, failures });
    },
  };
}

/**
 * The load of the fault scenarios: the reads and one purchase order (granted when asked), settled by the
 * deadline; every read that did not succeed is a failure "under <condition>".
 */
export async function readsAndOrderUnder(ctx: ScenarioContext, texts: string[], condition: string, deadline: number, failures: string[]) {
  const queries = await postAll(ctx, ctx.alice, texts);
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
    if (plan && plan.status !== 'succeeded') failures.push(`"${text.slice(0, 40)}" ended ${plan.status} ${condition}: ${JSON.stringify(plan.tasks[0]?.error ?? plan.error)}`);
  }
  return { queries, order, accepted, settled };
}

/** Waits for the plan to wait for approval, finds its approval and grants it. */
export async function grantWhenAsked(ctx: ScenarioContext, planId: string, deadline: number): Promise<{ approvalId?: string; answer?: number; plan?: PlanView }> {
  const waiting = await until(deadline, async () => {
    const { plan } = await ctx.alice.plan(planId);
    return plan && (plan.status === 'awaiting_approval' || isFinal(plan)) ? plan : undefined;
  });
  if (waiting?.status !== 'awaiting_approval') return waiting ? { plan: waiting } : {};
  const approval = await until(deadline, async () => {
    const listed = await ctx.approver.pendingApprovals();
    return listed.body.approvals?.find((a) => a.planId === planId);
  });
  if (!approval) return { plan: waiting };
  const decided = await ctx.approver.decide(approval.approvalId, 'grant');
  return { approvalId: approval.approvalId, answer: decided.status, plan: waiting };
}

/** The purchase orders that succeeded sagas report: the only writes the scenarios' plans make. */
export function explainedWrites(plans: Iterable<PlanView>): ExplainedWrite[] {
  const writes: ExplainedWrite[] = [];
  for (const plan of plans) {
    for (const task of plan.tasks) {
      if (task.status === 'succeeded' && typeof task.result?.orderId === 'string') writes.push({ purchaseOrderId: task.result.orderId });
    }
  }
  return writes;
}

/** BC's differences from the snapshot that no succeeded plan explains, once they are gone or at the deadline. */
export async function orphansBy(ctx: ScenarioContext, writes: ExplainedWrite[], deadline: number): Promise<BcDifference[]> {
  let left: BcDifference[] = [];
  await until(deadline, async () => {
    left = unexplained(diffSnapshots(ctx.before, await takeSnapshot(ctx.bc)), writes);
    return left.length === 0 ? true : undefined;
  }, 2000);
  return left;
}

/** Checks each `count <set>` plan's answer against BC's count in the snapshot. */
export function checkCounts(ctx: ScenarioContext, accepted: Accepted[], settled: Settled, failures: string[]): void {
  for (const { text, planId } of accepted) {
    const match = /^count (\w+)$/.exec(text);
    const plan = settled.plans.get(planId);
    if (!match || plan?.status !== 'succeeded') continue;
    const truth = recordsOf(ctx.before, match[1]!).length;
    const answered = plan.tasks[0]?.result?.count;
    if (answered !== truth) failures.push(`"${text}" (plan ${planId}) answered ${JSON.stringify(answered)}, BC has ${truth}`);
  }
}

/** Every failed plan must say why in words. */
export function checkReadableFailures(settled: Settled, failures: string[]): void {
  for (const [planId, plan] of settled.plans) {
    if (plan.status !== 'failed') continue;
    const errors = plan.tasks.filter((t) => t.status === 'failed').map((t) => t.error);
    const unreadable = [plan.error, ...errors].filter((e) => e !== undefined && !readableError(e));
    if (errors.length === 0 && !plan.error) failures.push(`plan ${planId} failed without an error`);
    for (const error of unreadable) failures.push(`plan ${planId} failed with an unreadable error: ${JSON.stringify(error).slice(0, 300)}`);
  }
}

/**
 * The verdict on a scenario's plans and BC: stuck = accepted plans not final by `plansDeadline`; lost =
 * accepted plans that cannot be read, plus non-final plans whose work is gone (nothing in any queue or DLQ and
 * no running execution left to finish them); orphans = BC differences from the snapshot that no succeeded plan
 * explains by `bcDeadline` (waited for, so a repair that comes later still counts as repaired).
 */
export async function judge(ctx: ScenarioContext, accepted: Accepted[], settled: Settled, bcDeadline: number, failures: string[]): Promise<Verdict> {
  for (const id of settled.unreadable) ctx.note(`lost: plan ${id} cannot be read`);
  let gone = 0;
  if (settled.nonFinal.length > 0) {
    const work = await inFlight(ctx.cloud.urls.aws).catch((error: unknown) => ({ error: String(error) }));
    const nothingLeft = 'queues' in work && Object.keys(work.queues).length === 0 && work.runningExecutions === 0;
    ctx.note(`stuck: ${settled.nonFinal.map((id) => `${id} ${describePlan(settled.plans.get(id))}`).join('; ')}`);
    ctx.note(`in flight at the deadline: ${JSON.stringify(work)}`);
    if (nothingLeft) gone = settled.nonFinal.length;
  }
  await ctx.bc.clearFaults();
  const orphans = await orphansBy(ctx, explainedWrites(settled.plans.values()), bcDeadline);
  for (const d of orphans.slice(0, 10)) ctx.note(`orphan: ${describeDifference(d)}`);
  checkCounts(ctx, accepted, settled, failures);
  checkReadableFailures(settled, failures);
  return { orphans: orphans.length, stuck: settled.nonFinal.length, lost: settled.unreadable.length + gone, failures };
}

/** `running [t1 succeeded, t2 dispatched]` */
export function describePlan(plan: PlanView | undefined): string {
  if (!plan) return 'unreadable';
  return `${plan.status} [${plan.tasks.map((t) => `${t.id} ${t.status}`).join(', ')}]`;
}

/** `succeeded 3, failed 2` */
export function statusCounts(settled: Settled): string {
  const counts = new Map<string, number>();
  for (const plan of settled.plans.values()) counts.set(plan.status, (counts.get(plan.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
}

export { settle };
