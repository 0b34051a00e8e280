import type { Types } from 'mongoose';
import type Mail from 'nodemailer/lib/mailer';
import { config } from '../config';
import { unlessDuplicate } from '../db/duplicate-key';
import { ConflictError, NotFoundError } from '../errors';
import { workQueued } from '../jobs/wakeup';
import { Delivery, type DeliveryAttrs, type MailLane } from './model';
import { enterQueue, ensureEntry, laneOf } from './queue';

/**
 * E-mail deliveries: queued per recipient, sent by the worker under a lease, retried with backoff.
 * The outbox knows no feature: each delivery has a kind (a report e-mail, …) and the id of what it is
 * about, and the message is composed at sending time by the composer the top floor registered for
 * that kind (server/jobs.ts), so a retry always sends what is current.
 */
export type MailMessage = Mail.Options & { messageId: string };

export interface DeliveryToCompose {
  kind: string;
  /** What the e-mail is about (a report, for kind 'report'). */
  subjectId: string;
  recipient: string;
  messageId: string;
}

export type MailComposer = (d: DeliveryToCompose, opts: { attachMaxBytes: number }) => Promise<MailMessage>;
export type MailComposers = Readonly<Record<string, MailComposer>>;

/** Deliveries stored before kinds existed are report e-mails. */
export const DEFAULT_KIND = 'report';

export interface MailOptions {
  /** How long a worker may hold a delivery while sending it. */
  sendLeaseMs?: number;
  /** First retry delay after a failed attempt; doubles per attempt, capped at an hour. */
  mailRetryMs?: number;
  /** Automatic attempts before a delivery is marked failed (an admin can still re-send). */
  mailMaxTries?: number;
  /** The bank PDF is attached up to this size, linked above it. */
  attachMaxBytes?: number;
  /** E-mails sent at once per lane (default MAIL_SEND_CONCURRENCY). */
  sendConcurrency?: number;
  /** How often a worker gives outstanding deliveries without a due-list entry one (see queue.ts). */
  mailSweepMs?: number;
}

export const MAIL_DEFAULTS = {
  sendLeaseMs: 5 * 60_000,
  mailRetryMs: 60_000,
  mailMaxTries: 8,
  attachMaxBytes: 10 * 1024 * 1024,
  mailSweepMs: 5 * 60_000,
};

export type DeliveryDoc = DeliveryAttrs & { _id: Types.ObjectId };

export interface MailSubject {
  kind: string;
  id: Types.ObjectId;
  bankId: unknown;
  /** `urgent` for e-mails someone is waiting for (an alert, a reset link); report e-mails are `bulk` (the default). */
  lane?: MailLane;
}

/**
 * One delivery per recipient and subject, put on its lane's due list; queueing again sends nothing
 * twice (a close resumed after a crash, a change followed again): a delivery still outstanding gets
 * its due-list entry if the crash came between the two writes.
 */
export async function queueDeliveries(subject: MailSubject, recipients: string[]): Promise<void> {
  const now = new Date();
  const lane = subject.lane ?? 'bulk';
  for (const recipient of [...new Set(recipients.map((r) => r.trim().toLowerCase()))].filter(Boolean)) {
    const create = () =>
      Delivery.create({
        kind: subject.kind,
        lane,
        reportId: subject.id,
        bankId: subject.bankId,
        recipient,
        status: 'pending',
        nextAttemptAt: now,
      });
    const created = await unlessDuplicate(create, () => null);
    if (created) await enterQueue(lane, created._id, now);
    else await ensureOutstandingEntry(subject.id, recipient);
  }
}

async function ensureOutstandingEntry(subjectId: Types.ObjectId, recipient: string): Promise<void> {
  const d = await Delivery.findOne({ reportId: subjectId, recipient }, { lane: 1, status: 1, nextAttemptAt: 1 }).lean();
  if (d && (d.status === 'pending' || d.status === 'sending')) await ensureEntry(laneOf(d), d._id, d.nextAttemptAt);
}

function mailDomain(): string {
  const m = /@([^>\s]+)/.exec(config().MAIL_FROM);
  return m ? m[1] : 'localhost';
}

/** Stable per delivery and re-send: a retry of the same message carries the same Message-ID. */
export function messageIdOf(d: { _id: unknown; kind?: string | null; reportId: unknown; seq: number }): string {
  return `<${d.kind ?? DEFAULT_KIND}-${String(d.reportId)}.delivery-${String(d._id)}.${d.seq}@${mailDomain()}>`;
}

export interface DeliveryView {
  id: string;
  recipient: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError?: string;
  sentAt?: Date;
  messageId: string;
  history: { at: Date; kind: string; ok: boolean; error?: string; messageId: string; by?: string }[];
}

export function deliveryView(d: DeliveryDoc): DeliveryView {
  return {
    id: String(d._id),
    recipient: d.recipient,
    // `sending` is an internal lease; to the outside it is still on its way.
    status: d.status === 'sending' ? 'pending' : (d.status as DeliveryView['status']),
    attempts: (d.attempts ?? []).length,
    ...(d.lastError ? { lastError: d.lastError } : {}),
    ...(d.sentAt ? { sentAt: d.sentAt } : {}),
    messageId: d.messageId ?? messageIdOf(d),
    history: (d.attempts ?? []).map((a) => ({
      at: a.at,
      kind: a.kind,
      ok: a.ok,
      ...(a.error ? { error: a.error } : {}),
      messageId: a.messageId,
      ...(a.by ? { by: a.by } : {}),
    })),
  };
}

/** The deliveries of one subject (a report's e-mails), by recipient. */
export async function listDeliveries(subjectId: Types.ObjectId | string): Promise<DeliveryView[]> {
  const list = await Delivery.find({ reportId: subjectId }).sort({ recipient: 1 }).lean<DeliveryDoc[]>();
  return list.map(deliveryView);
}

/** Whether any of the subject's deliveries has the status (and, with `tries`, that many automatic tries). */
export async function hasDeliveries(
  subjectId: Types.ObjectId | string,
  status: { in?: readonly string[]; not?: string },
  tries?: number,
): Promise<boolean> {
  const statusFilter = status.in ? { $in: status.in } : { $ne: status.not };
  const filter = { reportId: subjectId, status: statusFilter, ...(tries === undefined ? {} : { tries }) };
  return Boolean(await Delivery.exists(filter));
}

/**
 * An admin's explicit re-send: the delivery is queued again as a new message (new Message-ID),
 * whatever happened before. A delivery being sent right now is left alone (409 when asked for alone).
 * This process's mail worker is woken at once.
 */
export async function resend(
  subject: MailSubject,
  by: string,
  recipient: string | undefined,
  allowedNew: string[],
): Promise<DeliveryView[]> {
  const now = new Date();
  const reportId = subject.id;
  if (recipient && !(await Delivery.exists({ reportId, recipient }))) {
    if (!allowedNew.includes(recipient)) throw new NotFoundError('Delivery');
    await queueDeliveries(subject, [recipient]);
  }
  const filter: Record<string, unknown> = { reportId, ...(recipient ? { recipient } : {}) };
  const targets = await Delivery.find(filter, { _id: 1, status: 1, lane: 1 }).lean();
  if (recipient && targets.every((t) => t.status === 'sending'))
    throw new ConflictError('This e-mail is being sent right now', 'delivery_in_progress');
  for (const t of targets) {
    const queued = await Delivery.updateOne(
      { _id: t._id, status: { $in: ['pending', 'sent', 'failed'] } },
      {
        $set: {
          status: 'pending',
          nextKind: 'resend',
          requestedBy: by,
          tries: 0,
          nextAttemptAt: now,
          lockedBy: null,
          lockedUntil: null,
        },
        $inc: { seq: 1 },
      },
    );
    if (queued.matchedCount === 1) await enterQueue(laneOf(t), t._id, now);
  }
  workQueued();
  return listDeliveries(reportId);
}
