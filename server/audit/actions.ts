/**
 * Every kind of event the audit log records (SPEC §14), grouped in families for the filters. The
 * pages name each in the reader's language (`audit.action.<kind>` in server/i18n/audit.ts).
 * Pure data: the recorder refuses a kind that is not listed here, so a typo cannot hide an event.
 */
export const AUDIT_ACTIONS = [
  // signing in and out
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.mfa_passed',
  'auth.mfa_failed',
  'auth.sign_out',
  // second factor and passwords
  'auth.mfa_enrolled',
  'auth.mfa_disabled',
  'auth.mfa_reset',
  'auth.password_changed',
  'auth.password_reset_requested',
  'auth.password_reset',
  // tokens and sessions
  'token.issued',
  'token.revoked',
  'session.ended',
  // users, their roles and scopes; banks' sign-in settings
  'user.created',
  'user.updated',
  'bank.sso_changed',
  // set-up and the audit firm's decisions
  'questionnaire.published',
  'assignment.created',
  'assignment.imported',
  'visit.reviewed',
  'dispute.opened',
  'dispute.resolved',
  'quarter.closed',
  'report.reissued',
  'report.resent',
  // webhooks (SPEC §13; recorded by the webhook feature once it exists)
  'webhook.created',
  'webhook.changed',
  'webhook.deleted',
  // downloads and exports
  'report.downloaded',
  'hr.exported',
  'audit.exported',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_FAMILIES = [
  'auth',
  'token',
  'session',
  'user',
  'bank',
  'questionnaire',
  'assignment',
  'visit',
  'dispute',
  'quarter',
  'report',
  'webhook',
  'hr',
  'audit',
] as const;

export function isAuditAction(v: string): v is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(v);
}

/** The kinds a filter names: one kind, or a whole family ("auth" = every "auth.…"). */
export function actionsMatching(filter: string): AuditAction[] {
  if (isAuditAction(filter)) return [filter];
  return AUDIT_ACTIONS.filter((a) => a.startsWith(`${filter}.`));
}
