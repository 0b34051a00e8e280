import { Readable } from 'node:stream';
import type { Express } from 'express';
import exifr from 'exifr';
import jpeg from 'jpeg-js';
import request from 'supertest';
import { isoBoxesReachMeta, readImageFacts } from '../server/evidence/metadata';
import { metadataFilter } from '../server/evidence/strip';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import {
  jpegWithExif,
  MAKER_NOTE,
  plainJpeg,
  pngChunkTypes,
  pngWithMetadata,
  riffChunks,
  webpWithMetadata,
  XMP_MARK,
} from './helpers/evidence-images';
import { api, draftVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';

// pngjs ships no types; only its synchronous reader is used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read: (b: Buffer) => { data: Buffer } } } };

/**
 * SPEC §9 metadata: EXIF capture time and GPS read on upload (exifr) and shown to the audit firm;
 * bank-side users get every image without EXIF, XMP, GPS and maker notes, under a neutral name,
 * while reviewers and admins get the original byte for byte.
 */
let app: Express;
let f: FeedbackWorld;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'EM');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const newDraft = async () => (await draftVisit(f)).id;

const upload = (visitId: string, file: Buffer, name: string, itemKey?: string) => {
  const r = request(app).post(`/api/v1/visits/${visitId}/attachments`).set(bearer(f.auditor.token));
  return (itemKey !== undefined ? r.field('itemKey', itemKey) : r).attach('file', file, name);
};

async function approve(visitId: string): Promise<void> {
  expect((await api(f).post(f.auditor, `/visits/${visitId}/submit`)).status).toBe(200);
  expect((await api(f).post(f.reviewer, `/visits/${visitId}/review`, { decision: 'approve' })).status).toBe(200);
}

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

const has = (buf: Buffer, text: string) => buf.includes(Buffer.from(text, 'latin1'));

describe('photos on upload and download', () => {
  let visitId: string;
  const photo = jpegWithExif({ taken: '2026:12:01 10:20:30', gps: { lat: 31.2304, lng: 121.4737 } });
  const withOffset = jpegWithExif({ taken: '2026:12:01 10:20:30', offset: '+02:00' }, 7);
  const bare = plainJpeg(64, 48, 3);
  const png = pngWithMetadata();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    visitId = await newDraft();
    const first = await upload(visitId, photo, '张三-工行-20261201.jpg', 'g1');
    expect(first.status).toBe(201);
    // Read in the bank's zone (Asia/Shanghai, +08:00) since the camera recorded no offset.
    expect(first.body).toMatchObject({ itemKey: 'g1', capturedAt: '2026-12-01T02:20:30.000Z' });
    expect(first.body.gps).toBeUndefined(); // the GPS is for the audit firm's staff
    ids.photo = first.body.id;
    const second = await upload(visitId, withOffset, 'offset.jpg');
    expect(second.body.capturedAt).toBe('2026-12-01T08:20:30.000Z');
    ids.offset = second.body.id;
    const third = await upload(visitId, bare, 'bare.jpg');
    expect(third.status).toBe(201);
    expect(third.body.capturedAt).toBeUndefined();
    ids.bare = third.body.id;
    ids.png = (await upload(visitId, png, 'receipt-zhang.png')).body.id;
    const heic = Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    ids.heic = (await upload(visitId, heic, 'IMG_0001.HEIC')).body.id;
    await approve(visitId);
  }, SETUP_TIMEOUT_MS);

  test('an item key must be one of the questionnaire: 422 naming itemKey, nothing attached', async () => {
    const other = await newDraft();
    const res = await upload(other, bare, 'x.jpg', 'no_such_item');
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].field).toBe('itemKey');
    expect((await api(f).get(f.auditor, `/visits/${other}`)).body.attachments).toEqual([]);
  });

  test('the reviewer and the admin see capture time and GPS, and download the original byte for byte', async () => {
    const v = (await api(f).get(f.reviewer, `/visits/${visitId}`)).body;
    const a = v.attachments.find((x: { id: string }) => x.id === ids.photo);
    expect(a).toMatchObject({
      filename: '张三-工行-20261201.jpg',
      itemKey: 'g1',
      capturedAt: '2026-12-01T02:20:30.000Z',
    });
    expect(a.gps.lat).toBeCloseTo(31.2304, 4);
    expect(a.gps.lng).toBeCloseTo(121.4737, 4);
    for (const who of [f.reviewer, f.admin]) {
      const res = await download(who, visitId, ids.photo);
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body as Buffer, photo)).toBe(0);
      expect(res.headers['content-disposition']).toContain('20261201.jpg');
    }
  });

  test('a bank user gets the JPEG with no EXIF, XMP, GPS, maker note or comment, same pixels, a neutral name', async () => {
    const res = await download(f.manager, visitId, ids.photo);
    expect(res.status).toBe(200);
    const body = res.body as Buffer;
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?evidence-1\.jpg"?$/);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(await exifr.parse(body, { tiff: true, exif: true, gps: true, xmp: true, iptc: true })).toBeUndefined();
    expect(await exifr.gps(body).catch(() => undefined)).toBeUndefined();
    for (const mark of [MAKER_NOTE, XMP_MARK, 'Exif', 'PhoneCo', 'auditor zhang', 'http://ns.adobe.com/xap'])
      expect(has(body, mark)).toBe(false);
    const before = jpeg.decode(photo);
    const after = jpeg.decode(body);
    expect([after.width, after.height]).toEqual([64, 48]);
    expect(Buffer.compare(Buffer.from(after.data), Buffer.from(before.data))).toBe(0);
    // A photo without metadata loses nothing but is still renamed.
    const plain = await download(f.manager, visitId, ids.bare);
    expect(Buffer.compare(plain.body as Buffer, bare)).toBe(0);
    expect(plain.headers['content-disposition']).toMatch(/^attachment; filename="?evidence-3\.jpg"?$/);
  });

  test('a bank user gets the PNG without eXIf, text and time chunks, same pixels', async () => {
    const res = await download(f.manager, visitId, ids.png);
    const body = res.body as Buffer;
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?evidence-4\.png"?$/);
    expect(pngChunkTypes(png)).toEqual(expect.arrayContaining(['eXIf', 'tEXt', 'tIME']));
    expect(pngChunkTypes(body)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(has(body, MAKER_NOTE) || has(body, XMP_MARK)).toBe(false);
    expect(Buffer.compare(PNG.sync.read(body).data, PNG.sync.read(png).data)).toBe(0);
  });

  test('a HEIC photo, whose metadata is not removed here, is never served to a bank user', async () => {
    expect((await download(f.manager, visitId, ids.heic)).status).toBe(404);
    expect((await download(f.reviewer, visitId, ids.heic)).status).toBe(200);
  });

  test("the bank user's visit shows neutral names, no capture facts, and no original name in the history", async () => {
    const res = await api(f).get(f.manager, `/visits/${visitId}`);
    expect(res.status).toBe(200);
    expect(res.body.attachments.map((a: { filename: string }) => a.filename)).toEqual([
      'evidence-1.jpg',
      'evidence-2.jpg',
      'evidence-3.jpg',
      'evidence-4.png',
      'evidence-5.heic',
    ]);
    for (const a of res.body.attachments) {
      expect(a.capturedAt).toBeUndefined();
      expect(a.gps).toBeUndefined();
    }
    const text = JSON.stringify(res.body);
    for (const name of ['张三', 'offset.jpg', 'bare.jpg', 'receipt-zhang', 'IMG_0001'])
      expect(text).not.toContain(name);
    const added = res.body.history.filter((h: { action: string }) => h.action === 'attachment_added');
    expect(added.map((h: { changes: { after: { filename: string } }[] }) => h.changes[0].after.filename)).toEqual([
      'evidence-1.jpg',
      'evidence-2.jpg',
      'evidence-3.jpg',
      'evidence-4.png',
      'evidence-5.heic',
    ]);
  });
});

describe('the streaming filters', () => {
  async function through(contentType: string, file: Buffer, chunk: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let i = 0; i < file.length; i += chunk) parts.push(file.subarray(i, i + chunk));
    const out: Buffer[] = [];
    const filter = metadataFilter(contentType);
    if (!filter) throw new Error('no filter');
    await new Promise<void>((resolve, reject) =>
      Readable.from(parts)
        .pipe(filter)
        .on('data', (c: Buffer) => out.push(c))
        .on('end', resolve)
        .on('error', reject),
    );
    return Buffer.concat(out);
  }

  test('give the same bytes whatever the chunk boundaries (1 byte, 7 bytes, whole)', async () => {
    const photo = jpegWithExif({ taken: '2026:12:01 10:20:30', gps: { lat: 1, lng: 2 } });
    const whole = await through('image/jpeg', photo, photo.length);
    expect(has(whole, MAKER_NOTE)).toBe(false);
    for (const size of [1, 7, 4096]) expect(Buffer.compare(await through('image/jpeg', photo, size), whole)).toBe(0);
    const png = pngWithMetadata();
    const pngWhole = await through('image/png', png, png.length);
    expect(Buffer.compare(await through('image/png', png, 3), pngWhole)).toBe(0);
  });

  test('JPEG: an image without metadata passes unchanged; data appended after EOI is dropped', async () => {
    const bare = plainJpeg(40, 30, 9);
    expect(Buffer.compare(await through('image/jpeg', bare, 5), bare)).toBe(0);
    const appended = Buffer.concat([bare, jpegWithExif({ gps: { lat: 3, lng: 4 } })]);
    expect(Buffer.compare(await through('image/jpeg', appended, 11), bare)).toBe(0);
  });

  test('WebP: EXIF and XMP become zero-filled JUNK of the same size, and VP8X no longer announces them', async () => {
    const webp = webpWithMetadata();
    for (const size of [1, 5, webp.length]) {
      const out = await through('image/webp', webp, size);
      expect(out.length).toBe(webp.length);
      expect(out.readUInt32LE(4)).toBe(webp.readUInt32LE(4));
      expect(riffChunks(out)).toEqual(['VP8X', 'VP8L', 'JUNK', 'JUNK']);
      expect(out[20] & 0x0c).toBe(0);
      expect(out[20] & 0x10).toBe(0x10);
      expect(has(out, MAKER_NOTE) || has(out, XMP_MARK) || has(out, 'GPS')).toBe(false);
      expect(has(out, 'image-bits-not-decoded-here')).toBe(true);
    }
  });
});

describe('reading capture facts from HEIC', () => {
  const box = (size: number, kind: string, body = 0) => {
    const b = Buffer.alloc(8 + body);
    b.writeUInt32BE(size, 0);
    b.write(kind, 4, 'latin1');
    return b;
  };
  const ftyp = Buffer.concat([box(24, 'ftyp', 0), Buffer.from('heic\0\0\0\0mif1heic', 'latin1')]);

  test('boxes leading to "meta" within the head are handed to the parser', () => {
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, box(16, 'free', 8), box(12, 'meta', 4)]))).toBe(true);
    // A 64-bit size (size field 1) is followed.
    const large = Buffer.alloc(16);
    large.writeUInt32BE(1, 0);
    large.write('mdat', 4, 'latin1');
    large.writeBigUInt64BE(20n, 8);
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, large, Buffer.alloc(4), box(12, 'meta', 4)]))).toBe(true);
  });

  test('a box of size 0 or below its header, or a "meta" beyond the head, is refused', () => {
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, Buffer.alloc(64)]))).toBe(false);
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, box(7, 'free', 8), box(12, 'meta', 4)]))).toBe(false);
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, box(40, 'meta', 4)]))).toBe(false);
    expect(isoBoxesReachMeta(Buffer.concat([ftyp, box(16, 'free', 8)]))).toBe(false);
  });

  test('a crafted HEIC whose boxes never reach "meta" yields no facts instead of freezing the server', async () => {
    // Before the guard, exifr looped forever on the zero-sized box after "ftyp" (the event loop froze).
    const crafted = Buffer.concat([Buffer.from('\0\0\0\x18ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    await expect(readImageFacts('image/heic', crafted)).resolves.toEqual({});
  });
});
