import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors';

export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf_failed', 'The form expired or did not come from this site. Reload the page and try again.');
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Synchronizer-token CSRF protection for the web pages: a random token per session, sent back by
 * every form as `_csrf` (or by scripts as `X-CSRF-Token`; multipart forms put it in the query string).
 * The bearer-token API is not cookie-authenticated and so needs none.
 */
export function csrfProtection(req: Request, res: Response, next: NextFunction): void {
  if (!req.session) return next();
  req.session.csrfToken ??= crypto.randomBytes(24).toString('base64url');
  res.locals.csrfToken = req.session.csrfToken;
  if (!UNSAFE.has(req.method)) return next();
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token') ?? req.query._csrf;
  const expected = Buffer.from(req.session.csrfToken);
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return next(new CsrfError());
  next();
}
