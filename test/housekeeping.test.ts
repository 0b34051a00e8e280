import { Types } from 'mongoose';
import { ApiToken } from '../server/users/model';
import { IdempotencyRecord } from '../server/platform/db/idempotency';
import { RateCounter } from '../server/platform/http/rate-limit';
import { SessionRecord } from '../server/platform/db/session-store';
import { purgeExpired, startAppWorkers } from '../server/jobs';
import { VisitWriteClaim, writeClaimId } from '../server/visits/model';
import { startTestApp, stopTestApp } from './helpers/app';

beforeAll(async () => {
  await startTestApp();
});
afterAll(stopTestApp);

const DAY = 86400_000;
const ago = (ms: number) => new Date(Date.now() - ms);

async function seedRecords(): Promise<void> {
  const userId = new Types.ObjectId();
  await SessionRecord.create([
    { _id: 's-old', data: '{}', expiresAt: ago(1000) },
    { _id: 's-live', data: '{}', expiresAt: new Date(Date.now() + DAY) },
  ]);
  await ApiToken.create([
    { tokenHash: 'a'.repeat(64), userId, expiresAt: ago(8 * DAY) },
    { tokenHash: 'b'.repeat(64), userId, expiresAt: ago(2 * DAY) }, // expired, kept a week for questions
    { tokenHash: 'c'.repeat(64), userId, expiresAt: new Date(Date.now() + DAY) },
  ]);
  const old = await IdempotencyRecord.create({
    _id: 'u:old',
    userId: 'u',
    key: 'old',
    method: 'POST',
    path: '/x',
    state: 'done',
    claimedAt: ago(31 * DAY),
  });
  await IdempotencyRecord.collection.updateOne({ _id: old._id } as never, { $set: { createdAt: ago(31 * DAY) } });
  await IdempotencyRecord.create({
    _id: 'u:recent',
    userId: 'u',
    key: 'recent',
    method: 'POST',
    path: '/x',
    state: 'done',
    claimedAt: ago(DAY),
  });
  const visitId = new Types.ObjectId();
  await VisitWriteClaim.create([
    { _id: writeClaimId(visitId, 1), visitId, rev: 1, at: ago(2 * DAY) },
    { _id: writeClaimId(visitId, 2), visitId, rev: 2, at: ago(1000) },
  ]);
  await RateCounter.create([
    { _id: 'k@1', hits: 4, resetAt: ago(1000) },
    { _id: 'k@2', hits: 1, resetAt: new Date(Date.now() + 60_000) },
  ]);
}

test('purges what has run out and keeps the rest', async () => {
  await seedRecords();
  expect(await purgeExpired()).toEqual({
    sessions: 1,
    tokens: 1,
    idempotency: 1,
    writeClaims: 1,
    rateCounters: 1,
    abandonedUploads: 0,
  });
  expect((await SessionRecord.find().lean()).map((s) => s._id)).toEqual(['s-live']);
  expect((await ApiToken.find().lean()).map((t) => t.tokenHash[0]).sort()).toEqual(['b', 'c']);
  expect((await IdempotencyRecord.find().lean()).map((r) => r.key)).toEqual(['recent']);
  expect((await VisitWriteClaim.find().lean()).map((c) => c.rev)).toEqual([2]);
  expect((await RateCounter.find().lean()).map((c) => c._id)).toEqual(['k@2']);
  expect(await purgeExpired()).toEqual({
    sessions: 0,
    tokens: 0,
    idempotency: 0,
    writeClaims: 0,
    rateCounters: 0,
    abandonedUploads: 0,
  });
});

test('the background worker purges on its interval', async () => {
  const visitId = new Types.ObjectId();
  await VisitWriteClaim.create({ _id: writeClaimId(visitId, 1), visitId, rev: 1, at: ago(3 * DAY) });
  const workers = startAppWorkers({ mail: false, pollMs: 50, housekeepingEveryMs: 100 });
  try {
    const deadline = Date.now() + 10_000;
    while ((await VisitWriteClaim.countDocuments({ visitId })) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await VisitWriteClaim.countDocuments({ visitId })).toBe(0);
  } finally {
    await workers.stop();
  }
});
