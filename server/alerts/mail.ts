import { DateTime } from 'luxon';
import { bankNotifyFacts, branchNames } from '../banks/service';
import { config } from '../platform/config';
import { translate } from '../platform/i18n';
import type { DeliveryToCompose, MailMessage } from '../platform/mail/outbox';
import { getVersion } from '../questionnaires/service';
import { Alert, type AlertDoc } from './model';
import { ALERT_WITHDRAWN_MAIL } from './record';

/**
 * The compliance alert e-mail and its withdrawal notice (SPEC §13), in the bank's language: bank,
 * branch, visit time in the bank's zone (named), the violated items' wording, a link to the visit.
 * Never who the auditor was. Composed when sent, so a retry says what is current.
 */
export async function composeAlertMail(d: DeliveryToCompose): Promise<MailMessage> {
  const withdrawn = d.kind === ALERT_WITHDRAWN_MAIL;
  const alert = await Alert.findOne(withdrawn ? { withdrawalId: d.subjectId } : { _id: d.subjectId }).lean<AlertDoc>();
  if (!alert) throw new Error(`alert of notice ${d.subjectId} not found`);
  const bank = await bankNotifyFacts(String(alert.bankId));
  if (!bank) throw new Error(`bank of alert ${String(alert._id)} not found`);
  const lang = bank.language;
  const t = (k: string, vars: Record<string, unknown> = {}) => translate(lang, `alerts.mail.${k}`, vars);
  const names = await branchNames([{ bankId: bank.id, code: alert.branchCode }]);
  const branch = names.get(`${bank.id}|${alert.branchCode}`) ?? alert.branchCode;
  const visitedAt = DateTime.fromJSDate(alert.visitedAt).setZone(bank.timezone).toFormat('yyyy-MM-dd HH:mm');
  const items = await itemTexts(alert, lang);
  const url = `${config().publicUrl}/visits/${String(alert.visitId)}`;
  const vars = { bank: bank.name, branch: `${branch} (${alert.branchCode})`, quarter: alert.quarter };
  const lines = [
    t(withdrawn ? 'withdrawn_intro' : 'intro', vars),
    '',
    `${t('bank')}: ${bank.name}`,
    `${t('branch')}: ${vars.branch}`,
    `${t('visited_at')}: ${visitedAt} (${bank.timezone})`,
    `${t('items')}:`,
    ...items.map((i) => `  - ${i}`),
    '',
    `${t('link')}: ${url}`,
  ];
  return {
    from: config().MAIL_FROM,
    to: d.recipient,
    subject: t(withdrawn ? 'withdrawn_subject' : 'subject', vars),
    text: lines.join('\n'),
    html: lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('\n'),
    messageId: d.messageId,
    headers: { 'X-Alert-Id': String(alert._id), 'X-Visit-Id': String(alert.visitId) },
  };
}

async function itemTexts(alert: AlertDoc, lang: 'zh' | 'en'): Promise<string[]> {
  const version = await getVersion(String(alert.questionnaireId), alert.questionnaireVersion).catch(() => null);
  const texts = new Map<string, string>();
  for (const s of version?.sections ?? []) for (const i of s.items) texts.set(i.key, i.text[lang] || i.key);
  return alert.itemKeys.map((k) => texts.get(k) ?? k);
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
