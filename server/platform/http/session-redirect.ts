import type { NextFunction, Request, Response } from 'express';

/**
 * A redirect leaves only once the session it changed is stored. express-session saves a changed
 * session when the response ends, but it writes the status and headers first and holds back only
 * the body's last byte until the store answers; a browser follows a 303's Location as soon as the
 * headers arrive, so the next page could read the session from before the change: a flash message
 * ("approved; here is the next visit") missing, or a fresh sign-in not yet seen. So a redirect of a
 * session that holds something (a sign-in, one half done, or a flash) saves it first. Anonymous
 * requests with nothing to keep still get no session record (saveUninitialized: false).
 */
export function saveSessionBeforeRedirect(req: Request, res: Response, next: NextFunction): void {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const s = req.session;
    if (!s || !(s.userId || s.pending || s.flash)) return redirect(...args);
    // A failed save is not the redirect's to report: express-session tries again as the response ends.
    s.save(() => redirect(...args));
  }) as Response['redirect'];
  next();
}
