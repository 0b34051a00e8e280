import { Types } from 'mongoose';
import { ApiToken, PasswordReset } from '../server/users/model';
import { SsoAttempt } from '../server/auth/sso/model';
import { IdempotencyRecord } from '../server/platform/db/idempotency';
import { RateCounter } from '../server/platform/http/rate-limit';
import { SessionRecord } from '../server/platform/db/session-store';
import { purgeExpired, startAppWorkers } from '../server/jobs';
import { WriteClaim } from '../server/platform/db/write-claims';
import { visitClaimKey } from '../server/visits/store';
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
  // A visit's revision claim is kept a day.
  await WriteClaim.create([
    { _id: visitClaimKey(visitId, 1), at: ago(2 * DAY), expiresAt: ago(DAY) },
    { _id: visitClaimKey(visitId, 2), at: ago(1000), expiresAt: new Date(Date.now() + DAY - 1000) },
  ]);
  await RateCounter.create([
    { _id: 'k@1', hits: 4, resetAt: ago(1000) },
    { _id: 'k@2', hits: 1, resetAt: new Date(Date.now() + 60_000) },
  ]);
  // Reset links are kept a day past their hour; an SSO sign-in that never came back, until it expires.
  await PasswordReset.create([
    { tokenHash: 'r-old', userId, expiresAt: ago(DAY + 60_000) },
    { tokenHash: 'r-recent', userId, expiresAt: ago(3600_000) },
  ]);
  await SsoAttempt.create([
    { _id: 'sso-old', bankId: 'b', sealed: 'x', expiresAt: ago(1000) },
    { _id: 'sso-live', bankId: 'b', sealed: 'x', expiresAt: new Date(Date.now() + 60_000) },
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
    resetLinks: 1,
    ssoAttempts: 1,
    abandonedUploads: 0,
    resumableUploads: 0,
  });
  expect((await PasswordReset.find().lean()).map((r) => r.tokenHash)).toEqual(['r-recent']);
  expect((await SsoAttempt.find().lean()).map((a) => a._id)).toEqual(['sso-live']);
  expect((await SessionRecord.find().lean()).map((s) => s._id)).toEqual(['s-live']);
  expect((await ApiToken.find().lean()).map((t) => t.tokenHash[0]).sort()).toEqual(['b', 'c']);
  expect((await IdempotencyRecord.find().lean()).map((r) => r.key)).toEqual(['recent']);
  expect((await WriteClaim.find().lean()).map((c) => c._id.split(':')[2])).toEqual(['2']);
  expect((await RateCounter.find().lean()).map((c) => c._id)).toEqual(['k@2']);
  expect(await purgeExpired()).toEqual({
    sessions: 0,
    tokens: 0,
    idempotency: 0,
    writeClaims: 0,
    rateCounters: 0,
    resetLinks: 0,
    ssoAttempts: 0,
    abandonedUploads: 0,
    resumableUploads: 0,
  });
});

test('the background worker purges on its interval', async () => {
  const visitId = new Types.ObjectId();
  const key = visitClaimKey(visitId, 1);
  await WriteClaim.create({ _id: key, at: ago(3 * DAY), expiresAt: ago(2 * DAY) });
  const workers = startAppWorkers({ mail: false, pollMs: 50, housekeepingEveryMs: 100 });
  try {
    const deadline = Date.now() + 10_000;
    while ((await WriteClaim.countDocuments({ _id: key })) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await WriteClaim.countDocuments({ _id: key })).toBe(0);
  } finally {
    await workers.stop();
  }
});
