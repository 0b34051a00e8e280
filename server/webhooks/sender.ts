import type { mongo } from 'mongoose';
import { BoundedCache } from '../platform/cache';
import { config } from '../platform/config';
import { logger } from '../platform/logger';
import { recordAttempt, type Claimed } from './attempt-record';
import { eventBody } from './event-bodies';
import { postJson, type PostResult } from './http-post';
import { deliveryIdOf, WebhookDelivery, WebhookDue, WebhookEndpoint, type DueDoc, type EndpointDoc } from './model';
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
/**
 * When each delivery recently finished here. A read of the queue that began before a delivery
 * finished may still return its entry (removed meanwhile); such entries are left out rather than
 * claimed again and found settled, one read each.
 */
const finishedAt = new Map<string, number>();
const FINISHED_KEPT_MS = 60_000;
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
  for (const [id, t] of finishedAt) if (t < now.getTime() - FINISHED_KEPT_MS) finishedAt.delete(id);
  const endpoints = await enabledEndpoints();
  const ready = (await dueInOrder(endpoints, now)).filter(
    (d) => !inFlight.has(String(d._id)) && !((finishedAt.get(String(d._id)) ?? 0) >= now.getTime()),
  );
  const taken: DueDoc[] = [];
  const perEndpoint = new Map(inFlightPerEndpoint);
  for (const d of ready) {
    const key = String(d.endpointId);
    if (inFlight.size + taken.length >= MAX_IN_FLIGHT || (perEndpoint.get(key) ?? 0) >= MAX_PER_ENDPOINT) continue;
    perEndpoint.set(key, (perEndpoint.get(key) ?? 0) + 1);
    taken.push(d);
  }
  if (!taken.length) return inFlight.size > 0 && ready.length > 0;
  // Claimed together (a delivery another worker claimed first is simply left), then sent concurrently.
  const claimed = await claimAll(taken, workerId, now);
  const started: Promise<void>[] = [];
  for (const d of claimed) {
    const endpointKey = String(d.endpointId);
    const endpoint = endpoints.get(endpointKey) as EndpointDoc;
    const id = String(d._id);
    inFlightPerEndpoint.set(endpointKey, (inFlightPerEndpoint.get(endpointKey) ?? 0) + 1);
    const run = attempt(d, endpoint, workerId)
      .catch((e: unknown) => logger.error({ err: e, deliveryId: id }, 'webhook delivery step failed'))
      .finally(() => {
        finishedAt.set(id, Date.now());
        inFlight.delete(id);
        inFlightPerEndpoint.set(endpointKey, (inFlightPerEndpoint.get(endpointKey) ?? 1) - 1);
      });
    inFlight.set(id, run);
    started.push(run);
  }
  if (!started.length) return true;
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
 * Takes the deliveries for this worker (each pending and due, or left `sending` by a worker whose
 * lease ran out), in one bulk of conditional updates by exact id; returns those taken. Where not all
 * were taken (another worker, or a delivery finished meanwhile), each is read to tell, and the queue
 * entry of one not to be sent now is brought in line with its delivery.
 */
async function claimAll(dues: DueDoc[], workerId: string, now: Date): Promise<Claimed[]> {
  const lease = new Date(now.getTime() + leaseMs());
  const deliveries = WebhookDelivery.collection as unknown as mongo.Collection<{ _id: string }>;
  const r = await deliveries.bulkWrite(
    dues.map((due) => ({
      updateOne: {
        filter: {
          _id: due._id,
          $or: [
            { status: 'pending', nextAttemptAt: { $lte: now } },
            { status: 'sending', lockedUntil: { $lte: now } },
          ],
        },
        update: { $set: { status: 'sending', lockedBy: workerId, lockedUntil: lease } },
      },
    })),
    { ordered: false },
  );
  const taken = r.matchedCount === dues.length ? dues : await takenOrSettled(dues, workerId, lease);
  return taken.map((due) => ({
    _id: due._id,
    endpointId: due.endpointId,
    eventId: due._id.slice(deliveryIdOf(due.endpointId, '').length),
    kind: due.kind === 'redeliver' ? 'redeliver' : 'auto',
  }));
}

async function takenOrSettled(dues: DueDoc[], workerId: string, lease: Date): Promise<DueDoc[]> {
  const taken: DueDoc[] = [];
  for (const due of dues) {
    const d = await WebhookDelivery.findById(due._id, {
      status: 1,
      nextAttemptAt: 1,
      lockedBy: 1,
      lockedUntil: 1,
    }).lean();
    if (d?.status === 'sending' && d.lockedBy === workerId && d.lockedUntil?.getTime() === lease.getTime())
      taken.push(due);
    else if (!d || d.status === 'delivered' || d.status === 'failed') await WebhookDue.deleteOne({ _id: due._id });
    else if (d.status === 'pending')
      await WebhookDue.updateOne({ _id: due._id }, { $set: { nextAttemptAt: d.nextAttemptAt } });
  }
  return taken;
}

async function attempt(d: Claimed, endpoint: EndpointDoc, workerId: string): Promise<void> {
  const event = await eventBody(d.eventId);
  let result: PostResult;
  if (!event) result = { ok: false, error: 'the event is missing', ms: 0 };
  else {
    const headers = signedHeaders(openSecret(endpoint.secretSealed), event._id, event.body);
    result = await postJson(endpoint.url, headers, event.body, config().WEBHOOK_TIMEOUT_MS);
  }
  await recordAttempt(d, endpoint, workerId, result);
}
