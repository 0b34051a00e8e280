import type { Types } from 'mongoose';
import type Mail from 'nodemailer/lib/mailer';
import { config } from '../config';
import { unlessDuplicate } from '../db/duplicate-key';
import { ConflictError, NotFoundError } from '../errors';
import { workQueued } from '../jobs/wakeup';
import { logger } from '../logger';
import { Delivery, type DeliveryAttrs } from './model';
import { sendMail } from './transport';

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
const DEFAULT_KIND = 'report';

export interface MailOptions {
  /** How long a worker may hold a delivery while sending it. */
  sendLeaseMs?: number;
  /** First retry delay after a failed attempt; doubles per attempt, capped at an hour. */
  mailRetryMs?: number;
  /** Automatic attempts before a delivery is marked failed (an admin can still re-send). */
  mailMaxTries?: number;
  /** The bank PDF is attached up to this size, linked above it. */
  attachMaxBytes?: number;
}

const DEFAULTS = { sendLeaseMs: 5 * 60_000, mailRetryMs: 60_000, mailMaxTries: 8, attachMaxBytes: 10 * 1024 * 1024 };

type DeliveryDoc = DeliveryAttrs & { _id: Types.ObjectId };

export interface MailSubject {
  kind: string;
  id: Types.ObjectId;
  bankId: unknown;
}

/** One delivery per recipient and subject; queueing again changes nothing (a close resumed after a crash). */
export async function queueDeliveries(subject: MailSubject, recipients: string[]): Promise<void> {
  const now = new Date();
  for (const recipient of [...new Set(recipients.map((r) => r.trim().toLowerCase()))].filter(Boolean)) {
    const create = () =>
      Delivery.create({
        kind: subject.kind,
        reportId: subject.id,
        bankId: subject.bankId,
        recipient,
        status: 'pending',
        nextAttemptAt: now,
      });
    await unlessDuplicate(create, () => undefined);
  }
}

function mailDomain(): string {
  const m = /@([^>\s]+)/.exec(config().MAIL_FROM);
  return m ? m[1] : 'localhost';
}

/** Stable per delivery and re-send: a retry of the same message carries the same Message-ID. */
export function messageIdOf(d: { _id: unknown; kind?: string | null; reportId: unknown; seq: number }): string {
  return `<${d.kind ?? DEFAULT_KIND}-${String(d.reportId)}.delivery-${String(d._id)}.${d.seq}@${mailDomain()}>`;
}

const INTERRUPTED =
  'interrupted: the previous attempt did not finish (it may have been delivered; a retry carries the same Message-ID)';

/** Sends the next due delivery, if any, composed by its kind's composer; true when there was one. */
export async function processNextDelivery(
  workerId: string,
  composers: MailComposers,
  options: MailOptions = {},
): Promise<boolean> {
  const opts = { ...DEFAULTS, ...options };
  const now = new Date();
  // The previous state tells whether this takes over a send that a crashed worker left behind.
  const prev = await Delivery.findOneAndUpdate(
    {
      $or: [
        { status: 'pending', nextAttemptAt: { $lte: now } },
        { status: 'sending', lockedUntil: { $lte: now } },
      ],
    },
    { $set: { status: 'sending', lockedBy: workerId, lockedUntil: new Date(now.getTime() + opts.sendLeaseMs) } },
    { sort: { nextAttemptAt: 1 }, new: false },
  ).lean<DeliveryDoc>();
  if (!prev) return false;
  const messageId = messageIdOf(prev);
  const kind = prev.nextKind === 'resend' ? 'resend' : 'auto';
  let tries = prev.tries;
  if (prev.status === 'sending') {
    tries += 1;
    await Delivery.updateOne(
      { _id: prev._id, lockedBy: workerId },
      {
        $push: { attempts: { at: prev.lockedUntil ?? now, kind, ok: false, error: INTERRUPTED, messageId } },
        $set: { tries },
      },
    );
  }
  const log = logger.child({ deliveryId: String(prev._id), reportId: String(prev.reportId), messageId });
  try {
    const mailKind = prev.kind ?? DEFAULT_KIND;
    const compose = composers[mailKind];
    if (!compose) throw new Error(`no composer for e-mails of kind "${mailKind}"`);
    const toCompose = { kind: mailKind, subjectId: String(prev.reportId), recipient: prev.recipient, messageId };
    await sendMail(await compose(toCompose, { attachMaxBytes: opts.attachMaxBytes }));
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    tries += 1;
    const final = tries >= opts.mailMaxTries;
    const wait = Math.min(3600_000, opts.mailRetryMs * 2 ** (tries - 1));
    await Delivery.updateOne(
      { _id: prev._id, lockedBy: workerId, status: 'sending' },
      {
        $set: {
          status: final ? 'failed' : 'pending',
          tries,
          nextAttemptAt: new Date(Date.now() + wait),
          lockedBy: null,
          lockedUntil: null,
          lastError: error,
        },
        $push: { attempts: { at: new Date(), kind, ok: false, error, messageId, by: prev.requestedBy } },
      },
    );
    log.warn({ err: error, tries, final }, 'report e-mail not sent');
    return true;
  }
  const marked = await Delivery.updateOne(
    { _id: prev._id, lockedBy: workerId, status: 'sending' },
    {
      $set: {
        status: 'sent',
        sentAt: new Date(),
        lockedBy: null,
        lockedUntil: null,
        lastError: null,
        messageId,
        nextKind: 'auto',
        tries: tries + 1,
      },
      $push: { attempts: { at: new Date(), kind, ok: true, messageId, by: prev.requestedBy } },
    },
  );
  if (marked.matchedCount !== 1) log.error('report e-mail sent, but the delivery lease had been taken over');
  else log.info({ recipient: prev.recipient }, 'report e-mail sent');
  return true;
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
  const targets = await Delivery.find(filter, { _id: 1, status: 1 }).lean();
  if (recipient && targets.every((t) => t.status === 'sending'))
    throw new ConflictError('This e-mail is being sent right now', 'delivery_in_progress');
  for (const t of targets) {
    await Delivery.updateOne(
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
  }
  workQueued();
  return listDeliveries(reportId);
}
