import express from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { errorHandler } from '../server/platform/http/error-handler';
import { claimLease, IdempotencyRecord, idempotency, idempotencyRecordId } from '../server/platform/db/idempotency';
import { startTestApp, stopTestApp } from './helpers/app';

/**
 * The Idempotency-Key claim after a crash. A claim is renewed while its request runs, so one that
 * stopped being renewed belongs to a request that died with its process, and a retry takes it over
 * after a short lease (seconds) instead of being refused as "in progress" for minutes; a request that
 * is merely slow keeps its claim. (End to end, with kill -9: faults-kill.test.ts, run by `npm run test:faults`.)
 */
const USER = 'claims-user';
let runs = 0;
let delayMs = 0;

function miniApp(): express.Express {
  const app = express();
  app.locals.skipApiContract = true; // a test-made route, not the product's API (helpers/api-contract.ts)
  app.use(express.json());
  app.use((req, _res, next) => {
    req.principal = { id: USER, email: 'c@x.cn', name: 'c', role: 'admin' };
    next();
  });
  app.use(idempotency);
  app.post('/api/v1/things', (_req, res, next) => {
    runs += 1;
    const n = runs;
    setTimeout(() => {
      try {
        res.status(201).json({ run: n });
      } catch (e) {
        next(e);
      }
    }, delayMs);
  });
  app.use(errorHandler);
  return app;
}

const saved = { ...claimLease };

beforeAll(async () => {
  await startTestApp();
});

afterAll(async () => {
  await stopTestApp();
});

beforeEach(() => {
  runs = 0;
  delayMs = 0;
  Object.assign(claimLease, saved);
});

afterEach(() => {
  Object.assign(claimLease, saved);
});

test('the claim of a request that died (no longer renewed) is taken over after the short lease', async () => {
  const app = miniApp();
  // What kill -9 leaves: a pending claim, last renewed a little longer ago than the lease.
  await IdempotencyRecord.create({
    _id: idempotencyRecordId(USER, 'dead'),
    userId: USER,
    key: 'dead',
    method: 'POST',
    path: '/api/v1/things',
    state: 'pending',
    claimedAt: new Date(Date.now() - claimLease.staleMs - 1000),
  });
  const retry = await request(app).post('/api/v1/things').set('Idempotency-Key', 'dead').send({});
  expect(retry.status).toBe(201);
  expect(runs).toBe(1);
  // Minutes are not needed: the lease is seconds.
  expect(claimLease.staleMs).toBeLessThanOrEqual(15_000);
  const fresh = await IdempotencyRecord.create({
    _id: idempotencyRecordId(USER, 'alive'),
    userId: USER,
    key: 'alive',
    method: 'POST',
    path: '/api/v1/things',
    state: 'pending',
    claimedAt: new Date(),
  });
  const refused = await request(app).post('/api/v1/things').set('Idempotency-Key', 'alive').send({});
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('idempotency_in_progress');
  expect(runs).toBe(1);
  await IdempotencyRecord.deleteOne({ _id: fresh._id });
});

test('a finished request is replayed from a record found by _id, and one written before records were keyed so is still honoured', async () => {
  const app = miniApp();
  const first = await request(app).post('/api/v1/things').set('Idempotency-Key', 'keyed').send({});
  expect(first.status).toBe(201);
  expect(await IdempotencyRecord.exists({ _id: idempotencyRecordId(USER, 'keyed'), state: 'done' })).toBeTruthy();
  const again = await request(app).post('/api/v1/things').set('Idempotency-Key', 'keyed').send({});
  expect(again.status).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  expect(runs).toBe(1);
  // An older record (ObjectId _id): the unique (userId, key) index refuses the new claim and the scan finds it.
  await IdempotencyRecord.collection.insertOne({
    _id: new mongoose.Types.ObjectId(),
    userId: USER,
    key: 'legacy',
    method: 'POST',
    path: '/api/v1/things',
    state: 'done',
    responseStatus: 201,
    responseBody: '{"legacy":true}',
    claimedAt: new Date(),
    createdAt: new Date(),
    updatedAt: new Date(),
  } as never);
  const legacy = await request(app).post('/api/v1/things').set('Idempotency-Key', 'legacy').send({});
  expect(legacy.status).toBe(201);
  expect(legacy.body).toEqual({ legacy: true });
  expect(runs).toBe(1);
});

test('a slow request renews its claim, so a retry meanwhile is refused rather than run twice', async () => {
  Object.assign(claimLease, { staleMs: 1200, renewMs: 250 });
  delayMs = 3000;
  const app = miniApp();
  const first = request(app).post('/api/v1/things').set('Idempotency-Key', 'slow').send({});
  const firstDone = first.then((r) => r);
  // Well past the lease: without renewal this retry would take the claim over and run the handler again.
  await new Promise((r) => setTimeout(r, 2000));
  const during = await request(app).post('/api/v1/things').set('Idempotency-Key', 'slow').send({});
  expect(during.status).toBe(409);
  expect(during.body.error.code).toBe('idempotency_in_progress');
  const done = await firstDone;
  expect(done.status).toBe(201);
  delayMs = 0;
  const after = await request(app).post('/api/v1/things').set('Idempotency-Key', 'slow').send({});
  expect(after.status).toBe(201);
  expect(after.headers['idempotent-replayed']).toBe('true');
  expect(after.body).toEqual(done.body);
  expect(runs).toBe(1);
});
