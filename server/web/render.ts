import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { requireRole, type Principal, type Role } from '../platform/access';
import { UnauthorizedError } from '../platform/errors';
import { pickLocale, translate, type Locale } from '../platform/i18n';

export interface PageContext {
  req: Request;
  res: Response;
  user: Principal;
  locale: Locale;
  t: (key: string, vars?: Record<string, unknown>) => string;
}

/** Renders a page inside the layout with what every page needs: the user, the locale, the CSRF token, a flash. */
export function render(
  req: Request,
  res: Response,
  view: string,
  data: Record<string, unknown> = {},
  status = 200,
): void {
  const locale = pickLocale(req);
  const flash = req.session?.flash;
  if (req.session) delete req.session.flash;
  res.status(status).render(view, {
    ...data,
    locale,
    user: req.principal,
    csrfToken: res.locals.csrfToken,
    flash,
    currentPath: req.path,
  });
}

export function flash(req: Request, type: 'ok' | 'error', text: string): void {
  if (req.session) req.session.flash = { type, text };
}

/** A web page handler: signed-in users of the given roles only (others get the 403 page; anonymous go to sign-in). */
export function page(
  roles: readonly Role[] | 'authenticated',
  handler: (ctx: PageContext) => Promise<void> | void,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    (async () => {
      const user = req.principal;
      if (!user) throw new UnauthorizedError();
      if (roles !== 'authenticated') requireRole(user, roles);
      const locale = pickLocale(req);
      await handler({ req, res, user, locale, t: (k, v) => translate(locale, k, v) });
    })().catch(next);
  };
}
