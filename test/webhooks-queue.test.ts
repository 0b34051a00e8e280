import { Types } from 'mongoose';
import { claimAll } from '../server/webhooks/claim';
import { config, setConfig } from '../server/platform/config';
import { WebhookDelivery, WebhookEndpoint, WebhookMark, WebhookQueue } from '../server/webhooks/model';
import { publishEvents, type EventToPublish } from '../server/webhooks/publish';
import {
  bucketOf,
  BUCKET_MS,
  enqueue,
  forgetQueueMark,
  purgeSealedBuckets,
  queueMark,
  readWindow,
  sealBucket,
} from '../server/webhooks/queue';
import { newSecret, sealSecret } from '../server/webhooks/secrets';
import { Sender } from '../server/webhooks/sender';
import { forgetFollowHints, followVisitChanges } from '../server/webhooks/follow';
import { noteChange, VisitChange } from '../server/visits/changes';
import { startTestApp, stopTestApp } from './helpers/app';
import { until } from './helpers/faults';
import { hookReceiver, type HookReceiver } from './helpers/hook-receiver';

/**
 * The sending queue in one-second buckets read by exact id (queue.ts), on the real embedded database:
 * appends never land behind the mark, two senders side by side send each delivery once and each
 * visit's events in order (also across retries), and what a crash leaves is sent after all.
 */
jest.setTimeout(120_000);

let hook: HookReceiver;
const bankId = new Types.ObjectId();
let endpointId: Types.ObjectId;

beforeAll(async () => {
  setConfig({ ...config(), WEBHOOK_RETRY_SCHEDULE: '0.3,0.6,1.2,2.4', WEBHOOK_TIMEOUT_MS: 2000 });
  await startTestApp();
  hook = await hookReceiver();
  const e = await WebhookEndpoint.create({
    url: hook.url,
    bankId,
    events: ['visit.approved', 'visit.disputed', 'dispute.resolved'],
    secretSealed: sealSecret(newSecret()),
    createdBy: new Types.ObjectId(),
  });
  endpointId = e._id;
});
afterAll(async () => {
  await hook.close();
  await stopTestApp();
});

const TYPES = ['visit.approved', 'visit.disputed', 'dispute.resolved'] as const;

/** `n` events of one visit, in order, each naming those before it (as the follower does). */
function visitEvents(visit: string, n: number): EventToPublish[] {
  const all = Array.from({ length: n }, (_, i) => ({ id: `evt_${visit}_${i}`, type: TYPES[i % 3] }));
  return all.map((x, i) => ({
    ...x,
    bankId: String(bankId),
    orderKey: visit,
    position: i,
    at: new Date(),
    data: { visitId: visit, n: i } as never,
    before: all.slice(0, i),
  }));
}

const received = (prefix: string) =>
  hook.accepted().filter((r) => String(r.headers['webhook-id']).startsWith(`evt_${prefix}`));

async function runSenders(senders: Sender[], done: () => boolean): Promise<void> {
  let stop = false;
  const loops = senders.map(async (s) => {
    while (!stop) if (!(await s.step())) await new Promise((r) => setTimeout(r, 50));
  });
  try {
    await until('every delivery received', done, 60_000);
  } finally {
    stop = true;
    await Promise.all(loops);
    await Promise.all(senders.map((s) => s.settle()));
  }
}

test('an append to a sealed bucket goes to the next open one; absent past buckets are sealed on reading', async () => {
  forgetQueueMark();
  const mark = await queueMark();
  const at = new Date();
  const [first] = await enqueue([{ d: 'dlv_x_1', e: String(endpointId), k: 'k', p: 0 }], at);
  const doc = await WebhookQueue.findById(`b${bucketOf(at)}`).lean();
  expect(doc?.entries.map((e) => e.t)).toEqual([first.t]);
  expect(await sealBucket({ index: bucketOf(at), rev: doc?.rev ?? -1 })).toBe(true);
  // Sealed: a second append for the same second is refused there and lands in the next one.
  const [second] = await enqueue([{ d: 'dlv_x_2', e: String(endpointId), k: 'k', p: 1 }], at);
  expect((await WebhookQueue.findById(`b${bucketOf(at)}`).lean())?.entries).toEqual([]);
  expect((await WebhookQueue.findById(`b${bucketOf(at) + 1}`).lean())?.entries.map((e) => e.t)).toEqual([second.t]);
  // Reading a window seals the absent past buckets (an append there is refused) and returns the live ones.
  const later = new Date(at.getTime() + 3 * BUCKET_MS);
  const { live } = await readWindow(later, 1000);
  expect(live.map((b) => b.index)).toContain(bucketOf(at) + 1);
  expect(live.map((b) => b.index)).not.toContain(bucketOf(at));
  expect((await WebhookQueue.findById(`b${mark}`).lean())?.sealed).toBe(true);
  expect((await WebhookQueue.findById(`b${bucketOf(at) + 2}`).lean())?.sealed).toBe(true);
  // Stale pointers for deliveries that do not exist: dropped by the next sender step, the buckets sealed.
  await until('the stale entries dropped and their buckets sealed', async () => {
    await new Sender('cleaner').step();
    return (await WebhookQueue.findById(`b${bucketOf(at) + 1}`).lean())?.sealed === true;
  });
  expect(bucketOf((await WebhookMark.findById('sending-queue').lean())?.at ?? 0)).toBeGreaterThan(bucketOf(at) + 1);
});

test('two senders at once: every delivery sent once, each visit in order, also when early ones are retried', async () => {
  const visits = Array.from({ length: 8 }, (_, i) => `q${i}`);
  // The first attempt of each visit's first event fails: the events after it must wait for its retry.
  const failedOnce = new Set<string>();
  hook.answer = (r) => {
    const id = String(r.headers['webhook-id']);
    if (id.endsWith('_0') && !failedOnce.has(id)) {
      failedOnce.add(id);
      return { status: 500 };
    }
    return { status: 204 };
  };
  const queued = await Promise.all(visits.map((v) => publishEvents(visitEvents(v, 6))));
  expect(queued.reduce((s, n) => s + n, 0)).toBe(48);
  await runSenders([new Sender('one'), new Sender('two')], () => received('q').length >= 48);
  await new Promise((r) => setTimeout(r, 500));
  const ids = received('q').map((r) => String(r.headers['webhook-id']));
  expect(ids).toHaveLength(48);
  expect(new Set(ids).size).toBe(48);
  expect(failedOnce.size).toBe(8);
  for (const v of visits) {
    const order = ids.filter((id) => id.startsWith(`evt_${v}_`)).map((id) => Number(id.split('_')[2]));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  }
  const rows = await WebhookDelivery.find({ orderKey: { $in: visits } }, { status: 1, tries: 1 }).lean();
  expect(rows.every((d) => d.status === 'delivered')).toBe(true);
  expect(rows.filter((d) => d.tries === 2)).toHaveLength(8);
  hook.answer = () => ({ status: 204 });
});

test('a crash before the queue entries were written: publishing again queues the open deliveries', async () => {
  const events = visitEvents('c1', 2);
  await publishEvents(events);
  // As if the process died after inserting the deliveries, before its append: the entries are gone.
  await WebhookQueue.updateMany({}, { $set: { entries: [] } });
  await new Sender('before-replay').step();
  expect(received('c1')).toHaveLength(0);
  await publishEvents(events); // the follower derives the same events again
  await runSenders([new Sender('after-replay')], () => received('c1').length >= 2);
  expect(received('c1').map((r) => r.headers['webhook-id'])).toEqual(['evt_c1_0', 'evt_c1_1']);
});

test('the follower reads the notes of changes made here by id, and finds those of other instances by its search', async () => {
  forgetFollowHints();
  const pendingFor = async (id: Types.ObjectId) => (await VisitChange.findById(id).lean())?.pending ?? [];
  const elsewhere = () => ({
    _id: new Types.ObjectId(),
    bankId,
    at: new Date(),
    token: 'x',
    rev: 0,
    pending: ['events'],
  });
  // A fresh process: its first round searches, and finds a note another instance wrote.
  const first = elsewhere();
  await VisitChange.collection.insertOne(first);
  expect(await followVisitChanges()).toBe(1);
  expect(await pendingFor(first._id)).not.toContain('events');
  // Right after: a change noted here is followed through its hint; another instance's note waits for the search.
  const here = new Types.ObjectId();
  await noteChange({ _id: here, bankId, rev: 0 });
  const second = elsewhere();
  await VisitChange.collection.insertOne(second);
  expect(await followVisitChanges()).toBe(1);
  expect(await pendingFor(here)).not.toContain('events');
  expect(await pendingFor(second._id)).toContain('events');
  // Without hints (as after a restart) the search runs and finds it.
  forgetFollowHints();
  expect(await followVisitChanges()).toBe(1);
  expect(await pendingFor(second._id)).not.toContain('events');
});

test('sealed buckets more than a day behind the mark are removed by id; a bucket not sealed stays', async () => {
  const limit = (await queueMark(true)) - 86400;
  const from = limit - 700;
  await WebhookMark.updateOne(
    { _id: 'sending-queue-purged' },
    { $set: { at: new Date(from * BUCKET_MS) } },
    { upsert: true },
  );
  await WebhookQueue.collection.insertMany(
    Array.from({ length: 700 }, (_, i) => ({ _id: `b${from + i}` as never, rev: 0, sealed: i !== 695, entries: [] })),
  );
  expect(await purgeSealedBuckets()).toBe(699);
  expect(await WebhookQueue.findById(`b${from + 695}`).lean()).toBeTruthy();
  expect(await WebhookQueue.findById(`b${from + 10}`).lean()).toBeNull();
  expect(bucketOf((await WebhookMark.findById('sending-queue-purged').lean())?.at ?? 0)).toBe(limit);
  expect(await purgeSealedBuckets()).toBe(0);
});

test('a sender that died after claiming: the delivery is taken over when its lease ends, same webhook-id, once', async () => {
  // Buckets are a second long: on a busy machine publishing can end in a later one than it began.
  const from = bucketOf(new Date());
  await publishEvents(visitEvents('dead', 1));
  const to = bucketOf(new Date());
  const buckets = await WebhookQueue.find({
    _id: { $in: Array.from({ length: to - from + 1 }, (_, i) => `b${from + i}`) },
  }).lean();
  const entry = buckets.flatMap((b) => b.entries).find((e) => e.d.endsWith('evt_dead_0'));
  expect(entry).toBeTruthy();
  // The dead sender's claim, and nothing after it.
  const { taken, lease } = await claimAll([entry as never], 'dead-worker', new Date());
  expect(taken).toHaveLength(1);
  // Another sender finds it leased: the entry moves to the lease's end, and nothing is sent now.
  const alive = new Sender('alive');
  await alive.step();
  await alive.step(new Date(Date.now() + 1500));
  expect(received('dead')).toHaveLength(0);
  const atLease = await WebhookQueue.findById(`b${bucketOf(lease)}`).lean();
  expect(atLease?.entries.some((e) => e.d === entry?.d)).toBe(true);
  // When the lease has run out (the sender's clock moved past it), it is sent.
  await alive.step(new Date(lease.getTime() + BUCKET_MS));
  await alive.settle();
  await until('sent after the lease', () => received('dead').length >= 1, 60_000);
  expect(received('dead').map((r) => r.headers['webhook-id'])).toEqual(['evt_dead_0']);
  const d = await WebhookDelivery.findById(entry?.d).lean();
  expect(d).toMatchObject({ status: 'delivered', lockedBy: null });
});

test('a read stops once it has found enough entries its reader has not dealt with (an hour ahead: last here)', async () => {
  const t0 = Date.now() + 3600_000;
  for (let i = 0; i < 10; i++)
    await enqueue([{ d: `dlv_r_${i}`, e: String(endpointId), k: 'r', p: i }], new Date(t0 + i * BUCKET_MS));
  const now = new Date(t0 + 10 * BUCKET_MS);
  const ours = (w: { live: { index: number }[] }) => w.live.filter((b) => b.index >= bucketOf(t0)).length;
  // Every entry counts: the first eight buckets (read together) hold enough.
  expect(ours(await readWindow(now, 4, (e) => e.k === 'r'))).toBe(8);
  // Entries dealt with (the first five) do not count: the read goes on to the last two.
  expect(ours(await readWindow(now, 4, (e) => e.k === 'r' && Number(e.d.split('_')[2]) >= 5))).toBe(10);
});
