import type { NextFunction, Request, Response } from 'express';
import { config } from '../platform/config';
import { AppError, UnauthorizedError } from '../platform/errors';
import { principalFromToken, principalFromUserId } from '../users/service';

/**
 * Resolves the caller: a bearer token for the API, the database-backed session for web pages.
 * An invalid bearer token is an error (401) rather than silently anonymous. A session past its
 * absolute lifetime (SESSION_ABSOLUTE_HOURS after sign-in) is ended, however active it was; the
 * idle lifetime (SESSION_TTL_HOURS) is the cookie's and the store's.
 */
export async function resolvePrincipal(req: Request, _res: Response, next: NextFunction): Promise<void> {
  try {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new UnauthorizedError('Malformed Authorization header', 'invalid_token');
      req.principal = await principalFromToken(m[1]);
      if (req.principal.restricted && !ENROLMENT_ROUTES.has(`${req.method} ${req.baseUrl}${req.path}`))
        throw new AppError(
          401,
          'mfa_enrollment_required',
          'This token may only enrol a second factor (POST /api/v1/auth/mfa/enroll, then /verify)',
        );
    } else if (req.session?.userId) {
      await resolveSession(req);
    }
    next();
  } catch (e) {
    next(e);
  }
}

/** What a token that may only enrol a second factor may call. */
const ENROLMENT_ROUTES = new Set([
  'POST /api/v1/auth/mfa/enroll',
  'POST /api/v1/auth/mfa/verify',
  'GET /api/v1/me',
  'GET /api/v1/auth/mfa',
]);

async function resolveSession(req: Request): Promise<void> {
  const s = req.session;
  const until = s.signIn?.absoluteUntil ?? 0;
  if (until <= Date.now()) {
    // Past its absolute lifetime (or from before lifetimes were kept): signed out, the record deleted.
    await new Promise<void>((resolve, reject) => s.destroy((err) => (err ? reject(err) : resolve())));
    return;
  }
  const p = await principalFromUserId(s.userId as string, s.authEpoch ?? 0);
  if (!p) {
    delete s.userId;
    delete s.authEpoch;
    delete s.signIn;
    return;
  }
  req.principal = p;
  // The cookie never outlives the sign-in either (rolling renews it up to the idle lifetime).
  s.cookie.maxAge = Math.min(config().SESSION_TTL_HOURS * 3600_000, until - Date.now());
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** The user's authEpoch at sign-in; a password change or reset, or deactivation, bumps it and ends the session. */
    authEpoch?: number;
    csrfToken?: string;
    flash?: { type: 'ok' | 'error'; text: string };
    /** A sign-in half done: the first factor passed, the second (or its enrolment) still to come. */
    pending?: PendingSignIn;
  }
}

export interface PendingSignIn {
  userId: string;
  authEpoch: number;
  stage: 'verify' | 'enroll';
  method: 'password' | 'sso';
  next: string;
  until: number;
}
