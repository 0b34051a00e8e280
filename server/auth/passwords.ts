import { Types } from 'mongoose';
import type { Options } from 'express-rate-limit';
import * as audit from '../audit/service';
import type { Principal } from '../platform/access';
import { config } from '../platform/config';
import { ConflictError } from '../platform/errors';
import { DatabaseStore } from '../platform/http/rate-limit';
import { translate, type Locale } from '../platform/i18n';
import { logger } from '../platform/logger';
import { queueDeliveries, type DeliveryToCompose, type MailMessage } from '../platform/mail/outbox';
import * as users from '../users/service';
import { actorOf } from './sign-in';
import { ssoRequiredFor } from './sso/settings';

/**
 * Passwords as people manage them (SPEC §14): changing one's own (current + new), and the reset link
 * by e-mail, valid one hour and used once. Asking for a link answers the same, at once, whether or
 * not the address belongs to anyone: the lookup, the link and the e-mail happen after the answer.
 */
export const RESET_MAIL = 'password_reset';

const actorFromPrincipal = (p: Principal): audit.AuditActor => ({
  id: p.id,
  email: p.email,
  role: p.role,
  bankId: p.bankId ?? null,
});

export async function changePassword(
  p: Principal,
  current: string,
  next: string,
  keep: users.KeepSignIn,
): Promise<{ authEpoch: number }> {
  if (p.bankId && (await ssoRequiredFor(p.bankId)))
    throw new ConflictError(
      'Your bank signs you in with its own service; this platform keeps no password for you to change',
      'sso_required',
    );
  const r = await users.changeOwnPassword(p.id, current, next, keep);
  await audit.record({
    action: 'auth.password_changed',
    actor: actorFromPrincipal(p),
    target: { type: 'user', id: p.id, label: p.email },
    bankId: p.bankId ?? null,
    note: 'every other session and API token of the user ended',
  });
  return r;
}

// ---- reset links

/** Links asked for one address per hour; more are ignored (silently: the answer never differs). */
const RESETS_PER_ADDRESS = 3;
let resetCounter: DatabaseStore | undefined;
function resetRequests(): DatabaseStore {
  if (!resetCounter) {
    resetCounter = new DatabaseStore('password-reset');
    resetCounter.init({ windowMs: 3600_000 } as Options);
  }
  return resetCounter;
}

/** Asks for a reset link; returns at once, the same for every address. The returned promise of the work is for tests. */
export function requestPasswordReset(email: string): { done: Promise<void> } {
  const done = sendResetLink(email.trim().toLowerCase()).catch((err) =>
    logger.error({ err }, 'password reset request failed'),
  );
  return { done };
}

async function sendResetLink(email: string): Promise<void> {
  const { totalHits } = await resetRequests().increment(email);
  const user = await users.findUserForSignIn(email);
  const base = {
    action: 'auth.password_reset_requested' as const,
    target: { type: 'user', ...(user ? { id: String(user._id) } : {}), label: email },
  };
  if (!user || !user.active) {
    await audit.record({
      ...base,
      outcome: 'failure',
      actor: user ? actorOf(user) : { email },
      note: user ? 'inactive account: no link sent' : 'no such account: no link sent',
    });
    return;
  }
  const bankId = user.bankId ? String(user.bankId) : null;
  if (totalHits > RESETS_PER_ADDRESS) {
    await audit.record({
      ...base,
      outcome: 'failure',
      actor: actorOf(user),
      bankId,
      note: 'too many links asked for this address in an hour: no link sent',
    });
    return;
  }
  if (bankId && (await ssoRequiredFor(bankId))) {
    await audit.record({
      ...base,
      outcome: 'failure',
      actor: actorOf(user),
      bankId,
      note: 'the bank requires SSO: no link sent',
    });
    return;
  }
  const { id } = await users.createResetToken(String(user._id));
  await queueDeliveries({ kind: RESET_MAIL, id: new Types.ObjectId(id), bankId, lane: 'urgent' }, [user.email]);
  await audit.record({ ...base, actor: actorOf(user), bankId, note: 'link sent by e-mail, valid one hour' });
}

export async function confirmPasswordReset(token: string, password: string): Promise<void> {
  const { userId, email } = await users.resetPasswordWithToken(token, password);
  await audit.record({
    action: 'auth.password_reset',
    actor: { id: userId, email },
    target: { type: 'user', id: userId, label: email },
    note: 'password set from an e-mailed link; every session and API token of the user ended',
  });
}

/** The reset e-mail (composed when sent): the link, its one-hour validity, and what to do if it was not you. */
export async function composeResetMail(d: DeliveryToCompose): Promise<MailMessage> {
  const link = await users.resetLinkToSend(d.subjectId);
  if (!link) throw new Error('the reset link was used or has expired: nothing to send');
  const locales: Locale[] = link.locale === 'en' || link.locale === 'zh' ? [link.locale] : ['zh', 'en'];
  const url = `${config().publicUrl.replace(/\/$/, '')}/password-reset/confirm#${link.token}`;
  const body = locales
    .map((l) =>
      [
        translate(l, 'account.reset_mail.greeting', { name: link.name }),
        translate(l, 'account.reset_mail.body'),
        url,
        translate(l, 'account.reset_mail.code', { code: link.token }),
        translate(l, 'account.reset_mail.valid'),
        translate(l, 'account.reset_mail.not_you'),
      ].join('\n\n'),
    )
    .join('\n\n----------------------------------------\n\n');
  return {
    from: config().MAIL_FROM,
    to: d.recipient,
    subject: locales.map((l) => translate(l, 'account.reset_mail.subject')).join(' / '),
    text: body,
    messageId: d.messageId,
  };
}
