// Approval settings per environment (lib/config.ts `approvals`, passed to functions as APPROVAL_* variables).
import { autoApproveKeys, type ApprovalOperation } from './operation.js';

export interface ApprovalSettings {
  /** How long a person has to decide. */
  ttlMinutes: number;
  /** `<METHOD>:<entitySet>` rules (entity `*` for any) approved without a person; never in prod. */
  autoApprove: readonly string[];
  /** Whether the requester may decide their own write (four eyes when false). */
  allowSelfApproval: boolean;
}

export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = { ttlMinutes: 15, autoApprove: [], allowSelfApproval: false };

const RULE = /^(POST|PATCH|DELETE|BATCH):(\*|[A-Za-z][A-Za-z0-9]*)$/;

/**
 * APPROVAL_TTL_MINUTES, APPROVAL_AUTO_APPROVE (comma list), APPROVAL_ALLOW_SELF (`true`/`false`), checked:
 * a bad value fails the cold start with its name rather than approving something by accident. In prod
 * (STAGE=prod) auto-approval and self-approval are refused whatever the variables say.
 */
export function approvalSettingsFromEnv(env: Record<string, string | undefined> = process.env): ApprovalSettings {
  const ttlText = env.APPROVAL_TTL_MINUTES?.trim();
  const ttlMinutes = ttlText ? Number(ttlText) : DEFAULT_APPROVAL_SETTINGS.ttlMinutes;
  if (!Number.isInteger(ttlMinutes) || ttlMinutes < 1 || ttlMinutes > 7 * 24 * 60) {
    throw new Error(`APPROVAL_TTL_MINUTES must be a whole number of minutes from 1 to 10080, got '${ttlText}'`);
  }
  const autoApprove = (env.APPROVAL_AUTO_APPROVE ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  const bad = autoApprove.filter((rule) => !RULE.test(rule));
  if (bad.length > 0) throw new Error(`APPROVAL_AUTO_APPROVE has invalid rules (expected METHOD:entitySet): ${bad.join(', ')}`);
  const selfText = (env.APPROVAL_ALLOW_SELF ?? 'false').trim().toLowerCase();
  if (selfText !== 'true' && selfText !== 'false') throw new Error(`APPROVAL_ALLOW_SELF must be 'true' or 'false', got '${selfText}'`);
  const allowSelfApproval = selfText === 'true';
  if (env.STAGE === 'prod' && (autoApprove.length > 0 || allowSelfApproval)) {
    throw new Error('approvals in prod always need a person other than the requester: APPROVAL_AUTO_APPROVE must be empty and APPROVAL_ALLOW_SELF false');
  }
  return { ttlMinutes, autoApprove, allowSelfApproval };
}

/** The rule that approves `operation` without a person, or undefined. Every part of a batch must be covered. */
export function autoApprovalRule(settings: ApprovalSettings, operation: ApprovalOperation): string | undefined {
  const keys = autoApproveKeys(operation);
  if (keys.length === 0 || settings.autoApprove.length === 0) return undefined;
  const covering = (key: string) => {
    const method = key.split(':')[0];
    return settings.autoApprove.find((rule) => rule === key || rule === `${method}:*`);
  };
  const rules = keys.map(covering);
  return rules.every((r) => r !== undefined) ? [...new Set(rules)].join(',') : undefined;
}
