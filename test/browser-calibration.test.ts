import request from 'supertest';
import { CalibrationSheet } from '../server/calibration/model';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer } from './helpers/app';
import { BrowserSuite, choose, DESKTOP, formItem as item, PHONE } from './helpers/browser';
import { richQuestionnaire } from './helpers/rich-questionnaire';
import { PASSWORD, VisitWorld, type Actor } from './helpers/visits';
import { postForm, signIn, unmarked } from './helpers/web';

/**
 * Issue 18 / SPEC §12 in a real browser (Debian's Chromium through playwright-core): on a phone
 * (390×844) an auditor answers a calibration case on the visit form's own controls — a number with
 * its unit, a choice, a multiple choice, items appearing by condition, a hidden answer cleared —
 * and the sheet is stored with typed answers, never as a visit. The form without its script: the
 * server drops answers to items not asked and names a refused number under its item.
 */
const b = new BrowserSuite('calibration-shots-');
let w: VisitWorld;
let roundId: string;
const auditors: Actor[] = [];

beforeAll(async () => {
  const app = await b.start();
  w = await VisitWorld.create(app);
  const bankId = await w.bank('BCAL');
  for (let i = 0; i < 3; i++) auditors.push(await w.user(`bcal${i}@firm.test`, 'auditor'));
  const q = await request(app).post('/api/v1/questionnaires').set(bearer(w.adminToken)).send(richQuestionnaire(bankId));
  const round = await request(app)
    .post('/api/v1/calibrations')
    .set(bearer(w.adminToken))
    .send({
      questionnaireId: q.body.id,
      version: 1,
      title: '理财咨询校准',
      caseText: '客户咨询一款 R3 理财产品，柜员完成了风险评估但客户等待了 12 分钟。',
      auditorIds: auditors.map((a) => a.id),
    });
  roundId = round.body.id;
}, 120_000);

afterAll(() => b.stop());

const signedIn = (email: string, password: string, viewport: { width: number; height: number }) =>
  b.signedIn(email, password, { viewport, locale: 'en-US', lang: 'en' });

test('an auditor on a phone answers a case with number, choice and multiple-choice items and a condition chain', async () => {
  const visitsBefore = await Visit.countDocuments({});
  const { context, page } = await signedIn('bcal0@firm.test', PASSWORD, PHONE);
  await page.goto('/calibration');
  await Promise.all([
    page.waitForURL(`${b.base}/calibration/${roundId}`),
    page.click(`a[href="/calibration/${roundId}"]`),
  ]);
  // The visit form's controls: a number box with its unit, option lists, no comment boxes.
  await expect(page.textContent('#item-g_wait .v-unit')).resolves.toBe('min');
  await expect(page.locator('#calibration-form textarea[name^="c."]').count()).resolves.toBe(0);
  for (const key of ['p_fees', 'c_assessed', 'c_match']) await expect(item(page, key).isHidden()).resolves.toBe(true);

  await choose(page, 'g_hello', 'yes');
  await page.fill('input[name="a.g_wait"]', '12');
  await choose(page, 'p_product', 'wealth');
  await expect(item(page, 'p_fees').isVisible()).resolves.toBe(true);
  await expect(item(page, 'c_assessed').isVisible()).resolves.toBe(true);
  await expect(item(page, 'c_match').isHidden()).resolves.toBe(true);
  await choose(page, 'p_fees', 'yes');
  await choose(page, 'c_assessed', 'yes');
  await expect(item(page, 'c_match').isVisible()).resolves.toBe(true);
  await choose(page, 'c_match', 'above');
  // Changing the answer the match depends on hides it, clears its answer and says so.
  await choose(page, 'c_assessed', 'no');
  await expect(item(page, 'c_match').isHidden()).resolves.toBe(true);
  await expect(page.isChecked('input[name="a.c_match"][value="above"]')).resolves.toBe(false);
  await expect(page.textContent('#item-c_assessed .v-cleared')).resolves.toContain('Question c_match');
  await choose(page, 'c_assessed', 'yes');
  await choose(page, 'c_match', 'signed');
  await page.check('input[name="a.c_points:principal"]');
  await page.check('input[name="a.c_points:liquidity"]');
  await choose(page, 'f_overall', '4');
  await page.locator('#item-c_match').scrollIntoViewIfNeeded();
  await b.screenshot(page, 'calibration-answer-390', { fullPage: false });
  await b.screenshot(page, 'calibration-answer-390-full');
  await Promise.all([
    page.waitForURL(`${b.base}/calibration/${roundId}`),
    page.click('#calibration-form button[type="submit"]'),
  ]);
  await expect(page.textContent('main')).resolves.toContain('Your answers are in');

  const sheet = await CalibrationSheet.findOne({ roundId, auditorId: auditors[0].id }).lean().orFail();
  expect(Object.fromEntries(sheet.answers.map((a) => [a.itemKey, a.value]))).toEqual({
    g_hello: 'yes',
    g_wait: 12,
    p_product: 'wealth',
    p_fees: 'yes',
    c_assessed: 'yes',
    c_match: 'signed',
    c_points: ['principal', 'liquidity'],
    f_overall: 4,
  });
  expect(await Visit.countDocuments({})).toBe(visitsBefore);
  expect(b.problems).toEqual([]);
  await context.close();
}, 120_000);

test('without the script: answers to items not asked are dropped, a refused number is named under its item', async () => {
  const web = await signIn(w.app, 'bcal1@firm.test', PASSWORD, 'en');
  const at = `/calibration/${roundId}`;
  const base = {
    'a.g_hello': 'no',
    'a.g_wait': '200',
    'a.p_product': 'deposit',
    // Not asked for a deposit: dropped by the server, as on the visit form.
    'a.p_fees': 'yes',
    'a.c_points:_none': '1',
    'a.f_overall': '2',
  };
  const refused = await postForm(web, at, `${at}/answers`, base);
  expect(refused.status).toBe(422);
  const html = unmarked(refused.text);
  expect(html).toMatch(/id="item-g_wait"[\s\S]*?class="field-error">Enter a number from 0 to 120/);
  // What was chosen stays chosen.
  expect(html).toContain('name="a.p_product" value="deposit" checked');
  expect(await CalibrationSheet.countDocuments({ roundId, auditorId: auditors[1].id })).toBe(0);
  const sent = await postForm(web, at, `${at}/answers`, { ...base, 'a.g_wait': '30' });
  expect(sent.status).toBe(303);
  const sheet = await CalibrationSheet.findOne({ roundId, auditorId: auditors[1].id }).lean().orFail();
  expect(Object.fromEntries(sheet.answers.map((a) => [a.itemKey, a.value]))).toEqual({
    g_hello: 'no',
    g_wait: 30,
    p_product: 'deposit',
    c_points: [],
    f_overall: 2,
  });
  // A required item left out is listed by its words.
  const web2 = await signIn(w.app, 'bcal2@firm.test', PASSWORD, 'en');
  const { 'a.f_overall': _left, ...partial } = { ...base, 'a.g_wait': '30' };
  const missing = unmarked((await postForm(web2, at, `${at}/answers`, partial)).text);
  expect(missing).toMatch(/Answer these items before sending:[\s\S]*<li>Question f_overall<\/li>/);
});

test('the admin form and the reviewer form at phone and desktop size (screenshots)', async () => {
  await w.user('bcal-rev@firm.test', 'reviewer');
  for (const [who, pass, url, name] of [
    [ADMIN.email, ADMIN.password, '/calibration/new', 'new-round'],
    ['bcal-rev@firm.test', PASSWORD, `/calibration/${roundId}`, 'round-reviewer'],
  ] as const) {
    for (const viewport of [PHONE, { ...DESKTOP, height: 900 }]) {
      const { context, page } = await signedIn(who, pass, viewport);
      await page.goto(url);
      const width = await page.evaluate('document.documentElement.scrollWidth');
      expect(width).toBeLessThanOrEqual(viewport.width);
      await b.screenshot(page, `${name}-${viewport.width}`);
      await context.close();
    }
  }
  console.log(`screenshots: ${b.shots}`);
  expect(b.problems).toEqual([]);
}, 120_000);
