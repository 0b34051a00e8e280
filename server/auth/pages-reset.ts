import type { NextFunction, Request, Response, Router } from 'express';
import { AppError } from '../platform/errors';
import { parseBody } from '../platform/http/validation';
import { pickLocale, translate } from '../platform/i18n';
import { attempt, emptyForm, formBody, type FormState } from '../web/forms';
import { render } from '../web/render';
import { resetConfirmBody, resetRequestBody } from './schema';
import { confirmPasswordReset, requestPasswordReset } from './service';

/**
 * "Forgot my password": the address form (the same answer for every address), and the page the
 * e-mailed link opens. The link carries its token after `#`, which browsers never send to a server:
 * the token is in no access log and no Referer; the page's script copies it into the form, and
 * without scripts the person pastes the code printed in the e-mail.
 */
type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void>;
const safe =
  (h: Handler): Handler =>
  (req, res, next) =>
    h(req, res, next).catch(next);
const t = (req: Request, key: string) => translate(pickLocale(req), key);

const showRequest = safe(async (req, res) => {
  render(req, res, 'pages/password-reset', {
    layoutBare: true,
    title: t(req, 'account.reset.title'),
    form: emptyForm(),
  });
});

const doRequest = safe(async (req, res) => {
  const f = formBody(req);
  const locale = pickLocale(req);
  await attempt(
    locale,
    { fields: { email: 'email' }, input: { email: f.email ?? '' }, values: f },
    async () => {
      requestPasswordReset(parseBody(resetRequestBody, { email: f.email ?? '' }).email);
      render(
        req,
        res,
        'pages/password-reset',
        { layoutBare: true, title: t(req, 'account.reset.title'), sent: true },
        202,
      );
    },
    async (form, status) =>
      render(
        req,
        res,
        'pages/password-reset',
        { layoutBare: true, title: t(req, 'account.reset.title'), form },
        status,
      ),
  );
});

function confirmPage(req: Request, res: Response, form: FormState, status = 200): void {
  render(
    req,
    res,
    'pages/password-reset-confirm',
    { layoutBare: true, title: t(req, 'account.reset.new_title'), form },
    status,
  );
}

const showConfirm = safe(async (req, res) => confirmPage(req, res, emptyForm()));

const doConfirm = safe(async (req, res) => {
  const f = formBody(req);
  const input = { token: (f.token ?? '').trim(), password: f.password ?? '' };
  await attempt(
    pickLocale(req),
    {
      fields: { token: 'token', password: 'password' },
      input,
      values: { token: input.token },
      messages: 'account.msg',
    },
    async () => {
      if (input.password !== (f.confirm ?? ''))
        throw new AppError(422, 'passwords_differ', 'The two passwords differ', [
          { field: 'password', message: t(req, 'account.msg.passwords_differ') },
        ]);
      const body = parseBody(resetConfirmBody, input);
      await confirmPasswordReset(body.token, body.password);
      render(req, res, 'pages/password-reset-confirm', {
        layoutBare: true,
        title: t(req, 'account.reset.new_title'),
        done: true,
      });
    },
    async (form, status) => confirmPage(req, res, form, status),
  );
});

export function registerResetPages(r: Router): void {
  r.get('/password-reset', showRequest);
  r.post('/password-reset', doRequest);
  r.get('/password-reset/confirm', showConfirm);
  r.post('/password-reset/confirm', doConfirm);
}
