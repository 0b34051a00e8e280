import { BoundedCache } from '../platform/cache';
import { config } from '../platform/config';
import { logger } from '../platform/logger';
import { recordAttempt, type AttemptOutcome } from './attempt-record';
import { claimAll, predecessorStates, type NotTaken } from './claim';
import { eventBody } from './event-bodies';
import { postJson, type PostResult } from './http-post';
import { deliveryIdOf, WebhookEndpoint, type EndpointDoc } from './model';
import { advanceMark, bucketOf, bucketStart, enqueue, readWindow, sealBucket, type Entry } from './queue';
import { planEntries, sealable, type EndpointState, type Planned } from './queue-plan';
import { openSecret, signedHeaders } from './secrets';

/**
 * Sending the queued deliveries. Each step reads the sending queue's buckets due by now (queue.ts:
 * exact-id reads from the mark on, never a scan), plans each entry (queue-plan.ts), claims the free
 * ones under a lease in one bulk (claim.ts), sends them concurrently, moves entries due later to their
 * bucket and seals the past buckets nothing has to stay in. A process killed mid-send leaves its
 * deliveries `sending` with their entries in place (or a lease entry): another (or the restarted)
 * worker takes them over when the lease runs out — at least once, with the same webhook-id. A visit's
 * deliveries to one endpoint go in order: one waits while an earlier one is still open (even in
 * backoff). Sends are bounded per process and per endpoint, so a slow target holds only its own.
 *
 * What this process remembers (entries it dealt with, attempts that ended here, predecessors seen
 * settled) only saves reads: another process without it reads the deliveries and decides the same.
 */
const BATCH = 200;
const MAX_IN_FLIGHT = 64;
const MAX_PER_ENDPOINT = 16;
/** How long a step waits for its sends before claiming more (slow targets keep sending meanwhile). */
const STEP_WAIT_MS = 250;
/** Entries of a disabled endpoint are looked at again after this long (enabling queues them at once). */
const PARK_MS = 10 * 60_000;
/** A past bucket with sends still on their way is sealed (their lease entries written) only this far back. */
const SEAL_FLYING_AFTER_BUCKETS = 5;
/** How long this process remembers what it settled (longer than a lease: entries outlive their sends). */
const KEPT_MS = 10 * 60_000;

const endpointCache = new BoundedCache<'all', Map<string, EndpointDoc>>({ limit: 1, ttlMs: 2000 });
export function forgetSenderEndpoint(): void {
  endpointCache.clear();
}

/** Every endpoint (a handful), kept briefly: the instance that changes one forgets at once. */
async function endpoints(): Promise<Map<string, EndpointDoc>> {
  const hit = endpointCache.get('all');
  if (hit) return hit;
  const rows = await WebhookEndpoint.find({}).lean<EndpointDoc[]>();
  const all = new Map(rows.map((r) => [String(r._id), r]));
  endpointCache.set('all', all);
  return all;
}

function stateOf(e: EndpointDoc | undefined): EndpointState {
  if (!e || e.deletedAt) return 'gone';
  return e.status === 'enabled' ? 'enabled' : 'disabled';
}

type Move = { p: Planned; at: Date };
type Flying = { run: Promise<void>; lease: Date; entry: Entry };

/**
 * One sender: what it remembers is its own (a second sender in the same process behaves as another
 * instance would; the app runs one, the tests run two at once).
 */
export class Sender {
  private readonly inFlight = new Map<string, Flying>();
  private readonly inFlightPerEndpoint = new Map<string, number>();
  /** Entries this sender moved on or dropped (by token). */
  private readonly dealtWith = new Map<string, number>();
  /** When an attempt of each delivery last ended here: entries written before it are superseded. */
  private readonly attemptEnded = new Map<string, number>();
  /** Deliveries seen settled for good (delivered or given up): their successors need not read them. */
  private readonly settledForGood = new Map<string, number>();

  constructor(private readonly workerId: string) {}

  private forgetOld(now: number): void {
    for (const m of [this.dealtWith, this.attemptEnded, this.settledForGood])
      for (const [k, t] of m) if (t < now - KEPT_MS) m.delete(k);
  }

  /** One step of the sending loop; true when it found work (the loop then goes on at once). */
  async step(now = new Date()): Promise<boolean> {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      await this.someSendOrPause();
      return true;
    }
    this.forgetOld(now.getTime());
    const settled = (e: Entry) => this.dealtWith.has(e.t) || (this.attemptEnded.get(e.d) ?? 0) > e.c;
    // Entries dealt with stay in their bucket until it is sealed: they do not count toward a read's batch.
    const [{ live, examinedTo }, known] = await Promise.all([readWindow(now, BATCH, (e) => !settled(e)), endpoints()]);
    const planned = planEntries(live, {
      settled,
      flying: (d) => this.inFlight.has(d),
      endpoint: (id) => stateOf(known.get(id)),
    });
    const moves: Move[] = [];
    for (const p of planned) if (p.decision === 'park') moves.push({ p, at: new Date(now.getTime() + PARK_MS) });
    await this.checkPredecessors(planned, now, moves);
    const started = await this.claimAndSend(planned, known, now, moves);
    await this.moveEntries(moves, now);
    for (const p of planned) if (p.decision === 'drop') this.dealtWith.set(p.entry.t, now.getTime());
    const nowBucket = bucketOf(now);
    const sealed = await this.sealPast(planned, live, nowBucket);
    const stillLive = live.filter((b) => !sealed.has(b.index)).map((b) => b.index);
    await advanceMark(Math.min(examinedTo, nowBucket, ...stillLive));
    // Entries waiting behind sends of this sender go on as soon as one ends (or a little later).
    const waiting = this.inFlight.size > 0 && planned.some((p) => p.decision === 'wait');
    if (started.length || waiting) await this.someSendOrPause();
    return started.length > 0 || moves.length > 0 || sealed.size > 0 || waiting;
  }

  private someSendOrPause(): Promise<unknown> {
    return Promise.race([...[...this.inFlight.values()].map((f) => f.run), sleep(STEP_WAIT_MS)]);
  }

  /** Each candidate whose predecessor is not in this read: free once it is settled, else waits or moves. */
  private async checkPredecessors(planned: Planned[], now: Date, moves: Move[]): Promise<void> {
    const checks = planned.filter((p) => p.decision === 'check');
    const unknown = [...new Set(checks.map((p) => p.entry.a as string))].filter((a) => !this.settledForGood.has(a));
    const states = unknown.length ? await predecessorStates(unknown, now) : new Map<string, NotTaken>();
    for (const p of checks) {
      const s = states.get(p.entry.a as string) ?? ({ kind: 'drop' } as const);
      if (s.kind === 'drop') {
        this.settledForGood.set(p.entry.a as string, now.getTime());
        p.decision = 'free';
      } else if (s.kind === 'later' && bucketOf(s.at) > bucketOf(now)) {
        p.decision = 'moved';
        moves.push({ p, at: s.at });
      } else p.decision = 'wait';
    }
  }

  /** Claims the free entries within the limits, starts their sends, and sorts out those not taken. */
  private async claimAndSend(
    planned: Planned[],
    known: Map<string, EndpointDoc>,
    now: Date,
    moves: Move[],
  ): Promise<Promise<void>[]> {
    const perEndpoint = new Map(this.inFlightPerEndpoint);
    const chosen: Planned[] = [];
    for (const p of planned) {
      if (p.decision !== 'free') continue;
      const full = this.inFlight.size + chosen.length >= MAX_IN_FLIGHT;
      if (full || (perEndpoint.get(p.entry.e) ?? 0) >= MAX_PER_ENDPOINT) {
        p.decision = 'wait';
        continue;
      }
      perEndpoint.set(p.entry.e, (perEndpoint.get(p.entry.e) ?? 0) + 1);
      chosen.push(p);
    }
    if (!chosen.length) return [];
    // Claimed as of now, not the step's start: a delivery queued while the buckets were read is due too.
    const claimAt = new Date(Math.max(Date.now(), now.getTime()));
    const { taken, lease, others } = await claimAll(
      chosen.map((p) => p.entry),
      this.workerId,
      claimAt,
    );
    const takenTokens = new Set(taken.map((e) => e.t));
    const started: Promise<void>[] = [];
    for (const p of chosen) {
      if (takenTokens.has(p.entry.t)) {
        p.decision = 'flying';
        started.push(this.startSend(p.entry, known.get(p.entry.e) as EndpointDoc, lease));
        continue;
      }
      const n = others.get(p.entry.t) ?? { kind: 'stay' };
      if (n.kind === 'drop') p.decision = 'drop';
      else if (n.kind === 'later' && bucketOf(n.at) > bucketOf(claimAt)) {
        p.decision = 'moved';
        moves.push({ p, at: n.at });
      } else p.decision = 'wait';
    }
    return started;
  }

  private startSend(entry: Entry, endpoint: EndpointDoc, lease: Date): Promise<void> {
    const id = entry.d;
    this.inFlightPerEndpoint.set(entry.e, (this.inFlightPerEndpoint.get(entry.e) ?? 0) + 1);
    const run = attempt(entry, endpoint, this.workerId)
      .then((outcome) => {
        this.attemptEnded.set(id, outcome.endedAt);
        if (outcome.status === 'delivered' || outcome.status === 'failed') this.settledForGood.set(id, outcome.endedAt);
      })
      .catch((e: unknown) => logger.error({ err: e, deliveryId: id }, 'webhook delivery step failed'))
      .finally(() => {
        this.inFlight.delete(id);
        this.inFlightPerEndpoint.set(entry.e, (this.inFlightPerEndpoint.get(entry.e) ?? 1) - 1);
      });
    this.inFlight.set(id, { run, lease, entry });
    return run;
  }

  /** Writes the moved entries to their buckets (one append per bucket), then counts the old ones dealt with. */
  private async moveEntries(moves: Move[], now: Date): Promise<void> {
    const byBucket = new Map<number, Move[]>();
    for (const m of moves) byBucket.set(bucketOf(m.at), [...(byBucket.get(bucketOf(m.at)) ?? []), m]);
    for (const [index, list] of byBucket) {
      await enqueue(
        list.map(({ p }) => withoutToken(p.entry)),
        bucketStart(index),
      );
      for (const { p } of list) {
        p.decision = 'moved';
        this.dealtWith.set(p.entry.t, now.getTime());
      }
    }
  }

  /**
   * Seals each past bucket nothing has to stay in. Entries of sends still on their way get an entry at
   * their lease's end first (a crash then leaves them found there, not lost behind the mark).
   */
  private async sealPast(planned: Planned[], live: { index: number; rev: number }[], nowBucket: number) {
    const sealed = new Set<number>();
    for (const b of live) {
      if (b.index >= nowBucket || !sealable(planned, b.index)) continue;
      const flying = planned.filter((p) => p.bucket === b.index && p.decision === 'flying');
      // Most sends end within a second or two: waiting for them saves the lease entries' write.
      if (flying.length && b.index > nowBucket - SEAL_FLYING_AFTER_BUCKETS) continue;
      const held = flying.map((p) => this.inFlight.get(p.entry.d)).filter((f) => f !== undefined);
      if (held.length !== flying.length) continue; // finished meanwhile: looked at again next step
      const byLease = new Map<number, Entry[]>();
      for (const f of held) byLease.set(bucketOf(f.lease), [...(byLease.get(bucketOf(f.lease)) ?? []), f.entry]);
      for (const [index, list] of byLease) await enqueue(list.map(withoutToken), bucketStart(index));
      if (await sealBucket(b)) sealed.add(b.index);
    }
    return sealed;
  }

  /** Waits for every send this sender has started (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight.values()].map((f) => f.run));
  }
}

const withoutToken = ({ d, e, k, p, a, r }: Entry) => ({ d, e, k, p, ...(a ? { a } : {}), ...(r ? { r } : {}) });

/** The senders of this process, one per worker id (the app runs one). */
const senders = new Map<string, Sender>();

/** One step of the sending loop of worker `workerId`; true when it found work. */
export function sendDueDeliveries(workerId: string): Promise<boolean> {
  let sender = senders.get(workerId);
  if (!sender) {
    sender = new Sender(workerId);
    senders.set(workerId, sender);
  }
  return sender.step();
}

/** Waits for every send this process has started (tests, shutdown). */
export async function settleInFlight(): Promise<void> {
  await Promise.all([...senders.values()].map((s) => s.settle()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function attempt(entry: Entry, endpoint: EndpointDoc, workerId: string): Promise<AttemptOutcome> {
  const eventId = entry.d.slice(deliveryIdOf(entry.e, '').length);
  const event = await eventBody(eventId);
  let result: PostResult;
  if (!event) result = { ok: false, error: 'the event is missing', ms: 0 };
  else {
    const headers = signedHeaders(openSecret(endpoint.secretSealed), event._id, event.body);
    result = await postJson(endpoint.url, headers, event.body, config().WEBHOOK_TIMEOUT_MS);
  }
  return recordAttempt(
    { _id: entry.d, eventId, kind: entry.r === 1 ? 'redeliver' : 'auto', entry: withoutToken(entry) },
    endpoint,
    workerId,
    result,
  );
}
