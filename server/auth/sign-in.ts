import type { Options } from 'express-rate-limit';
import * as audit from '../audit/service';
import { config } from '../platform/config';
import { AppError, RateLimitedError, UnauthorizedError } from '../platform/errors';
import { DatabaseStore } from '../platform/http/rate-limit';
import {
  acceptRecoveryCode,
  acceptTotp,
  dummyPasswordHash,
  findUserForSignIn,
  hasMfa,
  verifyPassword,
  type UserDoc,
} from '../users/service';
import { ssoRequiredFor } from './sso/settings';

/**
 * The steps of signing in, shared by the API token, the web form and the bank's own provider (SSO):
 * the first factor (password, or the provider's answer), then the second where one is set up or the
 * role requires it (MFA_REQUIRED_ROLES). Each outcome is written to the audit log.
 */
export type SignInMethod = 'password' | 'sso';
export type SecondFactorNeed = 'none' | 'verify' | 'enroll';

export const actorOf = (u: UserDoc): audit.AuditActor => ({
  id: String(u._id),
  email: u.email,
  role: u.role,
  bankId: u.bankId ? String(u.bankId) : null,
});

export function signInFailed(reason: string, user: UserDoc | null, email: string, method: SignInMethod): Promise<void> {
  return audit.record({
    action: 'auth.sign_in_failed',
    outcome: 'failure',
    actor: user ? actorOf(user) : { email: email.trim().toLowerCase() },
    target: { type: 'user', ...(user ? { id: String(user._id) } : {}), label: email.trim().toLowerCase() },
    bankId: user?.bankId ? String(user.bankId) : null,
    note: `${method}: ${reason}`,
  });
}

export function signedIn(user: UserDoc, method: SignInMethod, mfa: boolean, channel: 'web' | 'api'): Promise<void> {
  return audit.record({
    action: 'auth.sign_in',
    actor: actorOf(user),
    target: { type: 'user', id: String(user._id), label: user.email },
    bankId: user.bankId ? String(user.bankId) : null,
    after: { method, mfa, channel },
  });
}

const INVALID = () => new UnauthorizedError('Invalid e-mail or password', 'invalid_credentials');

/** Checks e-mail and password; the same error and about the same time for an unknown e-mail as a wrong password. */
export async function checkCredentials(email: string, password: string): Promise<UserDoc> {
  const user = await findUserForSignIn(email);
  if (!user || !user.active) {
    await verifyPassword(password, await dummyPasswordHash());
    await signInFailed(user ? 'inactive' : 'unknown e-mail', user, email, 'password');
    throw INVALID();
  }
  if (!(await verifyPassword(password, user.passwordHash))) {
    await signInFailed('wrong password', user, email, 'password');
    throw INVALID();
  }
  // Checked only after the password, so that the answer reveals nothing to someone without it.
  if (user.bankId && (await ssoRequiredFor(String(user.bankId)))) {
    await signInFailed('the bank requires its own sign-in (SSO)', user, email, 'password');
    throw new UnauthorizedError(
      'Your bank requires you to sign in with its own sign-in service (SSO); passwords are not accepted',
      'sso_required',
    );
  }
  return user;
}

export function mfaRequiredForRole(role: string): boolean {
  return (config().MFA_REQUIRED_ROLES as string[]).includes(role);
}

/** What the second step of this user's sign-in is: none, a code, or enrolment first (required but not set up). */
export function secondFactorNeed(user: UserDoc): SecondFactorNeed {
  if (hasMfa(user)) return 'verify';
  return mfaRequiredForRole(user.role) ? 'enroll' : 'none';
}

export class MfaRequiredError extends AppError {
  constructor(message: string, details: AppError['details'] = []) {
    super(401, 'mfa_required', message, details);
  }
}

/** Wrong codes per user and window: a six-digit code must not be guessable by trying. */
const MFA_ATTEMPTS = 10;
const MFA_WINDOW_MS = 15 * 60_000;
let attempts: DatabaseStore | undefined;
function attemptCounter(): DatabaseStore {
  if (!attempts) {
    attempts = new DatabaseStore('mfa-attempts');
    attempts.init({ windowMs: MFA_WINDOW_MS } as Options);
  }
  return attempts;
}

export interface SecondFactor {
  totp?: string;
  recoveryCode?: string;
}

/** Checks the second factor (a TOTP code or a recovery code); after MFA_ATTEMPTS wrong ones in 15 minutes, none is checked. */
export async function passSecondFactor(user: UserDoc, given: SecondFactor): Promise<void> {
  const { totalHits } = await attemptCounter().increment(String(user._id));
  if (totalHits > MFA_ATTEMPTS) {
    await audit.record({
      action: 'auth.mfa_failed',
      outcome: 'failure',
      actor: actorOf(user),
      target: { type: 'user', id: String(user._id), label: user.email },
      note: 'too many codes tried; refused without checking',
    });
    throw new RateLimitedError('Too many codes tried. Wait a quarter of an hour and try again.');
  }
  const kind = given.totp ? 'totp' : 'recovery code';
  const ok = given.totp
    ? await acceptTotp(String(user._id), given.totp)
    : given.recoveryCode
      ? await acceptRecoveryCode(String(user._id), given.recoveryCode)
      : false;
  // Only wrong codes count against the limit (as the sign-in limit skips successful sign-ins).
  if (ok) await attemptCounter().decrement(String(user._id));
  await audit.record({
    action: ok ? 'auth.mfa_passed' : 'auth.mfa_failed',
    outcome: ok ? 'success' : 'failure',
    actor: actorOf(user),
    target: { type: 'user', id: String(user._id), label: user.email },
    note: kind,
  });
  if (!ok)
    throw new AppError(401, 'mfa_invalid', 'The code is wrong, expired or already used', [
      { field: given.totp ? 'totp' : 'recoveryCode', message: 'wrong, expired or already used' },
    ]);
}
