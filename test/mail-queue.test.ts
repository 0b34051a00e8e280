import { Types } from 'mongoose';
import { Delivery, MailQueue } from '../server/platform/mail/model';
import { queueDeliveries, type MailComposer } from '../server/platform/mail/outbox';
import { moveEntry, repairQueue } from '../server/platform/mail/queue';
import { laneRunner } from '../server/platform/mail/sender';
import { startTestApp, stopTestApp } from './helpers/app';
import { until } from './helpers/faults';

/**
 * The outbox's due lists (server/platform/mail/queue.ts) against the real database: what a crash can
 * leave (a delivery without its entry, an entry behind its delivery) is put right, and an entry never
 * makes a delivery go twice or later than its owner decided.
 */
let composed = 0;
const counting: MailComposer = async () => {
  composed += 1;
  throw new Error('not expected to compose anything here');
};
const subject = (lane: 'urgent' | 'bulk' = 'urgent') => ({
  kind: 'alert',
  id: new Types.ObjectId(),
  bankId: new Types.ObjectId(),
  lane,
});

beforeAll(async () => {
  await startTestApp();
});

afterAll(async () => {
  await stopTestApp();
});

beforeEach(async () => {
  await Promise.all([Delivery.deleteMany({}), MailQueue.urgent.deleteMany({}), MailQueue.bulk.deleteMany({})]);
  composed = 0;
});

test('queueing puts each delivery on its lane; the same queueing again adds nothing', async () => {
  const s = subject();
  await queueDeliveries(s, ['A@x.example', 'a@x.example ', 'b@x.example']);
  await queueDeliveries({ ...subject('bulk'), kind: 'report' }, ['c@x.example']);
  const urgent = await Delivery.find({ lane: 'urgent' }).lean();
  expect(urgent.map((d) => d.recipient).sort()).toEqual(['a@x.example', 'b@x.example']);
  expect((await MailQueue.urgent.find().lean()).map((e) => String(e._id)).sort()).toEqual(
    urgent.map((d) => String(d._id)).sort(),
  );
  expect(await MailQueue.bulk.countDocuments()).toBe(1);
  await queueDeliveries(s, ['a@x.example']);
  expect(await Delivery.countDocuments()).toBe(3);
  expect(await MailQueue.urgent.countDocuments()).toBe(2);
});

test('a replayed queueing gives back the entry a crash lost, but only to a delivery still outstanding', async () => {
  const s = subject();
  await queueDeliveries(s, ['a@x.example', 'b@x.example']);
  const [a, b] = await Delivery.find().sort({ recipient: 1 }).lean();
  await Delivery.updateOne({ _id: b._id }, { $set: { status: 'sent' } });
  await MailQueue.urgent.deleteMany({});
  await queueDeliveries(s, ['a@x.example', 'b@x.example']);
  expect((await MailQueue.urgent.find().lean()).map((e) => String(e._id))).toEqual([String(a._id)]);
});

test('the repair sweep gives outstanding deliveries without an entry one, on their lane, due when they are', async () => {
  await queueDeliveries(subject(), ['a@x.example', 'b@x.example', 'c@x.example']);
  const [a, b, c] = await Delivery.find().sort({ recipient: 1 }).lean();
  const lease = new Date(Date.now() + 60_000);
  await Delivery.updateOne({ _id: b._id }, { $set: { status: 'sending', lockedBy: 'dead', lockedUntil: lease } });
  await Delivery.updateOne({ _id: c._id }, { $set: { status: 'sent' } });
  await MailQueue.urgent.deleteMany({});
  expect(await repairQueue('bulk')).toBe(0);
  expect(await repairQueue('urgent')).toBe(2);
  const entries = await MailQueue.urgent.find().sort({ due: 1 }).lean();
  expect(entries.map((e) => String(e._id))).toEqual([String(a._id), String(b._id)]);
  expect(entries[1].due.getTime()).toBe(lease.getTime());
  expect(await repairQueue('urgent')).toBe(0);
});

test("an entry whose delivery another worker holds waits till the lease's end, and nothing is sent", async () => {
  await queueDeliveries(subject(), ['a@x.example']);
  const d = await Delivery.findOne().lean();
  const lease = new Date(Date.now() + 60_000);
  await Delivery.updateOne({ _id: d?._id }, { $set: { status: 'sending', lockedBy: 'other', lockedUntil: lease } });
  const runner = laneRunner('urgent', 'me', { alert: counting }, { mailSweepMs: 3600_000 });
  expect(await runner.step()).toBe(false);
  await runner.drain();
  expect(composed).toBe(0);
  expect((await MailQueue.urgent.findById(d?._id).lean())?.due.getTime()).toBe(lease.getTime());
  expect((await Delivery.findById(d?._id).lean())?.lockedBy).toBe('other');
});

test('a worker that found the delivery leased does not push back the retry time its owner wrote meanwhile', async () => {
  await queueDeliveries(subject(), ['a@x.example']);
  const entry = (await MailQueue.urgent.findOne().lean())!;
  const retryAt = new Date(Date.now() + 5_000);
  await moveEntry('urgent', entry, retryAt); // the owner: failed, retry in 5 s
  await moveEntry('urgent', entry, new Date(Date.now() + 300_000), entry.due); // the other, from its old read
  expect((await MailQueue.urgent.findById(entry._id).lean())?.due.getTime()).toBe(retryAt.getTime());
});

test('while the urgent lane is sending, the bulk lane sends one e-mail at a time; alone, as many as configured', async () => {
  // Each send is held until the test releases it, so that what is counted as sending is still sending
  // (released sends fail at once and go back to pending, which a count read afterwards could catch).
  let release: () => void = () => undefined;
  let gate = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  const blocking: MailComposer = async (d) => {
    started.push(d.kind);
    await gate;
    throw new Error('held for the test');
  };
  const composers = { alert: blocking, report: blocking };
  const options = { mailSweepMs: 3600_000, sendConcurrency: 3, mailRetryMs: 3600_000 };
  await queueDeliveries({ ...subject('bulk'), kind: 'report' }, ['r1@x.example', 'r2@x.example', 'r3@x.example']);
  await queueDeliveries(subject(), ['a@x.example']);
  const urgent = laneRunner('urgent', 'w', composers, options);
  const bulk = laneRunner('bulk', 'w', composers, options, urgent);
  expect(await urgent.step()).toBe(true);
  expect(urgent.busy()).toBe(true);
  expect(await bulk.step()).toBe(true);
  await until('the sends started', () => started.length === 2);
  expect(await Delivery.countDocuments({ lane: 'bulk', status: 'sending' })).toBe(1);
  release();
  await Promise.all([urgent.drain(), bulk.drain()]);

  // Alone (nothing urgent), the bulk lane takes as many as configured.
  await Delivery.updateMany({}, { $set: { status: 'pending', nextAttemptAt: new Date() } });
  const fresh = await Delivery.find({ lane: 'bulk' }).lean();
  for (const d of fresh) await MailQueue.bulk.updateOne({ _id: d._id }, { $set: { due: new Date() } });
  gate = new Promise<void>((r) => (release = r));
  const alone = laneRunner('bulk', 'w2', composers, options, laneRunner('urgent', 'w2', composers, options));
  expect(await alone.step()).toBe(true);
  expect(await Delivery.countDocuments({ lane: 'bulk', status: 'sending' })).toBe(3);
  release();
  await alone.drain();
});
