import type { Express } from 'express';
import request from 'supertest';
import { sniffType } from '../server/evidence/sniff';
import { config, setConfig } from '../server/platform/config';
import { WriteClaim } from '../server/platform/db/write-claims';
import { UploadPiece, UploadSession } from '../server/uploads/model';
import { purgeAbandonedUploadSessions } from '../server/uploads/service';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, api, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { m4aFile } from './helpers/m4a';
import { PASSWORD, windowAroundNow, type Actor } from './helpers/visits';
import { csrfOf, signIn } from './helpers/web';

/**
 * Issue 16, the last gaps of resumable uploads and phone audio: at most UPLOAD_MAX_OPEN_PER_USER
 * open uploads per auditor (422 `too_many_open_uploads`, a slot given back by completion, cancel and
 * housekeeping); cancelling an upload (owner only, parts deleted, 204 again when repeated, 409 once
 * complete); and Safari's audio/mp4 recordings accepted by content on both file routes.
 */
const MAX_OPEN = 3;
const A2_EMAIL = 'ul-a2@firm.test';
setConfig({ ...config(), UPLOAD_MAX_OPEN_PER_USER: MAX_OPEN });
const PART = 'application/offset+octet-stream';

let app: Express;
let f: FeedbackWorld;
let auditor2: Actor;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'UL');
  auditor2 = await f.w.user(A2_EMAIL, 'auditor');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

async function draftVisit(who: Actor = f.auditor): Promise<string> {
  const assignmentId = await f.w.assignment({
    bankId: f.bankId,
    branchCode: 'N1',
    auditorId: who.id,
    questionnaireId: f.questionnaireId,
    quarter: '2026-Q4',
    ...windowAroundNow(),
    scenario: '理财咨询',
  });
  const res = await api(f).post(who, '/visits', {
    assignmentId,
    visitedAt: new Date(Date.now() - 2 * 3600_000).toISOString(),
    durationMinutes: 25,
    answers: ANSWERS,
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const base = (visitId: string) => `/api/v1/visits/${visitId}/uploads`;
const create = (who: Actor, visitId: string, body: Record<string, unknown>, key?: string) => {
  const r = request(app).post(base(visitId)).set(bearer(who.token));
  return (key ? r.set('Idempotency-Key', key) : r).send(body);
};
const part = (visitId: string, id: string, offset: number, bytes: Buffer) =>
  request(app)
    .patch(`${base(visitId)}/${id}`)
    .query({ offset })
    .set(bearer(f.auditor.token))
    .set('Content-Type', PART)
    .send(bytes);
const cancel = (who: Actor, visitId: string, id: string) =>
  request(app)
    .delete(`${base(visitId)}/${id}`)
    .set(bearer(who.token));
const complete = (visitId: string, id: string) =>
  request(app)
    .post(`${base(visitId)}/${id}/complete`)
    .set(bearer(f.auditor.token));

async function openUploads(): Promise<void> {
  await UploadSession.deleteMany({});
  await WriteClaim.deleteMany({ _id: { $regex: '^upload-slot:' } } as never);
}

describe('open uploads per auditor', () => {
  beforeEach(openUploads);

  test('one more than UPLOAD_MAX_OPEN_PER_USER is 422 naming the limit; a repeated declaration is not a new one', async () => {
    const visitId = await draftVisit();
    for (let n = 0; n < MAX_OPEN; n++)
      expect((await create(f.auditor, visitId, { name: `p${n}.jpg`, size: 1000 }, `k-${n}`)).status).toBe(201);
    // The same key again finds its upload; it takes no slot of its own.
    const again = await create(f.auditor, visitId, { name: 'p0.jpg', size: 1000 }, 'k-0');
    expect(again.status).toBe(201);
    const refused = await create(f.auditor, visitId, { name: 'one-more.jpg', size: 1000 });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('too_many_open_uploads');
    expect(refused.body.error.message).toContain(`At most ${MAX_OPEN} uploads`);
    expect(refused.body.error.message).toContain('UPLOAD_MAX_OPEN_PER_USER');
    expect(refused.body.error.details[0]).toMatchObject({ field: 'uploads', limit: MAX_OPEN });
    expect(await UploadSession.countDocuments({})).toBe(MAX_OPEN);
    // Another auditor has slots of their own.
    expect((await create(auditor2, await draftVisit(auditor2), { name: 'x.jpg', size: 10 })).status).toBe(201);
  });

  test('concurrent declarations never pass the limit', async () => {
    const visitId = await draftVisit();
    const answers = await Promise.all(
      Array.from({ length: MAX_OPEN + 4 }, (_, n) => create(f.auditor, visitId, { name: `c${n}.jpg`, size: 10 })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(MAX_OPEN);
    expect(answers.filter((r) => r.status === 422)).toHaveLength(4);
    expect(await UploadSession.countDocuments({ status: 'open' })).toBe(MAX_OPEN);
  });

  test('completion, cancel and housekeeping give the slot back', async () => {
    const visitId = await draftVisit();
    const audio = m4aFile();
    const ids: string[] = [];
    for (let n = 0; n < MAX_OPEN; n++)
      ids.push((await create(f.auditor, visitId, { name: `a${n}.m4a`, size: audio.length })).body.id as string);
    const full = () => create(f.auditor, visitId, { name: 'next.m4a', size: audio.length });
    expect((await full()).status).toBe(422);

    expect((await part(visitId, ids[0], 0, audio)).status).toBe(200);
    expect((await complete(visitId, ids[0])).status).toBe(201);
    const fourth = await full();
    expect(fourth.status).toBe(201);
    expect((await full()).status).toBe(422);

    expect((await cancel(f.auditor, visitId, ids[1])).status).toBe(204);
    expect((await full()).status).toBe(201);
    expect((await full()).status).toBe(422);

    const later = new Date(Date.now() + (config().UPLOAD_RESUME_HOURS + 1) * 3600_000);
    expect(await purgeAbandonedUploadSessions(later)).toBeGreaterThanOrEqual(MAX_OPEN);
    expect((await full()).status).toBe(201);
  });

  test('a slot left by a declaration that died before its upload was written is taken back once old', async () => {
    const visitId = await draftVisit();
    // Every slot claimed a while ago, no upload holding any of them (the process died in between).
    const old = new Date(Date.now() - 5 * 60_000);
    for (let n = 0; n < MAX_OPEN; n++)
      await WriteClaim.collection.insertOne({
        _id: `upload-slot:${f.auditor.id}:${n}` as never,
        at: old,
        expiresAt: null,
      });
    expect((await create(f.auditor, visitId, { name: 'after-crash.jpg', size: 10 })).status).toBe(201);
  });
});

describe('cancel', () => {
  beforeEach(openUploads);

  test('the owner cancels: parts deleted, 204, and 204 again; a completed upload is 409; others 404 or 403', async () => {
    const visitId = await draftVisit();
    const audio = m4aFile({ frames: 200 });
    const id = (await create(f.auditor, visitId, { name: 'memo.m4a', size: audio.length })).body.id as string;
    expect((await part(visitId, id, 0, audio.subarray(0, 500))).status).toBe(200);
    expect(await UploadPiece.countDocuments({ _id: { $regex: `^${id}:` } } as never)).toBeGreaterThan(0);

    expect((await cancel(auditor2, visitId, id)).status).toBe(404);
    expect((await cancel(f.reviewer, visitId, id)).status).toBe(403);
    expect(await UploadSession.countDocuments({ _id: id })).toBe(1);

    const gone = await cancel(f.auditor, visitId, id);
    expect(gone.status).toBe(204);
    expect(gone.text).toBe('');
    expect(await UploadSession.countDocuments({ _id: id })).toBe(0);
    expect(await UploadPiece.countDocuments({ _id: { $regex: `^${id}:` } } as never)).toBe(0);
    expect((await cancel(f.auditor, visitId, id)).status).toBe(204);
    // Gone means gone: no part can be added, and it does not complete.
    expect((await part(visitId, id, 500, audio.subarray(500))).status).toBe(404);
    expect((await complete(visitId, id)).status).toBe(404);
    // Only an id the platform could have made may be "already gone"; an id on someone else's visit is not answered 204.
    expect((await cancel(f.auditor, visitId, 'not-an-upload')).status).toBe(404);
    expect((await cancel(auditor2, visitId, 'f'.repeat(32))).status).toBe(404);

    const done = (await create(f.auditor, visitId, { name: 'kept.m4a', size: audio.length })).body.id as string;
    expect((await part(visitId, done, 0, audio)).status).toBe(200);
    expect((await complete(visitId, done)).status).toBe(201);
    const late = await cancel(f.auditor, visitId, done);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('upload_complete');
  });

  test('the web session path cancels too, behind the session CSRF header', async () => {
    const visitId = await draftVisit(auditor2);
    const id = (await create(auditor2, visitId, { name: 'w.jpg', size: 10 })).body.id as string;
    const agent = await signIn(app, A2_EMAIL, PASSWORD, 'en');
    const csrf = await csrfOf(agent, '/assignments');
    expect((await agent.delete(`/visits/${visitId}/uploads/${id}`)).status).toBe(403);
    const ok = await agent.delete(`/visits/${visitId}/uploads/${id}`).set('X-CSRF-Token', csrf);
    expect(ok.status).toBe(204);
    expect(await UploadSession.countDocuments({ _id: id })).toBe(0);
  });
});

describe("Safari's audio/mp4 recordings", () => {
  beforeEach(openUploads);
  const files: [string, Buffer][] = [
    ['Safari MediaRecorder (fragmented, iso5)', m4aFile({ fragmented: true })],
    ['plain MP4 audio (isom)', m4aFile()],
    ['iOS voice memo (M4A )', m4aFile({ brand: 'M4A ' })],
  ];

  test.each(files)('%s: sniffed as audio/mp4', (_name, file) => {
    expect(sniffType(file.subarray(0, 64))).toEqual({ contentType: 'audio/mp4', ext: 'm4a' });
  });

  test('an MP4 whose brands name a video format is not taken for audio', () => {
    const video = m4aFile();
    video.write('avc1', 20, 'latin1'); // a compatible brand
    expect(sniffType(video.subarray(0, 64))).toBeNull();
  });

  test.each(files)('%s: accepted on the classic attachment route and the resumable one', async (_name, file) => {
    const visitId = await draftVisit();
    const classic = await request(app)
      .post(`/api/v1/visits/${visitId}/attachments`)
      .set(bearer(f.auditor.token))
      .attach('file', file, { filename: 'recording.bin', contentType: 'application/octet-stream' });
    expect(classic.status).toBe(201);
    expect(classic.body.contentType).toBe('audio/mp4');

    const id = (
      await create(f.auditor, visitId, { name: 'recording.m4a', size: file.length, contentType: 'audio/mp4' })
    ).body.id as string;
    expect((await part(visitId, id, 0, file)).status).toBe(200);
    const done = await complete(visitId, id);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ contentType: 'audio/mp4', size: file.length });
  });
});
