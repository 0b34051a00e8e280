import type { Express } from 'express';
import exifr from 'exifr';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { jpegWithExif, MAKER_NOTE, plainJpeg } from './helpers/evidence-images';
import { api, draftVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { PASSWORD } from './helpers/visits';
import { signIn, unmarked, type Agent } from './helpers/web';

/**
 * Issue 15 defect 7 / SPEC §9 "Metadata": nothing a bank user is shown or sent names the auditor
 * through an uploaded file — not the file name (in the evidence list, the history lines, the image's
 * alt text, the download's name), not the photo's EXIF. Checked on the pages, where the API's
 * neutral names alone do not reach, and in every JSON a bank user reads about the visit.
 */
let app: Express;
let f: FeedbackWorld;
let visitId: string;
let bank: Agent;
const ORIGINAL_NAMES = ['张三-工行-20261201.jpg', 'zhang.san-receipt.jpg'];
const photo = jpegWithExif({ taken: '2026:12:01 10:20:30', gps: { lat: 31.2304, lng: 121.4737 } });

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'EB');
  visitId = (await draftVisit(f)).id;
  for (const [file, name] of [
    [photo, ORIGINAL_NAMES[0]],
    [plainJpeg(32, 24, 5), ORIGINAL_NAMES[1]],
  ] as const) {
    const res = await request(app)
      .post(`/api/v1/visits/${visitId}/attachments`)
      .set(bearer(f.auditor.token))
      .attach('file', file, name);
    expect(res.status).toBe(201);
  }
  expect((await api(f).post(f.auditor, `/visits/${visitId}/submit`)).status).toBe(200);
  expect((await api(f).post(f.reviewer, `/visits/${visitId}/review`, { decision: 'approve' })).status).toBe(200);
  bank = await signIn(app, 'eb-mgr@bank.test', PASSWORD, 'en');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const revealing = (text: string) =>
  ORIGINAL_NAMES.flatMap((n) => [n, n.replace(/\.jpg$/, '')]).filter((n) => text.includes(n));

test("the bank user's visit page names the files neutrally, in the list, the alt texts and the history lines", async () => {
  const res = await bank.get(`/visits/${visitId}`);
  expect(res.status).toBe(200);
  expect(revealing(res.text)).toEqual([]);
  const text = unmarked(res.text);
  expect(text).toContain('evidence-1.jpg');
  expect(text).toContain('evidence-2.jpg');
  expect(res.text).toContain('alt="evidence-1.jpg"');
  const history = unmarked(res.text.slice(res.text.indexOf('id="history"')));
  expect(history).toContain('evidence-1.jpg');
  expect(history).toContain('evidence-2.jpg');
});

test('the page that opens a dispute on the visit names no file either', async () => {
  const res = await bank.get(`/disputes/new?visitId=${visitId}`);
  expect(res.status).toBe(200);
  expect(revealing(res.text)).toEqual([]);
});

test("the bank user's image from the page is served inline, stripped, under its neutral name", async () => {
  const v = (await api(f).get(f.manager, `/visits/${visitId}`)).body;
  const res = await bank
    .get(`/visits/${visitId}/attachments/${v.attachments[0].id}`)
    .buffer(true)
    .parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => cb(null, Buffer.concat(parts)));
    });
  expect(res.status).toBe(200);
  expect(res.headers['content-disposition']).toMatch(/^inline; filename="?evidence-1\.jpg"?$/);
  expect(res.headers['content-length']).toBeUndefined();
  const body = res.body as Buffer;
  expect(body.length).toBeGreaterThan(0);
  expect(body.includes(Buffer.from(MAKER_NOTE, 'latin1'))).toBe(false);
  expect(await exifr.gps(body).catch(() => undefined)).toBeUndefined();
});

test('every JSON a bank user reads about the visit is free of the original names; the reviewer still sees them', async () => {
  const reads = [`/visits/${visitId}`, `/visits?bankId=${f.bankId}&quarter=2026-Q4`];
  for (const path of reads) {
    const res = await api(f).get(f.manager, path);
    expect(res.status).toBe(200);
    expect(revealing(JSON.stringify(res.body))).toEqual([]);
  }
  const firm = await api(f).get(f.reviewer, `/visits/${visitId}`);
  expect(revealing(JSON.stringify(firm.body))).toEqual(ORIGINAL_NAMES.flatMap((n) => [n, n.replace(/\.jpg$/, '')]));
});
