import * as audit from '../audit/service';
import type { Principal } from '../platform/access';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import * as users from '../users/service';
import { mfaRequiredForRole } from './sign-in';

/**
 * A user's own second factor: enrolment (a new secret shown as a QR code, confirmed with its first
 * code, which yields the recovery codes), new recovery codes, and turning it off where the role does
 * not require it. An admin can clear a user's factor (lost phone and codes): the user enrols again
 * at the next sign-in. Every change is in the audit log.
 */
const actorOf = (p: Principal): audit.AuditActor => ({
  id: p.id,
  email: p.email,
  role: p.role,
  bankId: p.bankId ?? null,
});
const self = (p: Principal) => ({ type: 'user', id: p.id, label: p.email });

export function startEnrolment(
  p: Principal,
  opts: { reuse?: boolean } = {},
): Promise<{ secret: string; otpauthUrl: string }> {
  return users.startMfaEnrolment(p.id, opts);
}

export async function confirmEnrolment(p: Principal, code: string): Promise<{ recoveryCodes: string[] }> {
  const wasOn = (await users.mfaStatus(p.id)).enabled;
  const r = await users.confirmMfaEnrolment(p.id, code);
  await audit.record({
    action: 'auth.mfa_enrolled',
    actor: actorOf(p),
    target: self(p),
    bankId: p.bankId ?? null,
    note: wasOn ? 'a new authenticator replaced the previous one; new recovery codes' : 'second factor set up',
  });
  // A sign-in that was only allowed to enrol has done its job.
  if (p.restricted === 'mfa_enrollment' && p.tokenId) await users.revokeToken(p.tokenId);
  return r;
}

export async function renewRecoveryCodes(p: Principal): Promise<{ recoveryCodes: string[] }> {
  const r = await users.renewRecoveryCodes(p.id);
  await audit.record({
    action: 'auth.mfa_enrolled',
    actor: actorOf(p),
    target: self(p),
    bankId: p.bankId ?? null,
    note: 'new recovery codes; the old ones stopped working',
  });
  return r;
}

/** Turns the user's own factor off; needs a current code, and is refused where the role requires one. */
export async function disableOwnMfa(p: Principal, code: string): Promise<void> {
  if (mfaRequiredForRole(p.role))
    throw new ConflictError('Your role requires a second factor; it cannot be turned off', 'mfa_required_for_role');
  if (!(await users.mfaStatus(p.id)).enabled) throw new ConflictError('No second factor is set up', 'mfa_not_enabled');
  if (!(await users.acceptTotp(p.id, code)) && !(await users.acceptRecoveryCode(p.id, code)))
    throw new ValidationError(
      [{ field: 'code', message: 'is not a current code or an unused recovery code' }],
      'Wrong code',
      'mfa_code_invalid',
    );
  await users.removeMfa(p.id);
  await audit.record({ action: 'auth.mfa_disabled', actor: actorOf(p), target: self(p), bankId: p.bankId ?? null });
}

/** An admin clears a user's second factor; the user must enrol again (if the role requires it) at the next sign-in. */
export async function resetUserMfa(actor: Principal, userId: string): Promise<void> {
  const target = await users.getUser(userId);
  if (!(await users.removeMfa(userId))) throw new NotFoundError('Second factor');
  await users.revokeAllTokensOf(userId);
  await audit.record({
    action: 'auth.mfa_reset',
    actor: actorOf(actor),
    target: { type: 'user', id: userId, label: target.email },
    bankId: target.bankId,
    note: 'second factor cleared by an admin; the user’s API tokens were revoked',
  });
}
