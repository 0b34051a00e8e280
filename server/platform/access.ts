import { ForbiddenError, NotFoundError } from './errors';

/**
 * The one authorization layer: role checks (403) and bank/scope cuts (404, so that nothing outside
 * the caller's bank or scope is ever revealed). Routes declare roles; services call these helpers
 * with the principal to filter queries and to check single resources.
 */
export const ROLES = ['admin', 'auditor', 'reviewer', 'bank_manager', 'hr'] as const;
export type Role = (typeof ROLES)[number];
/** Audit-firm roles work across banks; bank roles are tied to one bank and a scope inside it. */
export const FIRM_ROLES: readonly Role[] = ['admin', 'auditor', 'reviewer'];
export const BANK_ROLES: readonly Role[] = ['bank_manager', 'hr'];

export type Scope = { type: 'bank' } | { type: 'region'; region: string } | { type: 'branches'; branchCodes: string[] };

export interface Principal {
  id: string;
  email: string;
  name: string;
  role: Role;
  bankId?: string;
  scope?: Scope;
  locale?: 'zh' | 'en';
  /** The zone the user reads times in, when they chose one (else their bank's). */
  timezone?: string;
  /** Set when authenticated by bearer token, so the token itself can be revoked. */
  tokenId?: string;
  /** The auditor's pseudonym (auditors only), shown to bank users instead of who they are. */
  auditorCode?: string;
  /** A sign-in that may only do one thing: enrol the second factor its role requires (auth/middleware.ts). */
  restricted?: 'mfa_enrollment';
}

export function isBankRole(role: Role): boolean {
  return BANK_ROLES.includes(role);
}

export function requireRole(p: Principal, roles: readonly Role[]): void {
  if (!roles.includes(p.role)) throw new ForbiddenError();
}

/** Bank users see only their own bank; the firm sees every bank. */
export function canSeeBank(p: Principal, bankId: string): boolean {
  if (isBankRole(p.role)) return p.bankId === bankId;
  return true;
}

export function assertBankVisible(p: Principal, bankId: string, what = 'Bank'): void {
  if (!canSeeBank(p, bankId)) throw new NotFoundError(what);
}

export interface BranchRef {
  bankId: string;
  code: string;
  region: string;
}

export function canSeeBranch(p: Principal, b: BranchRef): boolean {
  if (!canSeeBank(p, b.bankId)) return false;
  if (!isBankRole(p.role)) return true;
  // As in scopeFilter: a bank user without a scope is a set-up error and sees nothing.
  if (!p.scope) return false;
  switch (p.scope.type) {
    case 'bank':
      return true;
    case 'region':
      return b.region === p.scope.region;
    case 'branches':
      return p.scope.branchCodes.includes(b.code);
  }
}

export function assertBranchVisible(p: Principal, b: BranchRef, what = 'Branch'): void {
  if (!canSeeBranch(p, b)) throw new NotFoundError(what);
}

/**
 * A query fragment for collections that carry `bankId`, `region` and a branch-code field.
 * Bank users without a scope see nothing: a missing scope is a set-up error, not "everything".
 */
export function scopeFilter(p: Principal, branchField = 'branchCode', regionField = 'region'): Record<string, unknown> {
  if (!isBankRole(p.role)) return {};
  const base: Record<string, unknown> = { bankId: p.bankId };
  const scope = p.scope;
  if (!scope) return { ...base, [branchField]: { $in: [] } };
  if (scope.type === 'region') return { ...base, [regionField]: scope.region };
  if (scope.type === 'branches') return { ...base, [branchField]: { $in: scope.branchCodes } };
  return base;
}
