import crypto from 'node:crypto';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { Readable } from 'node:stream';
import { DisputeAttachment } from '../server/disputes/model';
import { PendingUpload, purgeAbandonedUploads, type HoldsFile } from '../server/evidence/pending';
import { holdsEvidenceFile as disputeHoldsFile } from '../server/disputes/service';
import { holdsEvidenceFile as visitHoldsFile } from '../server/visits/service';
import { safeFilename, storeEvidence } from '../server/evidence/storage';
import { Visit } from '../server/visits/model';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, hoursAgo, insertQuestionnaire, VisitWorld, windowAroundNow, type Actor } from './helpers/visits';

// A small limit keeps the over-size upload quick while still spanning several 255 KB GridFS chunks.
const MAX = 600 * 1024;
setConfig({ ...config(), UPLOAD_MAX_BYTES: MAX });

let app: Express;
let w: VisitWorld;
let bankId: string;
let questionnaireId: string;
let auditor: Actor;
let auditor2: Actor;
let reviewer: Actor;
let manager: Actor;

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  bankId = await w.bank('EB1');
  await w.branch(bankId, 'N1', 'North');
  questionnaireId = await insertQuestionnaire(bankId);
  auditor = await w.user('ea1@firm.test', 'auditor');
  auditor2 = await w.user('ea2@firm.test', 'auditor');
  reviewer = await w.user('erev@firm.test', 'reviewer');
  manager = await w.user('emgr@bank.test', 'bank_manager', { bankId, scope: { type: 'bank' } });
});
afterAll(stopTestApp);

async function newVisit(who: Actor = auditor): Promise<string> {
  const assignmentId = await w.assignment({
    bankId,
    branchCode: 'N1',
    auditorId: who.id,
    questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '取号排队',
  });
  const res = await request(app)
    .post('/api/v1/visits')
    .set(bearer(who.token))
    .send({ assignmentId, visitedAt: hoursAgo(1), durationMinutes: 20, answers: ANSWERS });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.id;
}

const rand = (n: number) => crypto.randomBytes(n);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const withHead = (head: number[] | string, n = 2000) =>
  Buffer.concat([Buffer.isBuffer(head) ? head : Buffer.from(head as never), rand(n)]);
const box = (brand: string) =>
  Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from(`ftyp${brand}`, 'latin1'), rand(2000)]);
const riff = (form: string) =>
  Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0x08, 0, 0]), Buffer.from(form), rand(2000)]);
const jpeg = () => withHead([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1'), rand(3000)]);

const upload = (
  who: Actor | null,
  visitId: string,
  data: Buffer,
  filename = 'evidence.bin',
  contentType = 'application/octet-stream',
) => {
  const r = request(app).post(`/api/v1/visits/${visitId}/attachments`);
  return (who ? r.set(bearer(who.token)) : r).attach('file', data, { filename, contentType });
};
const download = (who: Actor, visitId: string, attachmentId: string) =>
  request(app)
    .get(`/api/v1/visits/${visitId}/attachments/${attachmentId}`)
    .set(bearer(who.token))
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
const gridCounts = async () => {
  const db = mongoose.connection.db as mongoose.mongo.Db;
  return {
    files: await db.collection('evidence.files').countDocuments(),
    chunks: await db.collection('evidence.chunks').countDocuments(),
  };
};

describe('upload', () => {
  test.each([
    ['photo.jpg', jpeg, 'image/jpeg'],
    ['a.png', () => withHead([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
    ['a.webp', () => riff('WEBP'), 'image/webp'],
    ['a.heic', () => box('heic'), 'image/heic'],
    ['a.heif', () => box('mif1'), 'image/heif'],
    ['receipt.pdf', pdf, 'application/pdf'],
    ['note.mp3', () => withHead('ID3\u0004\u0000'), 'audio/mpeg'],
    ['frame.mp3', () => withHead([0xff, 0xfb, 0x90, 0x64]), 'audio/mpeg'],
    ['note.aac', () => withHead([0xff, 0xf1, 0x50, 0x80]), 'audio/aac'],
    ['memo.m4a', () => box('M4A '), 'audio/mp4'],
    ['rec.wav', () => riff('WAVE'), 'audio/wav'],
    ['rec.ogg', () => withHead('OggS\u0000\u0002'), 'audio/ogg'],
    [
      'rec.webm',
      () =>
        Buffer.concat([
          Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84]),
          Buffer.from('webm'),
          rand(2000),
        ]),
      'video/webm',
    ],
  ] as [string, () => Buffer, string][])('%s is accepted', async (filename, make, type) => {
    const data = make();
    const visitId = await newVisit();
    // The declared type is deliberately wrong: only the content decides.
    const res = await upload(auditor, visitId, data, filename, 'text/plain');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[a-f0-9]{24}$/),
      filename,
      contentType: type,
      size: data.length,
      sha256: sha(data),
    });
  });

  test('the attachment and its history entry are on the visit', async () => {
    const visitId = await newVisit();
    const data = jpeg();
    const res = await upload(auditor, visitId, data, '大堂.jpg');
    const v = (await request(app).get(`/api/v1/visits/${visitId}`).set(bearer(auditor.token))).body;
    expect(v.attachments).toEqual([
      expect.objectContaining({
        id: res.body.id,
        filename: '大堂.jpg',
        contentType: 'image/jpeg',
        size: data.length,
        sha256: sha(data),
      }),
    ]);
    expect(v.history.at(-1)).toMatchObject({
      action: 'attachment_added',
      by: auditor.id,
      changes: [
        {
          field: 'attachments',
          before: null,
          after: { id: res.body.id, filename: '大堂.jpg', sha256: sha(data), size: data.length },
        },
      ],
    });
  });

  test('a text file named .jpg is refused (415) and nothing is stored', async () => {
    const visitId = await newVisit();
    const before = await gridCounts();
    const res = await upload(
      auditor,
      visitId,
      Buffer.from('this is not a photo at all, just some text '.repeat(20)),
      'photo.jpg',
      'image/jpeg',
    );
    expect(res.status).toBe(415);
    expect(await gridCounts()).toEqual(before);
    expect((await Visit.findById(visitId).lean())?.attachments).toHaveLength(0);
  });

  test('a zero-byte file and a tiny unknown file are refused (415)', async () => {
    const visitId = await newVisit();
    const empty = await upload(auditor, visitId, Buffer.alloc(0), 'empty.jpg', 'image/jpeg');
    expect(empty.status).toBe(415);
    expect(empty.body.error.code).toBe('empty_file');
    expect((await upload(auditor, visitId, Buffer.from('MZ'), 'x.exe')).status).toBe(415);
    expect(
      (await upload(auditor, visitId, Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), rand(500)]), 'noise.mp3'))
        .status,
    ).toBe(415);
    expect(
      (
        await upload(
          auditor,
          visitId,
          Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.from('matroska'), rand(500)]),
          'film.webm',
        )
      ).status,
    ).toBe(415);
  });

  test('a file of exactly the limit is accepted; one byte more is 413 and leaves no GridFS file or chunk', async () => {
    const visitId = await newVisit();
    const atLimit = Buffer.concat([jpeg().subarray(0, 10), rand(MAX - 10)]);
    expect((await upload(auditor, visitId, atLimit, 'big.jpg')).status).toBe(201);
    const before = await gridCounts();
    const over = Buffer.concat([jpeg().subarray(0, 10), rand(MAX - 9)]);
    const res = await upload(auditor, visitId, over, 'huge.jpg');
    expect(res.status).toBe(413);
    expect(await gridCounts()).toEqual(before);
    expect((await Visit.findById(visitId).lean())?.attachments).toHaveLength(1);
  });

  test('the 21st attachment of a visit is refused; a removed one frees its place', async () => {
    const visitId = await newVisit();
    for (let i = 0; i < 20; i++) expect((await upload(auditor, visitId, jpeg(), `p${i}.jpg`)).status).toBe(201);
    const before = await gridCounts();
    const res = await upload(auditor, visitId, jpeg(), 'p21.jpg');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('too_many_attachments');
    expect(await gridCounts()).toEqual(before);
    const first = (await Visit.findById(visitId).lean())?.attachments?.[0];
    expect(
      (
        await request(app)
          .delete(`/api/v1/visits/${visitId}/attachments/${String(first?._id)}`)
          .set(bearer(auditor.token))
      ).status,
    ).toBe(200);
    expect((await upload(auditor, visitId, jpeg(), 'p21.jpg')).status).toBe(201);
  });

  test('a path in the file name is stripped', async () => {
    const visitId = await newVisit();
    for (const [name, expected] of [
      ['../../etc/passwd.jpg', 'passwd.jpg'],
      ['..\\..\\windows\\evil.jpg', 'evil.jpg'],
      ['...hidden.jpg', 'hidden.jpg'],
      ['....', 'evidence.jpg'],
    ]) {
      const res = await upload(auditor, visitId, jpeg(), name);
      expect(res.status).toBe(201);
      expect(res.body.filename).toBe(expected);
    }
    // Defence in depth for callers other than the multipart parser (which already drops directories).
    expect(safeFilename('/var/../../etc/passwd', 'pdf')).toBe('passwd');
    expect(safeFilename('C:\\Users\\x\\..\\收据.pdf', 'pdf')).toBe('收据.pdf');
    expect(safeFilename('..', 'pdf')).toBe('evidence.pdf');
    expect(safeFilename('a\u0001b<c>\u007f.jpg', 'jpg')).toBe('abc.jpg');
    expect(safeFilename(undefined, 'jpg')).toBe('evidence.jpg');
  });

  test('parallel uploads to one visit are all kept', async () => {
    const visitId = await newVisit();
    const results = await Promise.all([1, 2, 3, 4].map((i) => upload(auditor, visitId, jpeg(), `par${i}.jpg`)));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const v = await Visit.findById(visitId).lean();
    expect(v?.attachments).toHaveLength(4);
    expect(v?.history.filter((h) => h.action === 'attachment_added')).toHaveLength(4);
  });

  test('roles and states: 401, 403 for non-auditors, 404 for another auditor, 409 once submitted, 400 without a file', async () => {
    const visitId = await newVisit();
    expect((await upload(null, visitId, jpeg())).status).toBe(401);
    expect((await upload(reviewer, visitId, jpeg())).status).toBe(403);
    expect((await upload(manager, visitId, jpeg())).status).toBe(403);
    expect((await upload({ id: '', token: w.adminToken }, visitId, jpeg())).status).toBe(403);
    expect((await upload(auditor2, visitId, jpeg())).status).toBe(404);
    expect(
      (await request(app).post(`/api/v1/visits/${visitId}/attachments`).set(bearer(auditor.token)).field('note', 'x'))
        .status,
    ).toBe(400);
    expect(
      (
        await request(app)
          .post(`/api/v1/visits/${visitId}/attachments`)
          .set(bearer(auditor.token))
          .attach('photo', jpeg(), 'a.jpg')
      ).status,
    ).toBe(400);
    expect((await request(app).post(`/api/v1/visits/${visitId}/submit`).set(bearer(auditor.token))).status).toBe(200);
    const before = await gridCounts();
    const late = await upload(auditor, visitId, jpeg());
    expect(late.status).toBe(409);
    expect(await gridCounts()).toEqual(before);
  });
});

describe('duplicate evidence', () => {
  test('the same file on two visits flags both; only firm staff see which visits', async () => {
    const a = await newVisit(auditor);
    const b = await newVisit(auditor2);
    const data = pdf();
    expect((await upload(auditor, a, data, 'receipt.pdf')).status).toBe(201);
    expect((await upload(auditor, a, jpeg(), 'other.jpg')).status).toBe(201);
    const first = await request(app).get(`/api/v1/visits/${a}`).set(bearer(auditor.token));
    expect(first.body.flags).toEqual([]);
    expect((await upload(auditor2, b, data, 'copy.pdf')).status).toBe(201);
    const seenByReviewer = async (id: string) =>
      (await request(app).get(`/api/v1/visits/${id}`).set(bearer(reviewer.token))).body;
    const va = await seenByReviewer(a);
    const vb = await seenByReviewer(b);
    expect(va.flags).toEqual([expect.objectContaining({ code: 'duplicate_evidence', visitIds: [b] })]);
    expect(vb.flags).toEqual([expect.objectContaining({ code: 'duplicate_evidence', visitIds: [a] })]);
    expect(va.history.at(-1)).toMatchObject({
      action: 'flags_updated',
      role: 'system',
      by: null,
      changes: [{ field: 'flags', before: [], after: ['duplicate_evidence'] }],
    });
    const ownView = (await request(app).get(`/api/v1/visits/${a}`).set(bearer(auditor.token))).body;
    expect(ownView.flags).toEqual([{ code: 'duplicate_evidence', message: expect.any(String) }]);
    expect(JSON.stringify(ownView)).not.toContain(b);
    const queue = await request(app).get('/api/v1/review/queue').set(bearer(reviewer.token));
    expect(queue.status).toBe(200);
  });

  test('the flag survives the removal of the file (evidence is never forgotten)', async () => {
    const a = await newVisit(auditor);
    const b = await newVisit(auditor);
    const data = jpeg();
    const up = await upload(auditor, a, data);
    await upload(auditor, b, data);
    const del = await request(app).delete(`/api/v1/visits/${a}/attachments/${up.body.id}`).set(bearer(auditor.token));
    expect(del.status).toBe(200);
    expect(del.body.flags.map((f: { code: string }) => f.code)).toEqual(['duplicate_evidence']);
  });
});

describe('download and removal', () => {
  let visitId: string;
  let attachmentId: string;
  const data = pdf();

  beforeAll(async () => {
    visitId = await newVisit();
    attachmentId = (await upload(auditor, visitId, data, '收据 2026.pdf')).body.id;
  });

  test('streams the same bytes with type, UTF-8 file name and nosniff', async () => {
    for (const who of [auditor, reviewer, { id: '', token: w.adminToken }]) {
      const res = await download(who, visitId, attachmentId);
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, data)).toBe(0);
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('收据 2026.pdf')}`);
    }
  });

  test('a large file downloads intact across chunks', async () => {
    const v = await newVisit();
    const big = Buffer.concat([jpeg().subarray(0, 10), rand(MAX - 10)]);
    const id = (await upload(auditor, v, big, 'big.jpg')).body.id;
    const res = await download(auditor, v, id);
    expect(sha(res.body as Buffer)).toBe(sha(big));
  });

  test('only those who may see the visit: other auditor and bank users before approval get 404', async () => {
    expect((await download(auditor2, visitId, attachmentId)).status).toBe(404);
    expect((await download(manager, visitId, attachmentId)).status).toBe(404);
    expect((await download(auditor, visitId, '0123456789abcdef01234567')).status).toBe(404);
    expect((await request(app).get(`/api/v1/visits/${visitId}/attachments/${attachmentId}`)).status).toBe(401);
  });

  test('removal marks removedAt, keeps the file, records history; refused for others and after submission', async () => {
    const extra = (await upload(auditor, visitId, jpeg(), 'wrong.jpg')).body.id;
    const url = `/api/v1/visits/${visitId}/attachments/${extra}`;
    expect((await request(app).delete(url).set(bearer(auditor2.token))).status).toBe(404);
    expect((await request(app).delete(url).set(bearer(reviewer.token))).status).toBe(403);
    expect((await request(app).delete(url)).status).toBe(401);
    const res = await request(app).delete(url).set(bearer(auditor.token));
    expect(res.status).toBe(200);
    const removed = res.body.attachments.find((a: { id: string }) => a.id === extra);
    expect(removed.removedAt).toEqual(expect.any(String));
    expect(res.body.history.at(-1)).toMatchObject({
      action: 'attachment_removed',
      changes: [{ field: `attachments.${extra}.removedAt`, before: null }],
    });
    expect((await request(app).delete(url).set(bearer(auditor.token))).status).toBe(409);
    expect((await download(auditor, visitId, extra)).status).toBe(200); // never deleted
    expect((await request(app).post(`/api/v1/visits/${visitId}/submit`).set(bearer(auditor.token))).status).toBe(200);
    expect(
      (await request(app).delete(`/api/v1/visits/${visitId}/attachments/${attachmentId}`).set(bearer(auditor.token)))
        .status,
    ).toBe(409);
    expect(
      (
        await request(app)
          .post(`/api/v1/visits/${visitId}/review`)
          .set(bearer(reviewer.token))
          .send({ decision: 'approve' })
      ).status,
    ).toBe(200);
    // Approved: the bank sees the evidence, but not what the auditor removed.
    expect((await download(manager, visitId, attachmentId)).status).toBe(200);
    expect((await download(manager, visitId, extra)).status).toBe(404);
    const bankView = (await request(app).get(`/api/v1/visits/${visitId}`).set(bearer(manager.token))).body;
    expect(bankView.attachments.map((a: { id: string }) => a.id)).toEqual([attachmentId]);
  });
});

describe('uploads a dead process left half-stored', () => {
  // As housekeeping asks: the evidence storage knows neither visits nor disputes.
  const heldByVisitOrDispute: HoldsFile = (holder, fileId) =>
    holder.kind === 'visit' ? visitHoldsFile(holder.id, fileId) : disputeHoldsFile(holder.id, fileId);
  const HOUR = 3600_000;
  const oldNote = (fileId: mongoose.Types.ObjectId, holder: 'visit' | 'dispute', holderId: string) =>
    PendingUpload.create({ _id: fileId, holder, holderId, startedAt: new Date(Date.now() - 2 * HOUR) });
  const chunksOf = (fileId: mongoose.Types.ObjectId) =>
    (mongoose.connection.db as mongoose.mongo.Db).collection('evidence.chunks').countDocuments({ files_id: fileId });
  const fileDoc = (fileId: mongoose.Types.ObjectId) =>
    (mongoose.connection.db as mongoose.mongo.Db).collection('evidence.files').findOne({ _id: fileId });

  test('a finished, a refused and a too-large upload leave no note behind', async () => {
    const visitId = await newVisit();
    expect((await upload(auditor, visitId, jpeg(), 'ok.jpg')).status).toBe(201);
    expect((await upload(auditor, visitId, Buffer.from('MZ not an image'.repeat(200)), 'x.exe')).status).toBe(415);
    const max = config().UPLOAD_MAX_BYTES;
    setConfig({ ...config(), UPLOAD_MAX_BYTES: 300 * 1024 }); // a partial file (two chunks) is stored, then refused
    try {
      expect((await upload(auditor, visitId, withHead([0xff, 0xd8, 0xff, 0xe0], 600 * 1024), 'big.jpg')).status).toBe(
        413,
      );
    } finally {
      setConfig({ ...config(), UPLOAD_MAX_BYTES: max });
    }
    expect(await PendingUpload.countDocuments({ holderId: visitId })).toBe(0);
    const attached = (await Visit.findById(visitId).lean())!.attachments.map((a) => a.fileId);
    expect(
      await (mongoose.connection.db as mongoose.mongo.Db)
        .collection('evidence.files')
        .countDocuments({ 'metadata.visitId': visitId }),
    ).toBe(attached.length);
  });

  test('housekeeping removes the chunks of an upload cut off mid-stream, and a stored file never attached', async () => {
    const visitId = await newVisit();
    // Cut off mid-stream: chunks, no file document.
    const cut = new mongoose.Types.ObjectId();
    await oldNote(cut, 'visit', visitId);
    await (mongoose.connection.db as mongoose.mongo.Db)
      .collection('evidence.chunks')
      .insertMany([0, 1].map((n) => ({ files_id: cut, n, data: new mongoose.mongo.Binary(rand(1024)) })));
    // Stored whole, then the process died before attaching it.
    const stray = new mongoose.Types.ObjectId();
    await oldNote(stray, 'visit', visitId);
    await storeEvidence(Readable.from([jpeg()]), 'stray.jpg', { visitId }, stray);
    expect(await fileDoc(stray)).not.toBeNull();
    // A recent note belongs to an upload that may still be streaming: left alone.
    const live = new mongoose.Types.ObjectId();
    await PendingUpload.create({ _id: live, holder: 'visit', holderId: visitId, startedAt: new Date() });

    expect(await purgeAbandonedUploads(new Date(), heldByVisitOrDispute)).toBe(2);
    expect(await chunksOf(cut)).toBe(0);
    expect(await chunksOf(stray)).toBe(0);
    expect(await fileDoc(stray)).toBeNull();
    expect((await PendingUpload.find({ holderId: visitId }).lean()).map((n) => String(n._id))).toEqual([String(live)]);
    await PendingUpload.deleteOne({ _id: live });
  });

  test('a file its visit or dispute holds is kept: only the note left by a death after attaching goes', async () => {
    const visitId = await newVisit();
    const data = jpeg();
    const up = await upload(auditor, visitId, data, 'kept.jpg');
    expect(up.status).toBe(201);
    const fileId = (await Visit.findById(visitId).lean())!.attachments[0]!.fileId;
    await oldNote(fileId, 'visit', visitId);
    const disputeFile = new mongoose.Types.ObjectId();
    const disputeId = new mongoose.Types.ObjectId();
    await storeEvidence(Readable.from([pdf()]), 'proof.pdf', { disputeId: String(disputeId) }, disputeFile);
    await DisputeAttachment.create({
      disputeId,
      fileId: disputeFile,
      filename: 'proof.pdf',
      contentType: 'application/pdf',
      size: 3000,
      sha256: 'f'.repeat(64),
      uploadedBy: manager.id,
      uploadedAt: new Date(),
    });
    await oldNote(disputeFile, 'dispute', String(disputeId));

    expect(await purgeAbandonedUploads(new Date(), heldByVisitOrDispute)).toBe(0);
    expect(await PendingUpload.countDocuments({ _id: { $in: [fileId, disputeFile] } })).toBe(0);
    const back = await download(auditor, visitId, up.body.id);
    expect(back.status).toBe(200);
    expect(sha(back.body as Buffer)).toBe(sha(data));
    expect(await fileDoc(disputeFile)).not.toBeNull();
  });
});
