import type { BrowserContextOptions } from 'playwright-core';
import request from 'supertest';
import { bearer } from './helpers/app';
import { BrowserSuite, PHONE } from './helpers/browser';
import { draftOnPhone, pagesWorld, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD } from './helpers/visits';

/**
 * SPEC §9 on a phone (Debian's Chromium through playwright-core, 390×844): "Arrived" takes the
 * position from the browser's Geolocation API — emulated at the branch, 2 km away, and refused —
 * and the auditor is warned with the reviewer's own flags, never blocked.
 */
const BRANCH = { latitude: 31.2304, longitude: 121.4737 };
const FAR = { latitude: BRANCH.latitude + 2000 / 111_195.08, longitude: BRANCH.longitude };

const b = new BrowserSuite('visit-place-shots-');
let pw: PagesWorld;

beforeAll(async () => {
  const app = await b.start();
  pw = await pagesWorld(app, 'BP');
  const branch = await request(app)
    .post(`/api/v1/banks/${pw.bankId}/branches`)
    .set(bearer(pw.w.adminToken))
    .send({ code: 'G1', name: '静安支行', region: 'North', lat: BRANCH.latitude, lng: BRANCH.longitude });
  expect(branch.status).toBe(201);
}, 120_000);

afterAll(() => b.stop());

const draftVisit = async () => (await draftOnPhone(b.app, pw, { branchCode: 'G1', scenario: '开户' })).visitId;

/** Opens the visit form in a fresh phone profile with this geolocation set-up and taps "Arrived". */
async function arriveWith(
  options: BrowserContextOptions,
): Promise<{ visitId: string; state: string; warnings: string }> {
  const visitId = await draftVisit();
  const { context, page } = await b.signedIn(pw.auditor.email, PASSWORD, {
    viewport: PHONE,
    locale: 'en-US',
    context: options,
  });
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
  expect(b.problems).toEqual([]);
  await context.close();
  return { visitId, state, warnings };
}

const stored = async (visitId: string) =>
  (await request(b.app).get(`/api/v1/visits/${visitId}`).set(bearer(pw.reviewer.token))).body.locations;

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
