import type { NextFunction, Request, Response, Router } from 'express';
import * as audit from '../audit/service';
import { AppError } from '../platform/errors';
import { signInRateLimit } from '../platform/http/rate-limit';
import { isLocale, LOCALE_COOKIE, pickLocale, translate } from '../platform/i18n';
import { render } from '../web/render';
import { registerAccountPages } from './pages-account';
import { registerMfaPages } from './pages-mfa';
import { registerResetPages } from './pages-reset';
import { registerSsoPages, SSO_BANK_COOKIE } from './pages-sso';
import { checkCredentials } from './service';
import { afterFirstFactor, destroySession } from './web-session';

/** Only same-site relative paths are followed after sign-in, never another host. */
export function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/(?!\/|\\)/.test(v) ? v : '/';
}

function loginPage(req: Request, res: Response, data: Record<string, unknown> = {}, status = 200): void {
  const ssoBank = (req.cookies as Record<string, string> | undefined)?.[SSO_BANK_COOKIE];
  render(
    req,
    res,
    'pages/login',
    { layoutBare: true, ssoBank: ssoBank && /^[\w.-]{1,40}$/.test(ssoBank) ? ssoBank : undefined, ...data },
    status,
  );
}

export function showLogin(req: Request, res: Response): void {
  if (req.principal) return res.redirect(303, safeNext(req.query.next));
  loginPage(req, res, { next: safeNext(req.query.next), expired: req.query.expired === '1' });
}

export async function doLogin(req: Request, res: Response, next: NextFunction): Promise<void> {
  const { email, password } = (req.body ?? {}) as Record<string, unknown>;
  const target = safeNext((req.body as Record<string, unknown>)?.next);
  try {
    if (typeof email !== 'string' || typeof password !== 'string') throw new AppError(401, 'invalid_credentials', '');
    const user = await checkCredentials(email, password);
    res.redirect(303, await afterFirstFactor(req, user, 'password', target));
  } catch (e) {
    if (e instanceof AppError && e.status === 401) {
      const key = e.code === 'sso_required' ? 'login.sso_required' : 'login.failed';
      return loginPage(req, res, { next: target, email, error: translate(pickLocale(req), key) }, 401);
    }
    next(e);
  }
}

/** Too many attempts (429), or too many sign-ins at once for the password hashing (503): the form again, saying so. */
export function loginRateLimited(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (err instanceof AppError && (err.status === 429 || err.code === 'sign_in_busy')) {
    const key = err.status === 429 ? 'login.rate_limited' : 'login.busy';
    if (err.status === 503) res.set('Retry-After', '5');
    return loginPage(req, res, { error: translate(pickLocale(req), key) }, err.status);
  }
  next(err);
}

export async function doLogout(req: Request, res: Response, next: NextFunction): Promise<void> {
  try {
    const p = req.principal;
    if (p)
      await audit.record({
        action: 'auth.sign_out',
        actor: { id: p.id, email: p.email, role: p.role, bankId: p.bankId ?? null },
        target: { type: 'session', label: p.email },
        bankId: p.bankId ?? null,
      });
    await destroySession(req);
    res.clearCookie('msa.sid');
    res.redirect(303, '/login');
  } catch (e) {
    next(e);
  }
}

export function switchLanguage(req: Request, res: Response): void {
  const lang = req.params.locale;
  if (isLocale(lang)) res.cookie(LOCALE_COOKIE, lang, { maxAge: 365 * 24 * 3600_000, sameSite: 'lax', httpOnly: true });
  const back = safeNext(req.query.next);
  res.redirect(303, back);
}

/** Signing in and out (password, second factor, the bank's own provider), one's own account, and the language switch. */
export function registerAuthPages(r: Router): void {
  r.get('/login', showLogin);
  r.post('/login', signInRateLimit(), doLogin, loginRateLimited);
  r.post('/logout', doLogout);
  r.get('/lang/:locale', switchLanguage);
  registerMfaPages(r);
  registerSsoPages(r);
  registerResetPages(r);
  registerAccountPages(r);
}
