// Key layout of STATE_TABLE. Every partition key starts with the tenant, so another tenant's id is simply
// not found. Ids are validated before they reach here (no '#'), which keeps keys unambiguous.
//
//   TENANT#<t>#SESSION#<s>  SESSION                        the session
//                           MSG#<iso time>#<messageId>     one message (carries its planId)
//   TENANT#<t>#PLAN#<p>     PLAN                           the plan with its tasks (one item: atomic)
//                           RESULT#<taskId>#<nonce>        a stored result's header (written last)
//                           RESULT#<taskId>#<nonce>#<n>    its chunks
//
// Index `bySweepAt` (sparse, on the PLAN item only while the plan is not final):
//   sweepPk SWEEP#<0..SWEEP_SHARDS-1>   sweepAt <ISO time the plan sweeper should look at it next>
// A plan gets both when created and loses both when it ends (same writes, no extra call), so the index holds
// only live plans; the shard spreads the index's writes over several partitions.

import { createHash } from 'node:crypto';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

function part(name: string, value: string): string {
  if (!SAFE.test(value)) throw new Error(`invalid ${name} "${value}" for a key`);
  return value;
}

export const sessionPk = (tenantId: string, sessionId: string) =>
  `TENANT#${part('tenantId', tenantId)}#SESSION#${part('sessionId', sessionId)}`;
export const SESSION_SK = 'SESSION';
export const MESSAGE_SK_PREFIX = 'MSG#';
export const messageSk = (createdAt: string, messageId: string) => `${MESSAGE_SK_PREFIX}${createdAt}#${part('messageId', messageId)}`;

export const planPk = (tenantId: string, planId: string) =>
  `TENANT#${part('tenantId', tenantId)}#PLAN#${part('planId', planId)}`;
export const PLAN_SK = 'PLAN';
export const resultSk = (taskId: string, nonce: string) => `RESULT#${part('taskId', taskId)}#${part('nonce', nonce)}`;
export const resultChunkSk = (taskId: string, nonce: string, index: number) =>
  `${resultSk(taskId, nonce)}#${String(index).padStart(4, '0')}`;

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE.test(value);
}

export const SWEEP_INDEX = 'bySweepAt';
export const SWEEP_SHARDS = 4;
export const sweepPk = (shard: number) => `SWEEP#${shard}`;

/** The index shard of a plan: a stable hash of its key, so a plan always lives in one shard. */
export function sweepShardOf(tenantId: string, planId: string): number {
  let hash = 0;
  for (const char of `${tenantId}/${planId}`) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % SWEEP_SHARDS;
}

//   TENANT#<t>#USER#<user hash>  SESSION#<createdAt>#<s>     a session the user started (GET /v1/sessions)
//   TENANT#<t>#PLAN#<p>          FEEDBACK#<user hash>        one user's feedback on the plan's answer
// A subject claim may hold any characters (an e-mail, a pairwise id): keys carry its hash, the items the sub.
export const userKey = (subject: string) => createHash('sha256').update(subject).digest('hex').slice(0, 32);
export const userPk = (tenantId: string, subject: string) => `TENANT#${part('tenantId', tenantId)}#USER#${userKey(subject)}`;
export const USER_SESSION_SK_PREFIX = 'SESSION#';
export const userSessionSk = (createdAt: string, sessionId: string) => `${USER_SESSION_SK_PREFIX}${createdAt}#${part('sessionId', sessionId)}`;
export const feedbackSk = (subject: string) => `FEEDBACK#${userKey(subject)}`;
