import crypto from 'node:crypto';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { bearer } from './helpers/app';
import { BrowserSuite } from './helpers/browser';
import { jpegWithExif } from './helpers/evidence-images';
import { draftOnPhone, pagesWorld, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD } from './helpers/visits';

/**
 * A real drop (issue 16): the phone's browser uploads a 4 MB photo with public/resumable-upload.js
 * over the web session; half-way the app server's listener is closed with every open connection,
 * then brought back on the same port. The upload goes on from the offset the server kept — never
 * from the start — and what is stored is the file byte for byte (SHA-256 of the stored download).
 */
setConfig({ ...config(), UPLOAD_MAX_BYTES: 8 * 1024 * 1024 });
const PART = 512 * 1024;

// Its own page watchers below (a dropped upload fails requests on purpose); the suite's `problems` are not read.
const b = new BrowserSuite('resumable-upload-');
let pw: PagesWorld;

beforeAll(async () => {
  pw = await pagesWorld(await b.start(), 'RB');
}, 120_000);

afterAll(() => b.stop());

test('the server goes away mid-upload and comes back: the upload resumes where it stopped, byte for byte', async () => {
  const { visitId } = await draftOnPhone(b.app, pw, { branchCode: 'N1', scenario: '开户' });
  const file = Buffer.concat([jpegWithExif({ taken: '2026:12:01 10:20:30' }), crypto.randomBytes(4 * 1024 * 1024)]);
  const base = b.base;
  const context = await b.browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: base, isMobile: true });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/login');
  await page.fill('input[name="email"]', pw.auditor.email);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  await page.goto(`/visits/${visitId}/edit`);
  await page.addScriptTag({ url: '/static/resumable-upload.js' });
  // Uploads at 2 MB/s, so that the drop lands inside a part rather than between two.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 5,
    downloadThroughput: -1,
    uploadThroughput: 2 * 1024 * 1024,
  });

  const offsets: number[] = [];
  let failed = 0;
  page.on('request', (r) => {
    const m = /\/uploads\/[0-9a-f]{32}\?offset=(\d+)$/.exec(r.url());
    if (m && r.method() === 'PATCH') offsets.push(Number(m[1]));
  });
  page.on('requestfailed', (r) => {
    if (r.method() === 'PATCH') failed++;
  });
  let dropped = false;
  let downFor: Promise<void> | undefined;
  await page.exposeFunction('reportProgress', (sent: number) => {
    if (dropped || sent < file.length * 0.4) return;
    dropped = true;
    downFor = b.down().then(() => new Promise<void>((r) => setTimeout(() => r(b.up()), 2500)));
  });
  const attachment = await page.evaluate(
    async ({ id, b64, part }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const blob = new Blob([bytes], { type: 'image/jpeg' });
      const w = globalThis as unknown as {
        ResumableUpload: { send: (...a: unknown[]) => Promise<Record<string, unknown>> };
        reportProgress: (n: number) => void;
      };
      return w.ResumableUpload.send(id, blob, {
        name: '现场照片.jpg',
        itemKey: 'g1',
        idempotencyKey: 'browser-drop-1',
        partBytes: part,
        firstPauseMs: 300,
        onProgress: (p: { sent: number }) => w.reportProgress(p.sent),
      });
    },
    { id: visitId, b64: file.toString('base64'), part: PART },
  );
  await downFor;
  await context.close();

  expect(dropped).toBe(true);
  expect(failed).toBeGreaterThanOrEqual(1);
  // Never back to the start: every part starts at or after the one before it, past the drop too.
  expect(offsets[0]).toBe(0);
  for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]);
  expect(offsets.filter((o) => o === 0)).toHaveLength(1);
  const sha = crypto.createHash('sha256').update(file).digest('hex');
  expect(attachment).toMatchObject({ filename: '现场照片.jpg', size: file.length, sha256: sha, itemKey: 'g1' });
  const stored = await request(b.app)
    .get(`/api/v1/visits/${visitId}/attachments/${attachment.id as string}`)
    .set(bearer(pw.reviewer.token))
    .buffer(true)
    .parse((res, cb) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => cb(null, Buffer.concat(parts)));
    });
  expect(
    crypto
      .createHash('sha256')
      .update(stored.body as Buffer)
      .digest('hex'),
  ).toBe(sha);
  const v = (await request(b.app).get(`/api/v1/visits/${visitId}`).set(bearer(pw.reviewer.token))).body;
  expect(v.attachments).toHaveLength(1);
  expect(errors).toEqual([]);
}, 180_000);
