import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { requireRole, type Principal, type Role } from '../../platform/access';
import { type AppError, UnauthorizedError } from '../../platform/errors';
import { toAppError } from '../../platform/http/error-handler';
import { pickLocale, translate, type Locale } from '../../platform/i18n';

/** JSON routes for the form's script (same session, CSRF header). */

export interface JsonContext {
  req: Request;
  res: Response;
  user: Principal;
  locale: Locale;
}

/** Like page(), but errors are answered as the API's JSON error, since a script reads them. */
export function jsonRoute(roles: readonly Role[], handler: (ctx: JsonContext) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, _next: NextFunction) => {
    (async () => {
      if (!req.principal) throw new UnauthorizedError();
      requireRole(req.principal, roles);
      await handler({ req, res, user: req.principal, locale: pickLocale(req) });
    })().catch((e: unknown) => sendJsonError(res, toAppError(e), pickLocale(req)));
  };
}

export function sendJsonError(res: Response, e: AppError, locale: Locale, fields: Record<string, string> = {}): void {
  const known = translate(locale, `visits.err.${e.code}`);
  const message = known === `visits.err.${e.code}` ? e.message : known;
  res.status(e.status).json({ error: { code: e.code, message, details: e.details, fields } });
}
