import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { UploadPiece, UploadSession } from '../server/uploads/model';
import { createUpload, purgeAbandonedUploadSessions } from '../server/uploads/service';
import { principalFromToken } from '../server/users/service';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { jpegWithExif } from './helpers/evidence-images';
import { api, draftVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import type { Actor } from './helpers/visits';

/**
 * Resumable uploads (issue 16): parts in order, a repeated part, a wrong offset, a part cut off
 * mid-way and resumed from the offset the server gives, completion exactly once, the limits up
 * front and on the content, who may use an upload, and the bank's view of the result.
 */
const MAX = 2 * 1024 * 1024;
setConfig({ ...config(), UPLOAD_MAX_BYTES: MAX });
const PART = 'application/offset+octet-stream';

let app: Express;
let f: FeedbackWorld;
let auditor2: Actor;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'RU');
  auditor2 = await f.w.user('ru-a2@firm.test', 'auditor');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const newDraft = async () => (await draftVisit(f)).id;

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
/** A photo with EXIF (time, GPS) and enough after it to span several stored pieces. */
const bigPhoto = (extra = 700_000) =>
  Buffer.concat([
    jpegWithExif({ taken: '2026:12:01 10:20:30', gps: { lat: 31.2304, lng: 121.4737 } }),
    crypto.randomBytes(extra),
  ]);

const create = (who: Actor, visitId: string, body: Record<string, unknown>, key?: string) => {
  const r = request(app).post(`/api/v1/visits/${visitId}/uploads`).set(bearer(who.token));
  return (key ? r.set('Idempotency-Key', key) : r).send(body);
};
const state = (who: Actor, visitId: string, id: string) =>
  request(app).get(`/api/v1/visits/${visitId}/uploads/${id}`).set(bearer(who.token));
const part = (who: Actor, visitId: string, id: string, offset: number, bytes: Buffer, type = PART) =>
  request(app)
    .patch(`/api/v1/visits/${visitId}/uploads/${id}`)
    .query({ offset })
    .set(bearer(who.token))
    .set('Content-Type', type)
    .send(bytes);
const complete = (who: Actor, visitId: string, id: string) =>
  request(app).post(`/api/v1/visits/${visitId}/uploads/${id}/complete`).set(bearer(who.token));
const download = (who: { token: string }, visitId: string, id: string) =>
  request(app)
    .get(`/api/v1/visits/${visitId}/attachments/${id}`)
    .set(bearer(who.token))
    .buffer(true)
    .parse((res, cb) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => cb(null, Buffer.concat(parts)));
    });

async function started(visitId: string, file: Buffer, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await create(f.auditor, visitId, { name: '张三-工行-现场.jpg', size: file.length, ...extra });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ offset: 0, size: file.length, status: 'open' });
  return res.body.id as string;
}

describe('parts', () => {
  test('in order: each answers the new offset; completion attaches the file byte for byte, EXIF read', async () => {
    const visitId = await newDraft();
    const file = bigPhoto();
    const id = await started(visitId, file, { itemKey: 'g1', contentType: 'image/jpeg' });
    const cuts = [0, 300_000, 600_000, file.length];
    for (let i = 0; i < 3; i++) {
      const res = await part(f.auditor, visitId, id, cuts[i], file.subarray(cuts[i], cuts[i + 1]));
      expect(res.status).toBe(200);
      expect(res.body.offset).toBe(cuts[i + 1]);
      expect((await state(f.auditor, visitId, id)).body.offset).toBe(cuts[i + 1]);
    }
    const done = await complete(f.auditor, visitId, id);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({
      filename: '张三-工行-现场.jpg',
      contentType: 'image/jpeg',
      size: file.length,
      sha256: sha(file),
      itemKey: 'g1',
      capturedAt: '2026-12-01T02:20:30.000Z',
    });
    const original = await download(f.reviewer, visitId, done.body.id);
    expect(sha(original.body as Buffer)).toBe(sha(file));
    // The pieces are gone once the file is in the evidence store.
    expect(await UploadPiece.countDocuments({ _id: new RegExp(`^${id}:`) })).toBe(0);
    expect((await state(f.auditor, visitId, id)).body).toMatchObject({ status: 'complete', offset: file.length });
  });

  test('a part sent again (its answer lost) stores nothing more; a wrong offset is 409 with the right one', async () => {
    const visitId = await newDraft();
    const file = bigPhoto(400_000);
    const id = await started(visitId, file);
    const first = file.subarray(0, 200_000);
    expect((await part(f.auditor, visitId, id, 0, first)).body.offset).toBe(200_000);
    const again = await part(f.auditor, visitId, id, 0, first);
    expect(again.status).toBe(200);
    expect(again.body.offset).toBe(200_000);
    const ahead = await part(f.auditor, visitId, id, 250_000, file.subarray(250_000));
    expect(ahead.status).toBe(409);
    expect(ahead.body.error).toMatchObject({
      code: 'offset_mismatch',
      details: [{ field: 'offset', expected: 200_000 }],
    });
    // Overlapping what is stored without lying within it: also refused, nothing stored.
    const overlap = await part(f.auditor, visitId, id, 100_000, file.subarray(100_000, 300_000));
    expect(overlap.status).toBe(409);
    expect((await part(f.auditor, visitId, id, 200_000, file.subarray(200_000))).body.offset).toBe(file.length);
    const done = await complete(f.auditor, visitId, id);
    expect(done.body.sha256).toBe(sha(file));
  });

  test('a part cut off mid-way keeps what arrived; the client resumes from the offset it is told', async () => {
    const visitId = await newDraft();
    const file = bigPhoto(900_000);
    const id = await started(visitId, file);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const sent = 300_000;
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'PATCH',
        path: `/api/v1/visits/${visitId}/uploads/${id}?offset=0`,
        headers: { ...bearer(f.auditor.token), 'Content-Type': PART, 'Content-Length': String(file.length) },
      });
      req.on('error', () => resolve());
      req.write(file.subarray(0, sent), () => setTimeout(() => (req.destroy(), resolve()), 300));
    });
    let offset = -1;
    for (let i = 0; i < 50; i++) {
      const now = (await state(f.auditor, visitId, id)).body.offset as number;
      if (now === offset && now > 0) break;
      offset = now;
      await new Promise((r) => setTimeout(r, 100));
    }
    server.close();
    expect(offset).toBe(sent); // everything that arrived, the last piece shorter than the others
    const rest = await part(f.auditor, visitId, id, offset, file.subarray(offset));
    expect(rest.body.offset).toBe(file.length);
    const done = await complete(f.auditor, visitId, id);
    expect(done.body.sha256).toBe(sha(file));
    expect(sha((await download(f.reviewer, visitId, done.body.id)).body as Buffer)).toBe(sha(file));
  });
});

describe('completion', () => {
  test('exactly once: concurrent and repeated completions answer the same attachment', async () => {
    const visitId = await newDraft();
    const file = bigPhoto(300_000);
    const id = await started(visitId, file);
    expect((await complete(f.auditor, visitId, id)).body.error.code).toBe('upload_incomplete');
    await part(f.auditor, visitId, id, 0, file);
    const answers = await Promise.all([1, 2, 3].map(() => complete(f.auditor, visitId, id)));
    for (const a of answers) if (a.status !== 201) expect(a.body.error.code).toBe('upload_completing');
    const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id));
    const later = await complete(f.auditor, visitId, id);
    expect(later.status).toBe(201);
    expect([...ids]).toEqual([later.body.id]);
    const v = (await api(f).get(f.auditor, `/visits/${visitId}`)).body;
    expect(v.attachments.filter((a: { sha256: string }) => a.sha256 === sha(file))).toHaveLength(1);
    expect((await part(f.auditor, visitId, id, file.length, Buffer.from('x'))).body.error.code).toBe('upload_complete');
  });

  test('the same Idempotency-Key finds the same upload with its offset; for another file it is 409', async () => {
    const visitId = await newDraft();
    const file = bigPhoto(100_000);
    const body = { name: 'a.jpg', size: file.length };
    const first = await create(f.auditor, visitId, body, 'phone-42');
    await part(f.auditor, visitId, first.body.id, 0, file.subarray(0, 50_000));
    // The API replays its first answer (API.md); the upload's own rule, which the web route relies on,
    // gives the same upload with its current offset.
    expect((await create(f.auditor, visitId, body, 'phone-42')).body.id).toBe(first.body.id);
    const me = await principalFromToken(f.auditor.token);
    const again = await createUpload(me, visitId, body, 'phone-42');
    expect(again).toMatchObject({ id: first.body.id, offset: 50_000 });
    await expect(createUpload(me, visitId, { name: 'b.jpg', size: 10 }, 'phone-42')).rejects.toMatchObject({
      status: 409,
      code: 'idempotency_key_reused',
    });
    const someoneElse = await createUpload(await principalFromToken(auditor2.token), visitId, body, 'phone-42').catch(
      (e: { status: number }) => e.status,
    );
    expect(someoneElse).toBe(404);
  });
});

describe('limits and who may', () => {
  test('declared limits up front: size 413, type 415, item 422, each naming its field', async () => {
    const visitId = await newDraft();
    const big = await create(f.auditor, visitId, { name: 'x.jpg', size: MAX + 1 });
    expect(big.status).toBe(413);
    expect(big.body.error.details[0].field).toBe('size');
    const exe = await create(f.auditor, visitId, { name: 'x.exe', size: 10, contentType: 'application/x-msdownload' });
    expect(exe.status).toBe(415);
    expect(exe.body.error.details[0].field).toBe('contentType');
    const item = await create(f.auditor, visitId, { name: 'x.jpg', size: 10, itemKey: 'no_such_item' });
    expect(item.status).toBe(422);
    expect(item.body.error.details[0].field).toBe('itemKey');
    const bad = await create(f.auditor, visitId, { name: '', size: -1 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['name', 'size']);
    expect(await UploadSession.countDocuments({ visitId })).toBe(0);
  });

  test('the content decides (415 on the first bytes, nothing stored); no byte past the declared size; parts are raw bytes', async () => {
    const visitId = await newDraft();
    const exe = Buffer.concat([Buffer.from('MZ\x90\0'), crypto.randomBytes(5000)]);
    const id = await started(visitId, exe);
    const refused = await part(f.auditor, visitId, id, 0, exe);
    expect(refused.status).toBe(415);
    expect((await state(f.auditor, visitId, id)).body.offset).toBe(0);
    const file = bigPhoto(1000);
    const id2 = await started(visitId, file);
    const beyond = await part(f.auditor, visitId, id2, 0, Buffer.concat([file, Buffer.from('more')]));
    expect(beyond.status).toBe(413);
    expect(beyond.body.error.details[0].field).toBe('offset');
    const json = await part(f.auditor, visitId, id2, 0, Buffer.from('{"a":1}'), 'application/json');
    expect(json.status).toBe(415);
    expect((await state(f.auditor, visitId, id2)).body.offset).toBe(0);
  });

  test("another auditor's upload is 404, bank users 403 by role, a submitted visit 409", async () => {
    const visitId = await newDraft();
    const file = bigPhoto(1000);
    const id = await started(visitId, file);
    expect((await state(auditor2, visitId, id)).status).toBe(404);
    expect((await part(auditor2, visitId, id, 0, file)).status).toBe(404);
    expect((await complete(auditor2, visitId, id)).status).toBe(404);
    expect((await create(auditor2, visitId, { name: 'x.jpg', size: 10 })).status).toBe(404);
    expect((await state(f.auditor, visitId, 'f'.repeat(32))).status).toBe(404);
    for (const who of [f.manager, f.hr]) {
      expect((await state(who, visitId, id)).status).toBe(403);
      expect((await create(who, visitId, { name: 'x.jpg', size: 10 })).status).toBe(403);
    }
    expect((await api(f).post(f.auditor, `/visits/${visitId}/submit`)).status).toBe(200);
    expect((await create(f.auditor, visitId, { name: 'x.jpg', size: 10 })).status).toBe(409);
  });

  test("bank users never see the auditor's file name: the visit and the download say evidence-N", async () => {
    const visitId = await newDraft();
    const file = bigPhoto(1000);
    const id = await started(visitId, file);
    await part(f.auditor, visitId, id, 0, file);
    const attachment = (await complete(f.auditor, visitId, id)).body;
    expect((await api(f).post(f.auditor, `/visits/${visitId}/submit`)).status).toBe(200);
    expect((await api(f).post(f.reviewer, `/visits/${visitId}/review`, { decision: 'approve' })).status).toBe(200);
    const seen = await api(f).get(f.manager, `/visits/${visitId}`);
    expect(JSON.stringify(seen.body)).not.toContain('张三');
    const got = await download(f.manager, visitId, attachment.id);
    expect(got.status).toBe(200);
    expect(got.headers['content-disposition']).toMatch(/evidence-\d+\.jpg/);
    expect(got.headers['content-disposition']).not.toContain(encodeURIComponent('张三'));
  });
});

test('housekeeping deletes uploads untouched for UPLOAD_RESUME_HOURS with their pieces, and keeps fresh ones', async () => {
  const visitId = await newDraft();
  const file = bigPhoto(600_000);
  const old = await started(visitId, file);
  await part(f.auditor, visitId, old, 0, file.subarray(0, 500_000));
  const later = new Date(Date.now() + (config().UPLOAD_RESUME_HOURS + 1) * 3600_000);
  const fresh = await started(visitId, file);
  await UploadSession.updateOne({ _id: fresh }, { $set: { touchedAt: later } });
  // Every upload of the earlier tests is as old by then; the fresh one is the only one kept.
  expect(await purgeAbandonedUploadSessions(later)).toBeGreaterThanOrEqual(1);
  expect(await UploadSession.exists({ _id: old })).toBeNull();
  expect(await UploadPiece.countDocuments({ _id: { $in: [`${old}:0`, `${old}:262144`] } })).toBe(0);
  expect(await UploadSession.exists({ _id: fresh })).not.toBeNull();
  expect((await state(f.auditor, visitId, old)).status).toBe(404);
});
