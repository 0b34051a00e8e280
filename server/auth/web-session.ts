import type { Request } from 'express';
import { config } from '../platform/config';
import type { UserDoc } from '../users/service';
import type { PendingSignIn } from './middleware';
import { secondFactorNeed, signedIn, type SignInMethod } from './sign-in';

/**
 * The web session's side of signing in: a new session id at each step (defeats session fixation),
 * the half-done state between the first and the second factor (ten minutes at most), and the facts
 * a finished sign-in keeps (when, how, from where; its absolute end).
 */
const PENDING_MS = 10 * 60_000;

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

/** Signs the browser in (after every factor the user needs). */
export async function completeSignIn(req: Request, user: UserDoc, method: SignInMethod, mfa: boolean): Promise<void> {
  await regenerate(req);
  const now = Date.now();
  const absoluteUntil = now + config().SESSION_ABSOLUTE_HOURS * 3600_000;
  req.session.userId = String(user._id);
  req.session.authEpoch = user.authEpoch ?? 0;
  req.session.signIn = {
    signedInAt: now,
    absoluteUntil,
    method,
    mfa,
    ip: req.ip,
    userAgent: req.get('user-agent')?.slice(0, 300),
  };
  req.session.cookie.maxAge = Math.min(config().SESSION_TTL_HOURS * 3600_000, absoluteUntil - now);
  await saveSession(req);
  await signedIn(user, method, mfa, 'web');
}

/**
 * After the first factor: signs in at once when no second is needed, or remembers the half-done
 * sign-in and names the page of the second step. Returns where the browser goes next.
 */
export async function afterFirstFactor(
  req: Request,
  user: UserDoc,
  method: SignInMethod,
  next: string,
): Promise<string> {
  const need = secondFactorNeed(user);
  if (need === 'none') {
    await completeSignIn(req, user, method, false);
    return next;
  }
  await regenerate(req);
  const pending: PendingSignIn = {
    userId: String(user._id),
    authEpoch: user.authEpoch ?? 0,
    stage: need,
    method,
    next,
    until: Date.now() + PENDING_MS,
  };
  req.session.pending = pending;
  req.session.cookie.maxAge = PENDING_MS;
  await saveSession(req);
  return need === 'verify' ? '/login/mfa' : '/login/mfa/enroll';
}

/** The half-done sign-in of this browser at the given stage, if it is still good. */
export function pendingSignIn(req: Request, stage: PendingSignIn['stage']): PendingSignIn | null {
  const p = req.session?.pending;
  return p && p.stage === stage && p.until > Date.now() ? p : null;
}
