import { Types } from 'mongoose';
import { Dispute } from '../server/disputes/model';
import { noteOverturns } from '../server/publishing/jobs';
import { startTestApp, stopTestApp } from './helpers/app';

/**
 * Every overturn tells publishing at once, and each telling reads every overturn not yet noted: under
 * a burst (the webhook benchmark overturns a few a second) calls side by side went over the same list
 * again and again. Calls while a run is on its way now share one run after it.
 */
beforeAll(async () => {
  await startTestApp();
});
afterAll(async () => {
  await stopTestApp();
});

test('calls side by side note each overturn once between them, and a later call still sees new ones', async () => {
  const overturned = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      _id: new Types.ObjectId(),
      bankId: new Types.ObjectId(),
      quarter: '2026-Q3',
      visitId: new Types.ObjectId(),
      branchCode: `B${i}`,
      region: 'North',
      itemKey: 'c1',
      status: 'overturned',
      overturnNoted: false,
      overturnedAt: new Date(Date.now() - 1000 + i),
    }));
  await Dispute.collection.insertMany(overturned(12));
  const results = await Promise.all(Array.from({ length: 8 }, () => noteOverturns()));
  expect(results.reduce((s, r) => s + r.noted, 0)).toBe(12);
  expect(results[0].noted).toBe(12);
  expect(await Dispute.countDocuments({ overturnNoted: false })).toBe(0);

  await Dispute.collection.insertMany(overturned(3));
  expect((await noteOverturns()).noted).toBe(3);
});
