import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { chromium, type Browser, type BrowserContextOptions } from 'playwright-core';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { pagesWorld, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD, windowAroundNow } from './helpers/visits';

/**
 * SPEC §9 on a phone (Debian's Chromium through playwright-core, 390×844): "Arrived" takes the
 * position from the browser's Geolocation API — emulated at the branch, 2 km away, and refused —
 * and the auditor is warned with the reviewer's own flags, never blocked.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHONE = { width: 390, height: 844 };
const BRANCH = { latitude: 31.2304, longitude: 121.4737 };
const FAR = { latitude: BRANCH.latitude + 2000 / 111_195.08, longitude: BRANCH.longitude };

let app: Express;
let server: Server;
let base: string;
let browser: Browser;
let pw: PagesWorld;

beforeAll(async () => {
  app = await startTestApp();
  pw = await pagesWorld(app, 'BP');
  const branch = await request(app)
    .post(`/api/v1/banks/${pw.bankId}/branches`)
    .set(bearer(pw.w.adminToken))
    .send({ code: 'G1', name: '静安支行', region: 'North', lat: BRANCH.latitude, lng: BRANCH.longitude });
  expect(branch.status).toBe(201);
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stopTestApp();
});

async function draftVisit(): Promise<string> {
  const assignmentId = await pw.w.assignment({
    bankId: pw.bankId,
    branchCode: 'G1',
    auditorId: pw.auditor.id,
    questionnaireId: pw.smallQuestionnaireId,
    quarter: '2026-Q4',
    ...windowAroundNow(),
    scenario: '开户',
  });
  const res = await request(app)
    .post('/api/v1/visits')
    .set(bearer(pw.auditor.token))
    .send({ assignmentId, visitedAt: new Date(Date.now() - 10 * 60_000).toISOString(), durationMinutes: 20 });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** Opens the visit form in a fresh phone profile with this geolocation set-up and taps "Arrived". */
async function arriveWith(
  options: BrowserContextOptions,
): Promise<{ visitId: string; state: string; warnings: string }> {
  const visitId = await draftVisit();
  const context = await browser.newContext({
    viewport: PHONE,
    locale: 'en-US',
    baseURL: base,
    isMobile: true,
    ...options,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/login');
  await page.fill('input[name="email"]', pw.auditor.email);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  await page.goto(`/visits/${visitId}/edit`);
  const response = page.waitForResponse((r) => r.url().endsWith(`/visits/${visitId}/location`));
  await page.click('#place button[data-kind="arrive"]');
  expect((await response).status()).toBe(201);
  await page.locator('#place button[data-kind="arrive"]:not([disabled])').waitFor();
  const state = (await page.textContent('#place [data-state="arrive"]')) ?? '';
  const warnings = (await page.locator('#place-warnings').isVisible())
    ? ((await page.textContent('#place-warnings')) ?? '')
    : '';
  // The form stays usable: nothing is blocked.
  expect(await page.locator('button[name="action"][value="submit"]').isEnabled()).toBe(true);
  expect(errors).toEqual([]);
  await context.close();
  return { visitId, state, warnings };
}

const stored = async (visitId: string) =>
  (await request(app).get(`/api/v1/visits/${visitId}`).set(bearer(pw.reviewer.token))).body.locations;

test('at the branch: the position is recorded with its accuracy and no warning is shown', async () => {
  const r = await arriveWith({ geolocation: { ...BRANCH, accuracy: 12 }, permissions: ['geolocation'] });
  expect(r.state).toMatch(/recorded \(±12 m\)/);
  expect(r.warnings).toBe('');
  const [arrive] = await stored(r.visitId);
  expect(arrive).toMatchObject({ kind: 'arrive', accuracy: 12 });
  expect(arrive.lat).toBeCloseTo(BRANCH.latitude, 6);
  expect(arrive.lng).toBeCloseTo(BRANCH.longitude, 6);
});

test('2 km away: recorded, and the auditor is warned that it is far from the branch', async () => {
  const r = await arriveWith({ geolocation: { ...FAR, accuracy: 20 }, permissions: ['geolocation'] });
  expect(r.state).toMatch(/recorded/);
  expect(r.warnings).toContain('Arrived far from the branch');
  expect(r.warnings).not.toContain('No location');
  expect((await stored(r.visitId))[0].lat).toBeCloseTo(FAR.latitude, 6);
});

test('permission refused: the refusal is recorded and the auditor is warned of "no location"', async () => {
  const r = await arriveWith({ permissions: [] });
  expect(r.state).toMatch(/refused/);
  expect(r.warnings).toContain('No location');
  expect(r.warnings).not.toContain('far from the branch');
  const [arrive] = await stored(r.visitId);
  expect(arrive).toMatchObject({ kind: 'arrive', refused: true });
  expect(arrive.lat).toBeUndefined();
});
