import type { NextFunction, Request, Response, Router } from 'express';
import { getBank } from '../banks/service';
import { config } from '../platform/config';
import { AppError } from '../platform/errors';
import { parseBody } from '../platform/http/validation';
import { pickLocale, translate } from '../platform/i18n';
import { attempt, emptyForm, formBody, param, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import {
  finishSsoSignIn,
  getSsoSettings,
  putSsoSettings,
  removeSsoSettings,
  ssoBankByCode,
  ssoSettingsBody,
  startSsoSignIn,
} from './service';
import { afterFirstFactor } from './web-session';

/**
 * Signing in with the bank's own provider: the bank code (remembered in a cookie for next time), the
 * trip to the provider and back, then the second factor as after a password. And the admin page of a
 * bank's provider settings.
 */
export const SSO_BANK_COOKIE = 'msa.sso_bank';
const STATE_COOKIE = 'msa.sso_state';
const STATE_PATH = '/login/sso';

type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void>;
const safe =
  (h: Handler): Handler =>
  (req, res, next) =>
    h(req, res, next).catch(next);
const t = (req: Request, key: string, vars?: Record<string, unknown>) => translate(pickLocale(req), key, vars);
const safeNext = (v: unknown) => (typeof v === 'string' && /^\/(?!\/|\\)/.test(v) ? v : '/');

function ssoPage(req: Request, res: Response, data: Record<string, unknown> = {}, status = 200): void {
  const remembered = (req.cookies as Record<string, string> | undefined)?.[SSO_BANK_COOKIE] ?? '';
  render(
    req,
    res,
    'pages/login-sso',
    {
      layoutBare: true,
      title: t(req, 'login.sso.title'),
      bankCode: remembered,
      next: safeNext(req.query.next),
      ...data,
    },
    status,
  );
}

const showSso = safe(async (req, res) => ssoPage(req, res));

const startSso = safe(async (req, res) => {
  const f = formBody(req);
  const code = (f.bankCode ?? '').trim();
  const next = safeNext(f.next);
  try {
    const bank = await ssoBankByCode(code);
    const { url, state } = await startSsoSignIn(bank.id, next);
    const secure = config().SECURE_COOKIES;
    res.cookie(STATE_COOKIE, state, { httpOnly: true, sameSite: 'lax', secure, path: STATE_PATH, maxAge: 10 * 60_000 });
    res.cookie(SSO_BANK_COOKIE, bank.code, { httpOnly: true, sameSite: 'lax', secure, maxAge: 365 * 86400_000 });
    res.redirect(303, url);
  } catch (e) {
    if (!(e instanceof AppError) || (e.status !== 404 && e.status !== 401)) throw e;
    const key = e.status === 404 ? 'login.sso.unknown_bank' : 'login.sso.unavailable';
    ssoPage(req, res, { bankCode: code, next, error: t(req, key) }, e.status);
  }
});

const ssoCallback = safe(async (req, res) => {
  const browserState = (req.cookies as Record<string, string> | undefined)?.[STATE_COOKIE];
  res.clearCookie(STATE_COOKIE, { path: STATE_PATH });
  try {
    const { user, next } = await finishSsoSignIn(new URL(req.originalUrl, config().publicUrl), browserState);
    res.redirect(303, await afterFirstFactor(req, user, 'sso', next));
  } catch (e) {
    if (!(e instanceof AppError) || e.status !== 401) throw e;
    const reason = String(e.details[0]?.message ?? 'failed');
    ssoPage(req, res, { error: t(req, `login.sso.failed.${reason}`) }, 401);
  }
});

// ---- the admin's page of a bank's provider

const ADMIN = ['admin'] as const;
const FIELDS = { issuer: 'issuer', clientId: 'clientId', clientSecret: 'clientSecret', required: 'required' };

async function showSettings(ctx: PageContext, form?: FormState, status = 200): Promise<void> {
  const bankId = param(ctx.req, 'bankId');
  const [bank, settings] = await Promise.all([getBank(ctx.user, bankId), getSsoSettings(bankId)]);
  render(
    ctx.req,
    ctx.res,
    'pages/admin/sso',
    {
      title: ctx.t('sso.title'),
      bank,
      settings,
      form:
        form ??
        emptyForm({ issuer: settings.issuer ?? '', clientId: settings.clientId ?? '', required: settings.required }),
      signInUrl: `${config().publicUrl.replace(/\/$/, '')}/login/sso`,
    },
    status,
  );
}

const settingsPage = page(ADMIN, (ctx) => showSettings(ctx));

const saveSettings = page(ADMIN, async (ctx) => {
  const bankId = param(ctx.req, 'bankId');
  const f = formBody(ctx.req);
  const input = {
    issuer: f.issuer ?? '',
    clientId: f.clientId ?? '',
    ...(f.clientSecret ? { clientSecret: f.clientSecret } : {}),
    required: f.required === '1',
  };
  await attempt(
    ctx.locale,
    { fields: FIELDS, input, values: { ...f, clientSecret: '', required: input.required } },
    async () => {
      await putSsoSettings(ctx.user, bankId, parseBody(ssoSettingsBody, input));
      flash(ctx.req, 'ok', ctx.t('sso.saved'));
      ctx.res.redirect(303, `/admin/banks/${bankId}/sso`);
    },
    (form, status) => showSettings(ctx, form, status),
  );
});

const removeSettings = page(ADMIN, async (ctx) => {
  const bankId = param(ctx.req, 'bankId');
  await removeSsoSettings(ctx.user, bankId);
  flash(ctx.req, 'ok', ctx.t('sso.removed'));
  ctx.res.redirect(303, `/admin/banks/${bankId}/sso`);
});

export function registerSsoPages(r: Router): void {
  r.get('/login/sso', showSso);
  r.post('/login/sso', startSso);
  r.get('/login/sso/callback', ssoCallback);
  r.get('/admin/banks/:bankId/sso', settingsPage);
  r.post('/admin/banks/:bankId/sso', saveSettings);
  r.post('/admin/banks/:bankId/sso/remove', removeSettings);
}
