import { Types } from 'mongoose';
import { bankNotifyFacts } from '../banks/service';
import { BoundedCache } from '../platform/cache';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { workQueued } from '../platform/jobs/wakeup';
import { queueDeliveries } from '../platform/mail/outbox';
import { Alert, type AlertDoc } from './model';
import type { AlertTransition } from './rules';

/** The mail outbox's kinds of alert e-mails (server/jobs.ts registers their composer). */
export const ALERT_MAIL = 'alert';
export const ALERT_WITHDRAWN_MAIL = 'alert-withdrawn';

export interface AlertVisit {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  branchCode: string;
  region: string;
  quarter: string;
  visitedAt: Date;
  questionnaireId: Types.ObjectId;
  questionnaireVersion: number;
}

export interface RecordedAlert {
  id: string;
  status: 'sent' | 'withdrawn';
  itemKeys: string[];
}

/** A bank's alert recipients, kept a few seconds: a burst of approvals reads them once. */
const banks = new BoundedCache<string, Awaited<ReturnType<typeof bankNotifyFacts>>>({ limit: 200, ttlMs: 10_000 });
async function bankFacts(bankId: string) {
  const hit = banks.get(bankId);
  if (hit !== undefined) return hit;
  const facts = await bankNotifyFacts(bankId);
  banks.set(bankId, facts);
  return facts;
}

/**
 * Records one transition of a visit's alert and queues its e-mail to the bank's alert recipients.
 * Every step is idempotent (the alert's unique key, the withdrawal as a conditional update, one
 * outbox delivery per notice and recipient), so replaying a transition after a crash completes it
 * without sending anything twice.
 */
export async function recordTransition(v: AlertVisit, t: AlertTransition): Promise<RecordedAlert> {
  const key = `${String(v._id)}:${t.round}`;
  await Alert.updateOne(
    { key },
    {
      $setOnInsert: {
        key,
        visitId: v._id,
        round: t.round,
        bankId: v.bankId,
        branchCode: v.branchCode,
        region: v.region,
        quarter: v.quarter,
        visitedAt: v.visitedAt,
        questionnaireId: v.questionnaireId,
        questionnaireVersion: v.questionnaireVersion,
        itemKeys: t.itemKeys,
        status: 'sent',
        raisedAt: t.at,
      },
    },
    { upsert: true },
  ).catch((e: unknown) => {
    // Two followers upserting the same key at once: the loser's insert is refused, the alert exists.
    if (!isDuplicateKey(e)) throw e;
  });
  if (t.kind === 'withdrawn')
    await Alert.updateOne(
      { key, status: 'sent' },
      { $set: { status: 'withdrawn', withdrawnAt: t.at, withdrawalId: new Types.ObjectId() } },
    );
  const alert = await Alert.findOne({ key }).lean<AlertDoc>();
  if (!alert) throw new Error(`alert ${key} vanished`);
  const bank = await bankFacts(String(v.bankId));
  const recipients = bank?.alertRecipients ?? [];
  const notice =
    t.kind === 'violation'
      ? { kind: ALERT_MAIL, id: alert._id }
      : { kind: ALERT_WITHDRAWN_MAIL, id: alert.withdrawalId as Types.ObjectId };
  if (recipients.length) {
    // The urgent lane: an alert is sent within the minute, never behind a close's report e-mails.
    await queueDeliveries({ ...notice, bankId: v.bankId, lane: 'urgent' }, recipients);
    workQueued();
  }
  return { id: String(alert._id), status: alert.status as RecordedAlert['status'], itemKeys: alert.itemKeys };
}
