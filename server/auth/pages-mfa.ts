import type { NextFunction, Request, Response, Router } from 'express';
import { AppError } from '../platform/errors';
import { pickLocale, translate } from '../platform/i18n';
import { findUserById, toPrincipal, type UserDoc } from '../users/service';
import { formBody } from '../web/forms';
import { render } from '../web/render';
import type { PendingSignIn } from './middleware';
import { groupedSecret, qrSvg } from './qr';
import { confirmEnrolment, passSecondFactor, startEnrolment } from './service';
import { completeSignIn, destroySession, pendingSignIn } from './web-session';

/**
 * The second step of a web sign-in: a code from the authenticator (or a recovery code), or — for a
 * role that requires a factor not set up yet — enrolment first: QR code, first code, recovery codes.
 */
type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void>;
const safe =
  (h: Handler): Handler =>
  (req, res, next) =>
    h(req, res, next).catch(next);

const t = (req: Request, key: string) => translate(pickLocale(req), key);

/** The pending user, still active and with the same credentials as at the first step; else the sign-in starts over. */
async function pendingUser(
  req: Request,
  res: Response,
  stage: PendingSignIn['stage'],
): Promise<{ pending: PendingSignIn; user: UserDoc } | null> {
  const pending = pendingSignIn(req, stage);
  const user = pending ? await findUserById(pending.userId) : null;
  if (!pending || !user || !user.active || (user.authEpoch ?? 0) !== pending.authEpoch) {
    if (req.session?.pending) await destroySession(req);
    res.redirect(303, '/login?expired=1');
    return null;
  }
  return { pending, user };
}

const showVerify = safe(async (req, res) => {
  if (!(await pendingUser(req, res, 'verify'))) return;
  render(req, res, 'pages/login-mfa', { layoutBare: true, title: t(req, 'login.mfa.title') });
});

const doVerify = safe(async (req, res) => {
  const found = await pendingUser(req, res, 'verify');
  if (!found) return;
  const f = formBody(req);
  const useRecovery = Boolean(f.recoveryCode?.trim());
  try {
    await passSecondFactor(
      found.user,
      useRecovery ? { recoveryCode: f.recoveryCode } : { totp: (f.code ?? '').replace(/\s/g, '') },
    );
  } catch (e) {
    if (!(e instanceof AppError) || (e.status !== 401 && e.status !== 429)) throw e;
    const key =
      e.status === 429 ? 'login.mfa.rate_limited' : useRecovery ? 'login.mfa.recovery_wrong' : 'login.mfa.wrong';
    return render(
      req,
      res,
      'pages/login-mfa',
      { layoutBare: true, title: t(req, 'login.mfa.title'), error: t(req, key), showRecovery: useRecovery },
      e.status,
    );
  }
  await completeSignIn(req, found.user, found.pending.method, true);
  res.redirect(303, found.pending.next);
});

async function showEnrolPage(req: Request, res: Response, user: UserDoc, error?: string, status = 200): Promise<void> {
  const { secret, otpauthUrl } = await startEnrolment(toPrincipal(user), { reuse: true });
  render(
    req,
    res,
    'pages/login-enroll',
    {
      layoutBare: true,
      title: t(req, 'login.enroll.title'),
      qr: await qrSvg(otpauthUrl),
      secret: groupedSecret(secret),
      error,
    },
    status,
  );
}

const showEnrol = safe(async (req, res) => {
  const found = await pendingUser(req, res, 'enroll');
  if (found) await showEnrolPage(req, res, found.user);
});

const doEnrol = safe(async (req, res) => {
  const found = await pendingUser(req, res, 'enroll');
  if (!found) return;
  let codes: string[];
  try {
    codes = (await confirmEnrolment(toPrincipal(found.user), (formBody(req).code ?? '').replace(/\s/g, '')))
      .recoveryCodes;
  } catch (e) {
    if (!(e instanceof AppError) || ![409, 422].includes(e.status)) throw e;
    return showEnrolPage(
      req,
      res,
      found.user,
      t(req, e.status === 409 ? 'login.enroll.restart' : 'login.mfa.wrong'),
      e.status,
    );
  }
  await completeSignIn(req, found.user, found.pending.method, true);
  render(req, res, 'pages/recovery-codes', {
    layoutBare: true,
    title: t(req, 'account.mfa.codes_title'),
    codes,
    next: found.pending.next,
  });
});

export function registerMfaPages(r: Router): void {
  r.get('/login/mfa', showVerify);
  r.post('/login/mfa', doVerify);
  r.get('/login/mfa/enroll', showEnrol);
  r.post('/login/mfa/enroll', doEnrol);
}
