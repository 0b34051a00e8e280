import { config } from '../platform/config';
import { translate } from '../platform/i18n';
import type { DeliveryToCompose, MailMessage } from '../platform/mail/outbox';
import { WebhookEndpoint } from './model';

/** The e-mail telling the admins that an endpoint was disabled after failing for days (in Chinese and English). */
export async function composeDisabledMail(d: DeliveryToCompose): Promise<MailMessage> {
  const e = await WebhookEndpoint.findOne({ disabledNoticeId: d.subjectId }).lean();
  if (!e) throw new Error(`endpoint of notice ${d.subjectId} not found`);
  const vars = {
    url: e.url,
    since: e.failingSince ? e.failingSince.toISOString() : '',
    link: `${config().publicUrl}/admin/webhooks/${String(e._id)}`,
  };
  const lines = (['zh', 'en'] as const).flatMap((l) => [translate(l, 'webhooks.mail.body', vars), '']);
  return {
    from: config().MAIL_FROM,
    to: d.recipient,
    subject: `${translate('zh', 'webhooks.mail.subject', vars)} / ${translate('en', 'webhooks.mail.subject', vars)}`,
    text: lines.join('\n'),
    messageId: d.messageId,
    headers: { 'X-Webhook-Endpoint': String(e._id) },
  };
}
