import { config } from '../config';
import { logger } from '../logger';
import { Delivery, type MailLane } from './model';
import {
  DEFAULT_KIND,
  MAIL_DEFAULTS,
  messageIdOf,
  type DeliveryDoc,
  type MailComposers,
  type MailOptions,
} from './outbox';
import { dueEntries, leaveQueue, moveEntry, repairQueue, type DueEntry } from './queue';
import { sendMail } from './transport';

/**
 * Sending one lane of the outbox: each worker takes up to `sendConcurrency` due deliveries at a time
 * and sends them side by side. A delivery is taken by exact id, conditional on being pending and due
 * (or `sending` under a lease that ran out): that single-document update is the arbiter, so it is
 * sent by one worker at a time whatever the due list says. `sending` is the lease; `sent` is written
 * after the server accepted; a send interrupted by a crash is taken over after the lease with the same
 * Message-ID and recorded as interrupted; a failed attempt is retried with doubling delays.
 */
export interface MailLaneRunner {
  lane: MailLane;
  /** Takes what is due while there is room, or waits for a send to end; true when it did either. */
  step(): Promise<boolean>;
  /** Waits for the sends in progress (a worker stopping). */
  drain(): Promise<void>;
  /** Sending, or found something due at its last look. */
  busy(): boolean;
}

type Settings = typeof MAIL_DEFAULTS & MailOptions & { sendConcurrency: number };

export function laneRunner(
  lane: MailLane,
  workerId: string,
  composers: MailComposers,
  options: MailOptions = {},
  /** While this lane is busy, this one sends one e-mail at a time (its PDFs' reads and encoding wait). */
  yieldTo?: MailLaneRunner,
): MailLaneRunner {
  const opts: Settings = {
    ...MAIL_DEFAULTS,
    ...options,
    sendConcurrency: options.sendConcurrency ?? config().MAIL_SEND_CONCURRENCY,
  };
  const flying = new Map<string, Promise<void>>();
  let sweptAt = -Infinity;
  let foundDue = false;
  const room = () => (yieldTo?.busy() ? 1 : opts.sendConcurrency) - flying.size;
  return {
    lane,
    async step() {
      if (Date.now() - sweptAt >= opts.mailSweepMs) {
        sweptAt = Date.now();
        const added = await repairQueue(lane);
        if (added) logger.warn({ lane, added }, 'outstanding e-mails put back on their due list');
      }
      if (room() <= 0) {
        await Promise.race(flying.values());
        return true;
      }
      const now = new Date();
      const entries = await dueEntries(lane, now, room(), [...flying.keys()]);
      foundDue = entries.length > 0;
      const taken = await Promise.all(entries.map((e) => takeDelivery(lane, e, workerId, opts, now)));
      entries.forEach((entry, i) => {
        const d = taken[i];
        if (!d) return;
        const id = String(entry._id);
        const sent = sendTaken(lane, entry, d, workerId, composers, opts)
          .catch((e: unknown) => logger.error({ err: e, deliveryId: id }, 'e-mail send step failed'))
          .finally(() => flying.delete(id));
        flying.set(id, sent);
      });
      return taken.some(Boolean);
    },
    drain: async () => {
      await Promise.all(flying.values());
    },
    busy: () => flying.size > 0 || foundDue,
  };
}

/** The delivery, taken under this worker's lease (its state before), or null (the entry is moved or dropped). */
async function takeDelivery(
  lane: MailLane,
  entry: DueEntry,
  workerId: string,
  opts: Settings,
  now: Date,
): Promise<DeliveryDoc | null> {
  const prev = await Delivery.findOneAndUpdate(
    {
      _id: entry._id,
      $or: [
        { status: 'pending', nextAttemptAt: { $lte: now } },
        { status: 'sending', lockedUntil: { $lte: now } },
      ],
    },
    { $set: { status: 'sending', lockedBy: workerId, lockedUntil: new Date(now.getTime() + opts.sendLeaseMs) } },
    { new: false },
  ).lean<DeliveryDoc>();
  if (prev) return prev;
  // Not taken: settled meanwhile (the entry goes), or due later / held by another worker (it waits till then).
  const d = await Delivery.findById(entry._id, { status: 1, nextAttemptAt: 1, lockedUntil: 1 }).lean();
  const until = d?.status === 'sending' ? d.lockedUntil : d?.status === 'pending' ? d.nextAttemptAt : null;
  if (!until) await leaveQueue(lane, entry);
  else if (until > now) await moveEntry(lane, entry, until, entry.due);
  return null;
}

const INTERRUPTED =
  'interrupted: the previous attempt did not finish (it may have been delivered; a retry carries the same Message-ID)';

async function sendTaken(
  lane: MailLane,
  entry: DueEntry,
  prev: DeliveryDoc,
  workerId: string,
  composers: MailComposers,
  opts: Settings,
): Promise<void> {
  const messageId = messageIdOf(prev);
  const kind = prev.nextKind === 'resend' ? 'resend' : 'auto';
  let tries = prev.tries;
  if (prev.status === 'sending') {
    tries += 1;
    await Delivery.updateOne(
      { _id: prev._id, lockedBy: workerId },
      {
        $push: { attempts: { at: prev.lockedUntil ?? new Date(), kind, ok: false, error: INTERRUPTED, messageId } },
        $set: { tries },
      },
    );
  }
  const log = logger.child({ deliveryId: String(prev._id), reportId: String(prev.reportId), messageId, lane });
  const mailKind = prev.kind ?? DEFAULT_KIND;
  try {
    const compose = composers[mailKind];
    if (!compose) throw new Error(`no composer for e-mails of kind "${mailKind}"`);
    const toCompose = { kind: mailKind, subjectId: String(prev.reportId), recipient: prev.recipient, messageId };
    await sendMail(await compose(toCompose, { attachMaxBytes: opts.attachMaxBytes }));
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    tries += 1;
    const final = tries >= opts.mailMaxTries;
    const next = new Date(Date.now() + Math.min(3600_000, opts.mailRetryMs * 2 ** (tries - 1)));
    const failed = await Delivery.updateOne(
      { _id: prev._id, lockedBy: workerId, status: 'sending' },
      {
        $set: {
          status: final ? 'failed' : 'pending',
          tries,
          nextAttemptAt: next,
          lockedBy: null,
          lockedUntil: null,
          lastError: error,
        },
        $push: { attempts: { at: new Date(), kind, ok: false, error, messageId, by: prev.requestedBy } },
      },
    );
    if (failed.matchedCount === 1) await (final ? leaveQueue(lane, entry) : moveEntry(lane, entry, next));
    log.warn({ err: error, tries, final, kind: mailKind }, 'e-mail not sent');
    return;
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
  if (marked.matchedCount !== 1) return log.error('e-mail sent, but the delivery lease had been taken over');
  await leaveQueue(lane, entry);
  log.info({ recipient: prev.recipient, kind: mailKind }, 'e-mail sent');
}
