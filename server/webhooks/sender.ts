import { type Types } from 'mongoose';
import { BoundedCache } from '../platform/cache';
import { config } from '../platform/config';
import { logger } from '../platform/logger';
import { endpointFailed, endpointSucceeded } from './health';
import { postJson, type PostResult } from './http-post';
import {
  WebhookDelivery,
  WebhookDue,
  WebhookEndpoint,
  WebhookEvent,
  type DeliveryDoc,
  type DueDoc,
  type EndpointDoc,
} from './model';
import { retryDelayMs } from './retry';
import { openSecret, signedHeaders } from './secrets';

/**
 * Sending the queued deliveries. Each is taken under a lease (`sending`, in one conditional update)
 * and then marked delivered or scheduled again, so a process killed mid-send leaves a delivery that
 * another (or the restarted) worker takes over: at least once, with the same webhook-id. A visit's
 * deliveries to one endpoint go in order: one waits while an earlier one is still on its way (even
 * in backoff). Sends run concurrently (a slow target holds only its own deliveries), bounded per
 * process and per endpoint.
 */
const BATCH = 200;
const MAX_IN_FLIGHT = 64;
const MAX_PER_ENDPOINT = 16;
/** How long a step waits for its sends before claiming more (slow targets keep sending meanwhile). */
const STEP_WAIT_MS = 250;

type Delivery = Pick<DeliveryDoc, '_id' | 'endpointId' | 'eventId' | 'status' | 'tries' | 'nextKind'>;

const endpointCache = new BoundedCache<string, EndpointDoc>({ limit: 1000, ttlMs: 2000 });
export function forgetSenderEndpoint(id?: string): void {
  if (id) endpointCache.delete(id);
  else endpointCache.clear();
}

async function enabledEndpoints(): Promise<Map<string, EndpointDoc>> {
  const rows = await WebhookEndpoint.find({ status: 'enabled', deletedAt: null }).lean<EndpointDoc[]>();
  return new Map(rows.map((r) => [String(r._id), r]));
}

const inFlight = new Map<string, Promise<void>>();
const inFlightPerEndpoint = new Map<string, number>();

/**
 * Due deliveries of enabled endpoints whose visit has no earlier delivery still on its way, from the
 * sending queue (small: only what is on its way), ordered and filtered here in one read.
 */
async function dueInOrder(endpoints: Map<string, EndpointDoc>, now: Date): Promise<DueDoc[]> {
  const open = (await WebhookDue.find({}).lean<DueDoc[]>()).filter((d) => endpoints.has(String(d.endpointId)));
  const first = new Map<string, number>();
  for (const a of open) {
    const k = `${String(a.endpointId)}|${a.orderKey}`;
    first.set(k, Math.min(first.get(k) ?? Infinity, a.position));
  }
  const t = now.getTime();
  return open
    .filter((d) => d.nextAttemptAt.getTime() <= t && first.get(`${String(d.endpointId)}|${d.orderKey}`) === d.position)
    .sort((x, y) => x.nextAttemptAt.getTime() - y.nextAttemptAt.getTime())
    .slice(0, BATCH);
}

/** One step of the sending loop; true when it found work (the loop then goes on at once). */
export async function sendDueDeliveries(workerId: string): Promise<boolean> {
  if (inFlight.size >= MAX_IN_FLIGHT) {
    await Promise.race([...inFlight.values(), new Promise((r) => setTimeout(r, STEP_WAIT_MS))]);
    return true;
  }
  const now = new Date();
  const endpoints = await enabledEndpoints();
  const ready = (await dueInOrder(endpoints, now)).filter((d) => !inFlight.has(String(d._id)));
  const started: Promise<void>[] = [];
  for (const d of ready) {
    const endpointKey = String(d.endpointId);
    if (inFlight.size >= MAX_IN_FLIGHT || (inFlightPerEndpoint.get(endpointKey) ?? 0) >= MAX_PER_ENDPOINT) continue;
    const endpoint = endpoints.get(endpointKey);
    if (!endpoint) continue;
    const id = String(d._id);
    inFlightPerEndpoint.set(endpointKey, (inFlightPerEndpoint.get(endpointKey) ?? 0) + 1);
    // Claimed and sent concurrently: a delivery another worker claimed first is simply skipped.
    const run = claim(d, workerId, now)
      .then((mine) => (mine ? attempt(mine, endpoint, workerId) : undefined))
      .catch((e: unknown) => logger.error({ err: e, deliveryId: id }, 'webhook delivery step failed'))
      .finally(() => {
        inFlight.delete(id);
        inFlightPerEndpoint.set(endpointKey, (inFlightPerEndpoint.get(endpointKey) ?? 1) - 1);
      });
    inFlight.set(id, run);
    started.push(run);
  }
  if (!started.length) return inFlight.size > 0 && ready.length > 0;
  await Promise.race([Promise.all(started), new Promise((r) => setTimeout(r, STEP_WAIT_MS))]);
  return true;
}

/** Waits for every send this process has started (tests, shutdown). */
export async function settleInFlight(): Promise<void> {
  while (inFlight.size) await Promise.all([...inFlight.values()]);
}

function leaseMs(): number {
  return config().WEBHOOK_TIMEOUT_MS + 30_000;
}

/**
 * Takes the delivery for this worker (pending and due, or left `sending` by a worker whose lease ran
 * out); null when it is not to be sent now, and then the queue entry is brought in line with it.
 */
async function claim(due: DueDoc, workerId: string, now: Date): Promise<Delivery | null> {
  const prev = await WebhookDelivery.findOneAndUpdate(
    {
      _id: due._id,
      $or: [
        { status: 'pending', nextAttemptAt: { $lte: now } },
        { status: 'sending', lockedUntil: { $lte: now } },
      ],
    },
    { $set: { status: 'sending', lockedBy: workerId, lockedUntil: new Date(now.getTime() + leaseMs()) } },
    // (no projection: FerretDB's findAndModify has none; the delivery is small)
    { new: false },
  ).lean<Delivery>();
  if (prev) return prev;
  const d = await WebhookDelivery.findById(due._id, { status: 1, nextAttemptAt: 1 }).lean();
  if (!d || d.status === 'delivered' || d.status === 'failed') await WebhookDue.deleteOne({ _id: due._id });
  else if (d.status === 'pending')
    await WebhookDue.updateOne({ _id: due._id }, { $set: { nextAttemptAt: d.nextAttemptAt } });
  return null;
}

/** Event bodies never change: kept briefly, as the same event usually goes to several endpoints at once. */
const eventCache = new BoundedCache<string, { _id: string; body: string }>({ limit: 2000, ttlMs: 60_000 });

async function eventOf(id: string): Promise<{ _id: string; body: string } | null> {
  const hit = eventCache.get(id);
  if (hit) return hit;
  const e = await WebhookEvent.findById(id, { body: 1 }).lean();
  if (e) eventCache.set(id, { _id: e._id, body: e.body });
  return e ? { _id: e._id, body: e.body } : null;
}

async function attempt(d: Delivery, endpoint: EndpointDoc, workerId: string): Promise<void> {
  const event = await eventOf(d.eventId);
  let result: PostResult;
  if (!event) result = { ok: false, error: 'the event is missing', ms: 0 };
  else {
    const headers = signedHeaders(openSecret(endpoint.secretSealed), event._id, event.body);
    result = await postJson(endpoint.url, headers, event.body, config().WEBHOOK_TIMEOUT_MS);
  }
  await record(d, endpoint, workerId, result);
}

async function record(d: Delivery, endpoint: EndpointDoc, workerId: string, r: PostResult): Promise<void> {
  const at = new Date();
  const tries = d.tries + 1;
  const delay = r.ok ? null : retryDelayMs(tries);
  const status = r.ok ? 'delivered' : delay === null ? 'failed' : 'pending';
  const entry = {
    at,
    kind: d.nextKind ?? 'auto',
    ok: r.ok,
    ms: r.ms,
    ...(r.statusCode ? { statusCode: r.statusCode } : {}),
    ...(r.error ? { error: r.error.slice(0, 600) } : {}),
  };
  const marked = await WebhookDelivery.updateOne(
    { _id: d._id, status: 'sending', lockedBy: workerId },
    {
      $set: {
        status,
        tries,
        nextAttemptAt: new Date(at.getTime() + (delay ?? 0)),
        lockedBy: null,
        lockedUntil: null,
        lastStatusCode: r.statusCode ?? null,
        lastError: r.ok ? null : (entry.error ?? null),
        ...(r.ok ? { deliveredAt: at, nextKind: 'auto' } : {}),
      },
      $push: { attempts: entry },
    },
  );
  const log = logger.child({ deliveryId: String(d._id), eventId: d.eventId, endpointId: String(endpoint._id) });
  if (marked.matchedCount !== 1) log.warn('webhook attempt finished after its lease was taken over');
  else if (status === 'pending')
    await WebhookDue.updateOne({ _id: d._id }, { $set: { nextAttemptAt: new Date(at.getTime() + (delay ?? 0)) } });
  else await WebhookDue.deleteOne({ _id: d._id });
  // Only an endpoint marked failing needs the write that clears the mark.
  if (r.ok) {
    if (endpoint.failingSince) await endpointSucceeded(endpoint._id);
  } else {
    log.warn({ error: r.error, tries, final: status === 'failed' }, 'webhook delivery failed');
    await endpointFailed(endpoint as EndpointDoc & { _id: Types.ObjectId }, at);
  }
}
