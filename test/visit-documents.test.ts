import crypto from 'node:crypto';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { api, dispute, feedbackWorld, resolve, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { ANSWERS, hoursAgo, windowAroundNow } from './helpers/visits';

/**
 * Visits are written with the driver, not through Mongoose documents (server/visits/store.ts,
 * insertVisit and writeVisit): the schema's integrity rules are not run on those writes. These tests
 * are what holds the two together: after every kind of write the API makes, the stored visit is
 * exactly what Mongoose would store for it (casting it changes nothing, no default is missing) and it
 * passes the schema's validation.
 */
let app: Express;
let f: FeedbackWorld;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'VD');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

async function stored(id: string): Promise<Record<string, unknown>> {
  const raw = await (mongoose.connection.db as mongoose.mongo.Db)
    .collection('visits')
    .findOne({ _id: new mongoose.Types.ObjectId(id) });
  if (!raw) throw new Error(`visit ${id} is not stored`);
  return raw;
}

async function expectConforming(id: string): Promise<Record<string, unknown>> {
  const raw = await stored(id);
  const doc = new Visit(raw);
  expect(doc.validateSync()).toBeUndefined();
  // toStrictEqual: a value Mongoose would cast (an id stored as a string, a number as text) or a
  // default it would add (a missing array, a missing section score) shows up as a difference.
  expect(doc.toObject({ depopulate: true })).toStrictEqual(raw);
  return raw;
}

/** A write's answer is worked out without reading the visit back: it must be what a read shows afterwards. */
async function expectAnswerAsStored(res: request.Response, who: { token: string }): Promise<void> {
  expect(res.status).toBeLessThan(300);
  const read = await request(app).get(`/api/v1/visits/${res.body.id}`).set(bearer(who.token));
  expect(read.status).toBe(200);
  expect(res.body).toStrictEqual(read.body);
}

const png = () =>
  Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), crypto.randomBytes(2000)]);

test('every write of a visit through the API stores what the Mongoose schema would store', async () => {
  const assignmentId = await f.w.assignment({
    bankId: f.bankId,
    branchCode: 'N1',
    auditorId: f.auditor.id,
    questionnaireId: f.questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '开户',
  });
  const created = await api(f).post(f.auditor, '/visits', {
    assignmentId,
    visitedAt: hoursAgo(2),
    durationMinutes: 25,
    summary: '柜员热情',
    answers: ANSWERS.map((a, i) => (i === 0 ? { ...a, comment: '主动问候' } : a)),
    staff: [{ employeeId: 'E1' }, { description: '穿蓝色西装的大堂经理' }],
  });
  await expectAnswerAsStored(created, f.auditor);
  const id = created.body.id as string;
  const first = await expectConforming(id);
  expect(first).toMatchObject({ status: 'draft', rev: 0, __v: 0, staffIds: ['E1'], summary: '柜员热情' });
  expect(first.createdAt).toBeInstanceOf(Date);
  expect(first.assignmentId).toBeInstanceOf(mongoose.Types.ObjectId);

  await expectAnswerAsStored(
    await api(f).patch(f.auditor, `/visits/${id}`, {
      durationMinutes: 30,
      summary: '补充: 等候 5 分钟',
      staff: [{ employeeId: 'E2' }],
    }),
    f.auditor,
  );
  await expectConforming(id);

  const up = await request(app)
    .post(`/api/v1/visits/${id}/attachments`)
    .set(bearer(f.auditor.token))
    .attach('file', png(), { filename: 'a.png', contentType: 'image/png' });
  expect(up.status).toBe(201);
  const withFile = await expectConforming(id);
  expect((withFile.attachments as { _id: unknown }[])[0]._id).toBeInstanceOf(mongoose.Types.ObjectId);
  await expectAnswerAsStored(
    await request(app).delete(`/api/v1/visits/${id}/attachments/${up.body.id}`).set(bearer(f.auditor.token)),
    f.auditor,
  );
  await expectConforming(id);

  await expectAnswerAsStored(await api(f).post(f.auditor, `/visits/${id}/submit`), f.auditor);
  const submitted = await expectConforming(id);
  expect(submitted.updatedAt).not.toEqual(first.updatedAt);
  await expectAnswerAsStored(
    await api(f).post(f.reviewer, `/visits/${id}/review`, { decision: 'return', note: '请补充照片' }),
    f.reviewer,
  );
  await expectConforming(id);
  await expectAnswerAsStored(await api(f).patch(f.auditor, `/visits/${id}`, { answers: ANSWERS }), f.auditor);
  await expectAnswerAsStored(await api(f).post(f.auditor, `/visits/${id}/submit`), f.auditor);
  await expectAnswerAsStored(
    await api(f).post(f.reviewer, `/visits/${id}/review`, { decision: 'approve' }),
    f.reviewer,
  );
  await expectConforming(id);

  const opened = await dispute(f, f.manager, id, 'g1');
  expect(opened.status).toBe(201);
  await expectConforming(id);
  expect(
    (await resolve(f, f.reviewer, opened.body.id, { decision: 'overturned', value: 'no', note: '录像显示未问候' }))
      .status,
  ).toBe(200);
  const last = await expectConforming(id);
  expect(last).toMatchObject({ status: 'approved' });
  expect((last.history as unknown[]).length).toBeGreaterThanOrEqual(10);
});

test('the check above can fail: a value Mongoose would cast, or a missing default, is caught', async () => {
  const assignmentId = await f.w.assignment({
    bankId: f.bankId,
    branchCode: 'N1',
    auditorId: f.auditor.id,
    questionnaireId: f.questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '开户',
  });
  const created = await api(f).post(f.auditor, '/visits', {
    assignmentId,
    visitedAt: hoursAgo(2),
    durationMinutes: 25,
    answers: ANSWERS,
  });
  const raw = await expectConforming(created.body.id);
  const db = mongoose.connection.db as mongoose.mongo.Db;
  await db
    .collection('visits')
    .updateOne({ _id: raw._id as mongoose.Types.ObjectId }, { $set: { bankId: String(raw.bankId) } });
  await expect(expectConforming(created.body.id)).rejects.toThrow();
  await db
    .collection('visits')
    .updateOne(
      { _id: raw._id as mongoose.Types.ObjectId },
      { $set: { bankId: raw.bankId }, $unset: { violations: '' } },
    );
  await expect(expectConforming(created.body.id)).rejects.toThrow();
});
