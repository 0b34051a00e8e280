import type { NextFunction, Request, Response } from 'express';
import { UnauthorizedError } from '../platform/errors';
import { principalFromToken, principalFromUserId } from '../users/service';

/**
 * Resolves the caller: a bearer token for the API, the database-backed session for web pages.
 * An invalid bearer token is an error (401) rather than silently anonymous.
 */
export async function resolvePrincipal(req: Request, _res: Response, next: NextFunction): Promise<void> {
  try {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new UnauthorizedError('Malformed Authorization header', 'invalid_token');
      req.principal = await principalFromToken(m[1]);
    } else if (req.session?.userId) {
      const p = await principalFromUserId(req.session.userId, req.session.authEpoch ?? 0);
      if (p) req.principal = p;
      else {
        delete req.session.userId;
        delete req.session.authEpoch;
      }
    }
    next();
  } catch (e) {
    next(e);
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** The user's authEpoch at sign-in; a password reset or deactivation bumps it and ends the session. */
    authEpoch?: number;
    csrfToken?: string;
    flash?: { type: 'ok' | 'error'; text: string };
  }
}
