import { signInRateLimit } from '../platform/http/rate-limit';
import type { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { checkCredentials } from './service';
import { AppError } from '../platform/errors';
import { isLocale, LOCALE_COOKIE, pickLocale, translate } from '../platform/i18n';
import { render } from '../web/render';

/** Only same-site relative paths are followed after sign-in, never another host. */
export function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/(?!\/|\\)/.test(v) ? v : '/';
}

export function showLogin(req: Request, res: Response): void {
  if (req.principal) return res.redirect(303, safeNext(req.query.next));
  render(req, res, 'pages/login', { next: safeNext(req.query.next), layoutBare: true });
}

export async function doLogin(req: Request, res: Response, next: NextFunction): Promise<void> {
  const { email, password } = (req.body ?? {}) as Record<string, unknown>;
  const target = safeNext((req.body as Record<string, unknown>)?.next);
  try {
    if (typeof email !== 'string' || typeof password !== 'string') throw new AppError(401, 'invalid_credentials', '');
    const user = await checkCredentials(email, password);
    // A new session id at sign-in defeats session fixation.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userId = String(user._id);
      req.session.authEpoch = user.authEpoch ?? 0;
      req.session.save((err2) => (err2 ? next(err2) : res.redirect(303, target)));
    });
  } catch (e) {
    if (e instanceof AppError && e.status === 401) {
      return render(
        req,
        res,
        'pages/login',
        { next: target, email, error: translate(pickLocale(req), 'login.failed'), layoutBare: true },
        401,
      );
    }
    next(e);
  }
}

/** Too many attempts (429), or too many sign-ins at once for the password hashing (503): the form again, saying so. */
export function loginRateLimited(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (err instanceof AppError && (err.status === 429 || err.code === 'sign_in_busy')) {
    const key = err.status === 429 ? 'login.rate_limited' : 'login.busy';
    if (err.status === 503) res.set('Retry-After', '5');
    return render(req, res, 'pages/login', { error: translate(pickLocale(req), key), layoutBare: true }, err.status);
  }
  next(err);
}

export function doLogout(req: Request, res: Response, next: NextFunction): void {
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie('msa.sid');
    res.redirect(303, '/login');
  });
}

export function switchLanguage(req: Request, res: Response): void {
  const lang = req.params.locale;
  if (isLocale(lang)) res.cookie(LOCALE_COOKIE, lang, { maxAge: 365 * 24 * 3600_000, sameSite: 'lax', httpOnly: true });
  const back = safeNext(req.query.next);
  res.redirect(303, back);
}

/** Signing in and out, and the language switch. */
export function registerAuthPages(r: Router): void {
  r.get('/login', showLogin);
  r.post('/login', signInRateLimit(), doLogin, loginRateLimited);
  r.post('/logout', doLogout);
  r.get('/lang/:locale', switchLanguage);
}
