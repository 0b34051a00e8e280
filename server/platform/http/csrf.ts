import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { config } from '../config';
import { AppError } from '../errors';

export class CsrfError extends AppError {
  constructor() {
    super(403, 'csrf_failed', 'The form expired or did not come from this site. Reload the page and try again.');
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Synchronizer-token CSRF protection for the web pages: a random token, sent back by every form as
 * `_csrf` (or by scripts as `X-CSRF-Token`; multipart forms put it in the query string). The
 * bearer-token API is not cookie-authenticated and so needs none.
 *
 * Where the token lives: in the session once there is one (signed in, or a sign-in half done); for
 * anonymous visitors (the sign-in and reset forms) in a cookie of its own, compared with the form's
 * copy ("double submit"). So an anonymous visitor gets no session record at all, however many pages
 * they open. In production the cookie is `__Host-`-prefixed: only this host over https can set it,
 * so a neighbouring subdomain cannot plant a token of its choosing.
 */
const cookieName = () => (config().SECURE_COOKIES ? '__Host-msa.csrf' : 'msa.csrf');

const hasSession = (req: Request) => Boolean(req.session?.userId || req.session?.pending);

function anonymousToken(req: Request, res: Response): string {
  const name = cookieName();
  const existing = (req.cookies as Record<string, string> | undefined)?.[name];
  if (typeof existing === 'string' && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = crypto.randomBytes(24).toString('base64url');
  res.cookie(name, token, { httpOnly: true, sameSite: 'lax', secure: config().SECURE_COOKIES, path: '/' });
  return token;
}

export function csrfProtection(req: Request, res: Response, next: NextFunction): void {
  let expected: string;
  if (hasSession(req)) {
    req.session.csrfToken ??= crypto.randomBytes(24).toString('base64url');
    expected = req.session.csrfToken;
  } else {
    expected = anonymousToken(req, res);
  }
  res.locals.csrfToken = expected;
  if (!UNSAFE.has(req.method)) return next();
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token') ?? req.query._csrf;
  const want = Buffer.from(expected);
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) return next(new CsrfError());
  next();
}
