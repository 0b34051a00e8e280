import { Types } from 'mongoose';
import { logger } from '../platform/logger';
import { hasDeliveries, queueDeliveries } from '../platform/mail/outbox';
import { listUsers } from '../users/service';
import { WebhookEndpoint, type EndpointDoc } from './model';
import { forgetEndpoints } from './publish';
import { failedTooLong } from './retry';

/**
 * An endpoint's health: the time of its first failure since its last success. An endpoint that has
 * failed (no delivery succeeding) for WEBHOOK_DISABLE_AFTER_HOURS (5 days) is disabled, and every
 * active admin is e-mailed once per disabling (the mail outbox: recorded, retried, sent once).
 */
export const DISABLED_MAIL = 'webhook-disabled';

export async function endpointSucceeded(id: Types.ObjectId): Promise<void> {
  await WebhookEndpoint.updateOne({ _id: id, failingSince: { $ne: null } }, { $set: { failingSince: null } });
}

export async function endpointFailed(endpoint: Pick<EndpointDoc, '_id' | 'bankId'>, at: Date): Promise<void> {
  await WebhookEndpoint.updateOne({ _id: endpoint._id, failingSince: null }, { $set: { failingSince: at } });
  const fresh = await WebhookEndpoint.findById(endpoint._id, { failingSince: 1, status: 1 }).lean();
  if (!fresh || fresh.status !== 'enabled' || !failedTooLong(fresh.failingSince, at)) return;
  const noticeId = new Types.ObjectId();
  const since = (fresh.failingSince as Date).toISOString();
  const r = await WebhookEndpoint.updateOne(
    { _id: endpoint._id, status: 'enabled', failingSince: fresh.failingSince },
    {
      $set: {
        status: 'disabled',
        disabledAt: at,
        disabledReason: `every delivery failed since ${since}`,
        disabledNoticeId: noticeId,
      },
    },
  );
  if (r.modifiedCount !== 1) return; // another worker disabled it (and tells the admins)
  forgetEndpoints();
  logger.warn({ endpointId: String(endpoint._id), since }, 'webhook endpoint disabled after failing too long');
  await tellAdmins(noticeId, endpoint);
}

/** Queues the "endpoint disabled" e-mail to every active admin (also used to finish an interrupted one). */
export async function tellAdmins(noticeId: Types.ObjectId, endpoint: Pick<EndpointDoc, '_id' | 'bankId'>) {
  const admins = (await listUsers({ role: 'admin' })).filter((u) => u.active !== false).map((u) => u.email);
  // The outbox files every e-mail under a bank; a firm endpoint's notice is filed under the endpoint itself.
  await queueDeliveries({ kind: DISABLED_MAIL, id: noticeId, bankId: endpoint.bankId ?? endpoint._id }, admins);
}

/**
 * Disablings whose e-mail was never queued (the process died between the two writes): queued now.
 * Run by the periodic task; a disabling whose e-mail is queued already is left alone.
 */
export async function finishDisableNotices(): Promise<number> {
  const rows = await WebhookEndpoint.find(
    { status: 'disabled', disabledNoticeId: { $ne: null } },
    { disabledNoticeId: 1, bankId: 1 },
  ).lean();
  let queued = 0;
  for (const e of rows) {
    const noticeId = e.disabledNoticeId as Types.ObjectId;
    if (await hasDeliveries(noticeId, { not: '' })) continue;
    await tellAdmins(noticeId, e);
    queued += 1;
  }
  return queued;
}
