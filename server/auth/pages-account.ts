import type { Router } from 'express';
import { DateTime } from 'luxon';
import { bankTimezone } from '../banks/service';
import { AppError } from '../platform/errors';
import { parseBody } from '../platform/http/validation';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import { shownZone } from '../web/clock';
import { getUser, mfaStatus, setOwnTimezone } from '../users/service';
import { attempt, emptyForm, formBody, param, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { groupedSecret, qrSvg } from './qr';
import { changePasswordBody } from './schema';
import * as auth from './service';
import { saveSession } from './web-session';

/**
 * One's own account: the password, the second factor, and the sessions and API tokens that are
 * signed in as oneself (each can be ended here). Times in the bank's zone, the zone named.
 */
const ANYONE = 'authenticated' as const;

function describeAgent(ua: string | null, ctx: PageContext): string {
  if (!ua) return ctx.t('account.sessions.api_client');
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /Chrome\//.test(ua)
      ? 'Chrome'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Safari\//.test(ua)
          ? 'Safari'
          : '';
  const os = /iPhone|iPad/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return [browser, os].filter(Boolean).join(' · ') || ua.slice(0, 60);
}

async function showAccount(
  ctx: PageContext,
  forms: { password?: FormState; disable?: FormState } = {},
  status = 200,
): Promise<void> {
  const bankZone = (ctx.user.bankId ? await bankTimezone(ctx.user.bankId) : null) ?? DEFAULT_TIMEZONE;
  const zone = shownZone(bankZone);
  const time = (iso: string | null) => (iso ? DateTime.fromISO(iso).setZone(zone).toFormat('yyyy-MM-dd HH:mm') : '—');
  const [mfa, signIns, ssoOnly] = await Promise.all([
    mfaStatus(ctx.user.id),
    auth.listOwnSignIns(ctx.user, ctx.req.sessionID),
    ctx.user.bankId ? auth.ssoRequiredFor(ctx.user.bankId) : Promise.resolve(false),
  ]);
  render(
    ctx.req,
    ctx.res,
    'pages/account',
    {
      title: ctx.t('account.title'),
      zone,
      clock: {
        bankZone,
        own: ctx.user.timezone ?? '',
        zones: ZONES.map((z) => ({ value: z, selected: z === ctx.user.timezone })),
      },
      roleLabel: ctx.t(`role.${ctx.user.role}`),
      mfa: { ...mfa, enabledAt: time(mfa.enabledAt ?? null), required: auth.mfaRequiredForRole(ctx.user.role) },
      ssoOnly,
      signIns: signIns.map((s) => ({
        ...s,
        createdAt: time(s.createdAt),
        lastSeenAt: time(s.lastSeenAt),
        expiresAt: time(s.expiresAt),
        device: s.kind === 'web' ? describeAgent(s.userAgent, ctx) : (s.method ?? ctx.t('account.sessions.api_token')),
        how:
          s.kind === 'web'
            ? ctx.t(`account.sessions.method.${s.method ?? 'password'}`)
            : ctx.t('account.sessions.api_token'),
      })),
      others: signIns.filter((s) => !s.current).length,
      password: forms.password ?? emptyForm(),
      disable: forms.disable ?? emptyForm(),
    },
    status,
  );
}

const accountPage = page(ANYONE, (ctx) => showAccount(ctx));

/** Every zone the runtime knows (IANA names), for the viewer's own clock. */
const ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

/** One's own clock: read times in a zone of one's choice, or (empty) in the bank's zone again. */
const setClock = page(ANYONE, async (ctx) => {
  const zone = (formBody(ctx.req).timezone ?? '').trim();
  await setOwnTimezone(ctx.user, zone || null);
  flash(ctx.req, 'ok', zone ? ctx.t('account.clock.set', { zone }) : ctx.t('account.clock.reset'));
  ctx.res.redirect(303, '/account#clock');
});

const changePassword = page(ANYONE, async (ctx) => {
  const f = formBody(ctx.req);
  const input = { current: f.current ?? '', password: f.password ?? '' };
  await attempt(
    ctx.locale,
    { fields: { current: 'current', password: 'password' }, input, values: {}, messages: 'account.msg' },
    async () => {
      if (input.password !== (f.confirm ?? ''))
        throw new AppError(422, 'passwords_differ', 'The two passwords differ', [
          { field: 'password', message: ctx.t('account.msg.passwords_differ') },
        ]);
      const body = parseBody(changePasswordBody, input);
      const { authEpoch } = await auth.changePassword(ctx.user, body.current, body.password, {
        sessionId: ctx.req.sessionID,
      });
      ctx.req.session.authEpoch = authEpoch;
      flash(ctx.req, 'ok', ctx.t('account.password.changed'));
      await saveSession(ctx.req);
      ctx.res.redirect(303, '/account');
    },
    (form, status) => showAccount(ctx, { password: form }, status),
  );
});

async function showEnrol(ctx: PageContext, error?: string, status = 200): Promise<void> {
  const { secret, otpauthUrl } = await auth.startEnrolment(ctx.user, { reuse: true });
  render(
    ctx.req,
    ctx.res,
    'pages/account-mfa',
    { title: ctx.t('account.mfa.enrol_title'), qr: await qrSvg(otpauthUrl), secret: groupedSecret(secret), error },
    status,
  );
}

const enrolPage = page(ANYONE, (ctx) => showEnrol(ctx));

const confirmEnrol = page(ANYONE, async (ctx) => {
  try {
    const { recoveryCodes } = await auth.confirmEnrolment(ctx.user, (formBody(ctx.req).code ?? '').replace(/\s/g, ''));
    render(ctx.req, ctx.res, 'pages/recovery-codes', {
      title: ctx.t('account.mfa.codes_title'),
      codes: recoveryCodes,
      next: '/account',
    });
  } catch (e) {
    if (!(e instanceof AppError) || ![409, 422].includes(e.status)) throw e;
    await showEnrol(ctx, ctx.t(e.status === 409 ? 'login.enroll.restart' : 'login.mfa.wrong'), e.status);
  }
});

const renewCodes = page(ANYONE, async (ctx) => {
  const { recoveryCodes } = await auth.renewRecoveryCodes(ctx.user);
  render(ctx.req, ctx.res, 'pages/recovery-codes', {
    title: ctx.t('account.mfa.codes_title'),
    codes: recoveryCodes,
    next: '/account',
  });
});

const disableMfa = page(ANYONE, async (ctx) => {
  const code = (formBody(ctx.req).code ?? '').trim();
  await attempt(
    ctx.locale,
    { fields: { code: 'code' }, input: { code }, values: {}, messages: 'account.msg' },
    async () => {
      await auth.disableOwnMfa(ctx.user, code);
      flash(ctx.req, 'ok', ctx.t('account.mfa.disabled'));
      ctx.res.redirect(303, '/account');
    },
    (form, status) => showAccount(ctx, { disable: form }, status),
  );
});

const endSignIn = page(ANYONE, async (ctx) => {
  const id = formBody(ctx.req).id ?? '';
  await auth.endOwnSignIn(ctx.user, id);
  flash(ctx.req, 'ok', ctx.t('account.sessions.ended'));
  ctx.res.redirect(303, '/account#sessions');
});

const endOthers = page(ANYONE, async (ctx) => {
  const others = (await auth.listOwnSignIns(ctx.user, ctx.req.sessionID)).filter((s) => !s.current);
  for (const s of others) await auth.endOwnSignIn(ctx.user, s.id).catch(() => undefined);
  flash(ctx.req, 'ok', ctx.t('account.sessions.ended_others', { n: others.length }));
  ctx.res.redirect(303, '/account#sessions');
});

/** An admin clears a user's second factor (from the user's admin page). */
const resetUserMfa = page(['admin'], async (ctx) => {
  const userId = param(ctx.req, 'userId');
  await auth.resetUserMfa(ctx.user, userId);
  flash(ctx.req, 'ok', ctx.t('admin.user.mfa_reset_done', { email: (await getUser(userId)).email }));
  ctx.res.redirect(303, `/admin/users/${userId}`);
});

export function registerAccountPages(r: Router): void {
  r.post('/admin/users/:userId/mfa/reset', resetUserMfa);
  r.get('/account', accountPage);
  r.post('/account/password', changePassword);
  r.post('/account/clock', setClock);
  r.get('/account/mfa', enrolPage);
  r.post('/account/mfa', confirmEnrol);
  r.post('/account/mfa/recovery-codes', renewCodes);
  r.post('/account/mfa/disable', disableMfa);
  r.post('/account/sessions/end', endSignIn);
  r.post('/account/sessions/end-others', endOthers);
}
