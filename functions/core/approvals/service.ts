// The approval flow: request (idempotent per task), list what a caller may decide, decide (once, by an
// approver of the tenant who is not the requester), expire what nobody decided in time, and tell whatever
// waits on the decision. Every BC write passes through here before it runs.
import { randomUUID } from 'node:crypto';
import type { EventPublisher } from '../events/index.js';
import { operationHash, approvalIdForTask } from './operation.js';
import {
  decisionEvent,
  isOverdue,
  requestedEvent,
  toView,
  boundHash,
  type ApprovalAsk,
  type ApprovalRecord,
  type ApprovalStatus,
  type ApprovalView,
  type DecidedStatus,
} from './record.js';
import { autoApprovalRule, type ApprovalSettings } from './settings.js';
import type { ApprovalStore } from './store.js';
import { APPROVAL_NOT_GRANTED, notGrantedCause, sagaApprovalOutput, type SagaWaiter, type WaiterCheck } from './waiters.js';

export const APPROVER_ROLE = 'approver';
/** Who decided an auto-approved operation. */
export const AUTO_APPROVER = 'system:auto-approve';
/** A decision younger than this may still be being announced by its decider: the sweep leaves it alone. */
const ANNOUNCE_GRACE_MS = 60_000;
/** At most this many approvals in one list. */
export const MAX_LISTED = 100;

export type ApprovalErrorKind = 'not_found' | 'forbidden' | 'conflict' | 'expired' | 'waiter_gone';

/** A refusal the caller can act on; the HTTP route maps the kind to 404 / 403 / 409 (waiter_gone: its own code). */
export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  constructor(
    readonly kind: ApprovalErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface Decider {
  sub: string;
  tenantId: string;
  roles: readonly string[];
}

export type Decision = 'grant' | 'deny';

/** A write (or saga) asking for a person's decision; `causationId` defaults to the task id. */
export interface ApprovalRequest extends ApprovalAsk {
  /** Defaults to the task's approval id (approvalIdForTask). */
  approvalId?: string;
}

/** Where an approval stands for the one who asked. `mismatch`: the task's approval is for other arguments. */
export type ApprovalOutcome =
  | { status: ApprovalStatus; approvalId: string; expiresAt: string; reason?: string }
  | { status: 'mismatch'; approvalId: string; expiresAt: string; reason: string };

export interface ApprovalServiceDeps {
  store: ApprovalStore;
  publisher: EventPublisher;
  settings: ApprovalSettings;
  /** Resumes waiting sagas. */
  saga: SagaWaiter;
  /** Whether the write an approval would release can still run (the plan store); unchecked when absent. */
  waiting?: WaiterCheck;
  now?: () => Date;
}

/** The saga's token was not heard: its execution ended or stopped waiting. */
const SAGA_GONE = 'the purchase-order saga no longer waits for this approval (its execution ended or its wait timed out)';

export class ApprovalService {
  private readonly now: () => Date;

  constructor(private readonly deps: ApprovalServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get settings(): ApprovalSettings {
    return this.deps.settings;
  }

  /**
   * Records the request and announces it (approval:requested), or, if the task already has one, returns it
   * unchanged: a redelivered task never creates a second approval. An operation the environment
   * auto-approves is recorded as granted by AUTO_APPROVER.
   */
  async request(request: ApprovalRequest): Promise<ApprovalOutcome> {
    const approvalId = request.approvalId ?? approvalIdForTask(request);
    const requestedAt = this.now();
    const hash = operationHash(request.tenantId, request.operation.tool, request.operation.arguments);
    const record: ApprovalRecord = {
      approvalId,
      tenantId: request.tenantId,
      sessionId: request.sessionId,
      planId: request.planId,
      taskId: request.taskId,
      correlationId: request.correlationId,
      causationId: request.causationId ?? request.taskId,
      requestEventId: randomUUID(),
      summary: request.summary,
      operation: request.operation,
      operationHash: hash,
      requestedBy: request.requestedBy,
      status: 'pending',
      requestedAt: requestedAt.toISOString(),
      expiresAt: Math.floor(requestedAt.getTime() / 1000) + this.deps.settings.ttlMinutes * 60,
      ...(request.taskToken ? { taskToken: request.taskToken } : {}),
    };
    const autoRule = autoApprovalRule(this.deps.settings, request.operation);
    if (autoRule) {
      Object.assign(record, {
        status: 'granted',
        decidedBy: AUTO_APPROVER,
        decidedAt: record.requestedAt,
        reason: `approved by the environment's auto-approve rule ${autoRule}`,
        autoApprovedBy: autoRule,
        decisionEventId: randomUUID(),
      } satisfies Partial<ApprovalRecord>);
    }

    if (await this.deps.store.create(record)) {
      await this.deps.publisher.publish([requestedEvent(record)]);
      // An auto-approved operation is decided at once: approval:granted follows, and a waiting saga resumes.
      if (autoRule) await this.tellWaiters(record);
      return this.outcome(record);
    }

    const existing = await this.deps.store.get(request.tenantId, approvalId);
    if (!existing) throw new Error(`approval ${approvalId} exists and cannot be read`);
    if (boundHash(existing) !== hash) {
      return { status: 'mismatch', approvalId, expiresAt: this.outcome(existing).expiresAt, reason: `approval ${approvalId} of this task was asked for a different operation` };
    }
    const current = isOverdue(existing, this.now()) ? await this.expire(existing) : existing;
    if (current.status === 'pending') {
      if (request.taskToken && request.taskToken !== current.taskToken) {
        if (!(await this.deps.store.replaceTaskToken(current, request.taskToken))) {
          // Decided meanwhile: answer the new token with the decision.
          return this.request(request);
        }
      }
      // The first request's announcement may have been lost: the same event again (consumers dedupe on eventId).
      await this.deps.publisher.publish([requestedEvent(current)]);
      return this.outcome(current);
    }
    // Already decided (or just expired): a retried saga step waits on a new token, which hears the decision at once.
    if (request.taskToken && request.taskToken !== current.taskToken) {
      await this.tellWaiters({ ...current, taskToken: request.taskToken });
    }
    return this.outcome(current);
  }

  /** The record of an approval as it stands now (an overdue one is expired first), or undefined. */
  async current(tenantId: string, approvalId: string): Promise<ApprovalRecord | undefined> {
    const record = await this.deps.store.get(tenantId, approvalId);
    if (!record) return undefined;
    return isOverdue(record, this.now()) ? this.expire(record) : record;
  }

  /**
   * The tenant's approvals in `status` that the caller may see: approvers only; pending ones exclude the
   * caller's own requests unless self-approval is allowed, and overdue ones are expired on the way.
   */
  async list(caller: Decider, status: ApprovalStatus): Promise<ApprovalView[]> {
    if (!caller.roles.includes(APPROVER_ROLE)) return [];
    // Four eyes: the caller's own pending requests are not theirs to decide, so not listed.
    const hideOwn = status === 'pending' && !this.deps.settings.allowSelfApproval;
    return this.viewsOf(await this.deps.store.listByStatus(caller.tenantId, status, MAX_LISTED, hideOwn ? caller.sub : undefined), status);
  }

  /**
   * The caller's own requests in `status` (any role: a requester sees what they wait for), overdue pending
   * ones expired on the way.
   */
  async listOwn(caller: Pick<Decider, 'sub' | 'tenantId'>, status: ApprovalStatus): Promise<ApprovalView[]> {
    return this.viewsOf(await this.deps.store.listRequestedBy(caller.tenantId, status, caller.sub, MAX_LISTED), status);
  }

  /** Records as the caller sees them; overdue pending ones are expired on the way, not shown. */
  private async viewsOf(records: ApprovalRecord[], status: ApprovalStatus): Promise<ApprovalView[]> {
    const now = this.now();
    const views: ApprovalView[] = [];
    for (const record of records) {
      if (status === 'pending' && isOverdue(record, now)) {
        await this.expire(record);
        continue;
      }
      views.push(toView(record, now));
    }
    return views;
  }

  /**
   * Closes a pending approval whose write must no longer run (its plan was cancelled): it becomes `expired`
   * with `closedReason`, a later grant is refused (ApprovalWaiterGone), and a saga waiting on its token is
   * failed with APPROVAL_NOT_GRANTED, so its Catch ends the execution before it writes. Undefined when the
   * approval does not exist or was no longer pending (decided meanwhile: the caller reports it).
   */
  async close(tenantId: string, approvalId: string, reason: string): Promise<ApprovalRecord | undefined> {
    const record = await this.deps.store.get(tenantId, approvalId);
    if (!record || record.status !== 'pending') return undefined;
    const closed = await this.deps.store.close(record, 'pending', reason, this.now());
    if (!closed) return undefined;
    if (closed.taskToken) await this.deps.saga.fail(closed.taskToken, APPROVAL_NOT_GRANTED, `Approval ${approvalId} was closed: ${reason}; nothing was written.`);
    return closed;
  }

  /**
   * Decides a pending approval. The same decision again answers as the first did (and re-tells the waiters,
   * in case the first answer was lost); a contrary one is a conflict; another tenant's id is not found.
   */
  async decide(caller: Decider, approvalId: string, decision: Decision, reason?: string): Promise<ApprovalView> {
    let record = await this.deps.store.get(caller.tenantId, approvalId);
    if (!record) throw new ApprovalError('not_found', `no approval ${approvalId}`);
    if (!caller.roles.includes(APPROVER_ROLE)) throw new ApprovalError('forbidden', 'only approvers can decide approvals');
    if (record.requestedBy === caller.sub && !this.deps.settings.allowSelfApproval) {
      throw new ApprovalError('forbidden', 'a write needs the approval of someone other than its requester');
    }
    const target: DecidedStatus = decision === 'grant' ? 'granted' : 'denied';
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      if (record.closedReason) throw this.gone(record);
      if (record.status === target) {
        await this.tellWaiters(record);
        return toView(record, now);
      }
      if (record.status === 'expired' || isOverdue(record, now)) {
        if (record.status === 'pending') await this.expire(record);
        throw new ApprovalError('expired', `approval ${approvalId} expired without a decision`);
      }
      if (record.status !== 'pending') throw new ApprovalError('conflict', `approval ${approvalId} is already ${record.status}`);
      // Nobody waits any more (the plan or task ended, e.g. failed by the plan sweeper): close it, decide nothing.
      const gone = await this.deps.waiting?.(record);
      if (gone) {
        const closed = await this.deps.store.close(record, 'pending', gone, now);
        if (closed) throw this.gone(closed);
        record = await this.deps.store.get(caller.tenantId, approvalId);
        if (!record) throw new ApprovalError('not_found', `no approval ${approvalId}`);
        continue;
      }
      const decided = await this.deps.store.decide(
        record,
        { status: target, decidedBy: caller.sub, decidedAt: now.toISOString(), decisionEventId: randomUUID(), ...(reason ? { reason } : {}) },
        now,
      );
      if (decided) {
        // The saga's token was not heard: "granted" would be for nothing; tellWaiters closed the approval.
        if (!(await this.tellWaiters(decided))) throw this.gone({ ...decided, closedReason: SAGA_GONE });
        return toView(decided, now);
      }
      // Decided or expired by someone else meanwhile: look again.
      record = await this.deps.store.get(caller.tenantId, approvalId);
      if (!record) throw new ApprovalError('not_found', `no approval ${approvalId}`);
    }
    throw new ApprovalError('conflict', `approval ${approvalId} keeps changing; try again`);
  }

  /** Marks an overdue approval expired and tells its waiters; returns the record as it ends up. */
  async expire(record: ApprovalRecord): Promise<ApprovalRecord> {
    const now = this.now();
    const expired = await this.deps.store.decide(
      record,
      { status: 'expired', decidedBy: 'system:expiry', decidedAt: now.toISOString(), decisionEventId: randomUUID() },
      now,
    );
    if (expired) {
      await this.tellWaiters(expired);
      return expired;
    }
    return (await this.deps.store.get(record.tenantId, record.approvalId)) ?? { ...record, status: 'expired' };
  }

  /**
   * The sweep: expires every overdue pending approval of every tenant, and announces any decision whose
   * announcement failed midway. One record's failure does not stop the others; the sweep then fails with all
   * of them. Returns how many it expired.
   */
  async expireOverdue(): Promise<number> {
    const now = this.now();
    let count = 0;
    const failures: unknown[] = [];
    for await (const record of this.deps.store.needingSweep(now, new Date(now.getTime() - ANNOUNCE_GRACE_MS))) {
      try {
        if (record.status !== 'pending') {
          await this.tellWaiters(record);
          continue;
        }
        const after = await this.expire(record);
        if (after.status === 'expired' && after.decidedBy === 'system:expiry') count++;
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `the sweep failed for ${failures.length} approvals`);
    return count;
  }

  /**
   * Resumes a waiting saga and announces the decision (approval:granted resumes a single write through the
   * write queue; approval:denied / expired end it through plan progress). Safe to repeat. False when a grant's
   * saga no longer waits on its token: then nothing is announced and the approval is closed.
   */
  private async tellWaiters(record: ApprovalRecord): Promise<boolean> {
    if (record.status === 'pending' || record.closedReason) return true;
    if (record.taskToken) {
      if (record.status === 'granted') {
        // A first grant nobody hears is not announced: the approval is closed instead (a repeat tell of an
        // answered token is not heard either, and is simply done).
        const heard = await this.deps.saga.succeed(record.taskToken, sagaApprovalOutput(record));
        if (heard === false && !record.toldAt) {
          await this.deps.store.close(record, 'granted', SAGA_GONE, this.now());
          return false;
        }
      } else {
        await this.deps.saga.fail(record.taskToken, APPROVAL_NOT_GRANTED, notGrantedCause(record));
      }
    }
    await this.deps.publisher.publish([decisionEvent(record)]);
    if (!record.toldAt) await this.deps.store.markTold(record, this.now());
    return true;
  }

  private gone(record: ApprovalRecord): ApprovalError {
    return new ApprovalError('waiter_gone', `approval ${record.approvalId} can no longer take effect: ${record.closedReason ?? 'nothing waits for it'}; it was closed and nothing was written`);
  }

  private outcome(record: ApprovalRecord): ApprovalOutcome {
    const view = toView(record, this.now());
    return { status: view.status, approvalId: record.approvalId, expiresAt: view.expiresAt, ...(record.reason ? { reason: record.reason } : {}) };
  }
}
