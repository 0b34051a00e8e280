import type { Express } from 'express';
import { ADMIN, startTestApp, stopTestApp } from './helpers/app';
import { approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { unlabeledTimes } from './helpers/unlabeled-times';
import { PASSWORD } from './helpers/visits';
import { csrfOf, signIn, unmarked, type Agent } from './helpers/web';

/**
 * "Every time in the bank's zone with the zone named, or the viewer's if they choose" (issue 20):
 * a user picks a zone on their account page and every page then shows times in it, still named;
 * the empty choice is the bank's zone again; only real zones are accepted.
 */
let app: Express;
let f: FeedbackWorld;
let manager: Agent;
let visitId: string;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'VC');
  visitId = (await approvedVisit(f, { branchCode: 'N1', visitedAt: '2026-11-20T14:51:00+08:00' })).id;
  manager = await signIn(app, 'vc-mgr@bank.test', PASSWORD, 'en');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const setClock = async (timezone: string) =>
  manager
    .post('/account/clock')
    .type('form')
    .send({ _csrf: await csrfOf(manager, '/account'), timezone });

const visitedAt = (html: string) => /Visit time<\/dt><dd>([^<]*)<\/dd>/.exec(unmarked(html))?.[1];

test("the bank's zone by default; the viewer's own zone once chosen, named on every page; back to the bank's", async () => {
  let page = await manager.get(`/visits/${visitId}`);
  expect(visitedAt(page.text)).toBe('2026-11-20 14:51 (Asia/Shanghai)');

  expect((await setClock('Europe/London')).status).toBe(303);
  const account = unmarked((await manager.get('/account')).text);
  expect(account).toContain(
    'Times are shown in the zone you chose, Europe/London (your bank’s zone is Asia/Shanghai).',
  );
  expect(account).toContain('<option value="Europe/London" selected>');
  page = await manager.get(`/visits/${visitId}`);
  expect(visitedAt(page.text)).toBe('2026-11-20 06:51 (Europe/London)');
  // Every time of the page, and of the home and disputes pages, names the chosen zone.
  for (const path of [`/visits/${visitId}`, '/', '/disputes', '/reports']) {
    const html = unmarked((await manager.get(path)).text);
    expect(unlabeledTimes(html)).toEqual([]);
    expect(html).not.toContain('(Asia/Shanghai)');
  }

  expect((await setClock('')).status).toBe(303);
  page = await manager.get(`/visits/${visitId}`);
  expect(visitedAt(page.text)).toBe('2026-11-20 14:51 (Asia/Shanghai)');
});

test('only a real zone is accepted; the choice is one’s own', async () => {
  const bad = await setClock('Mars/Olympus_Mons');
  expect(bad.status).toBe(422);
  const admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
  expect(unmarked((await admin.get('/account')).text)).toContain('Times are shown in your bank’s zone');
  expect((await manager.get(`/visits/${visitId}`)).text).toContain('(Asia/Shanghai)');
});
