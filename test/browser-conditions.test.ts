import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer } from './helpers/app';
import { BrowserSuite, choose, DESKTOP, formItem as item, PHONE } from './helpers/browser';
import { richQuestionnaire } from './helpers/rich-questionnaire';
import { pngImage } from './helpers/visit-pages';
import { PASSWORD, VisitWorld, windowAroundNow, type Actor } from './helpers/visits';

/**
 * SPEC §10 in a real browser (Debian's Chromium through playwright-core): on a phone (390×844) an
 * auditor fills a form whose items appear by condition, changes an answer so that one disappears
 * (its answer cleared, and the auditor told), fails an evidence-on-failure item, is asked for the
 * photo right there and cannot submit without it; on a laptop (1366×768) an admin edits a
 * questionnaire: the fields of the chosen type, the live check of a forward condition, the preview.
 */
// A submit with missing evidence answers 422 on purpose.
const b = new BrowserSuite('conditions-shots-', /\/visits\/[a-f0-9]{24}\/edit$/);
let w: VisitWorld;
let bankId: string;
let questionnaireId: string;
let auditor: Actor;

beforeAll(async () => {
  const app = await b.start();
  w = await VisitWorld.create(app);
  bankId = await w.bank('BC1');
  await w.branch(bankId, 'C1', 'North');
  auditor = await w.user('bc-aud@firm.test', 'auditor');
  const q = await request(app).post('/api/v1/questionnaires').set(bearer(w.adminToken)).send(richQuestionnaire(bankId));
  questionnaireId = q.body.id;
}, 120_000);

afterAll(() => b.stop());

const signedIn = (email: string, password: string, viewport: { width: number; height: number }) =>
  b.signedIn(email, password, { viewport, locale: 'en-US', lang: 'en' });

const saved = (page: Page) => page.waitForSelector('#save-status[data-state="ok"]');

test('an auditor on a phone: items appear by condition, a hidden answer is cleared, a failed item asks for its photo', async () => {
  const assignmentId = await w.assignment({
    bankId,
    branchCode: 'C1',
    auditorId: auditor.id,
    questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '咨询理财',
  });
  const { context, page } = await signedIn('bc-aud@firm.test', PASSWORD, PHONE);
  await page.goto('/assignments');
  await page.click(`#assignment-${assignmentId} summary`);
  await page.fill(`#assignment-${assignmentId} input[name="durationMinutes"]`, '30');
  await Promise.all([
    page.waitForURL(/\/visits\/[a-f0-9]{24}\/edit$/),
    page.click(`#assignment-${assignmentId} form button[type="submit"]`),
  ]);
  const visitId = /\/visits\/([a-f0-9]{24})\/edit$/.exec(page.url())?.[1] as string;

  // Nothing answered: the suitability chain is not asked yet.
  for (const key of ['p_fees', 'c_assessed', 'c_match']) await expect(item(page, key).isHidden()).resolves.toBe(true);
  await choose(page, 'g_hello', 'yes');
  await page.fill('input[name="a.g_wait"]', '4');
  await expect(page.textContent('#item-g_wait .v-unit')).resolves.toBe('min');
  // An investment product: its items appear; the risk match waits for the assessment.
  await choose(page, 'p_product', 'wealth');
  await expect(item(page, 'p_fees').isVisible()).resolves.toBe(true);
  await expect(item(page, 'c_assessed').isVisible()).resolves.toBe(true);
  await expect(item(page, 'c_match').isHidden()).resolves.toBe(true);
  await choose(page, 'p_fees', 'yes');
  await choose(page, 'c_assessed', 'yes');
  await expect(item(page, 'c_match').isVisible()).resolves.toBe(true);
  await choose(page, 'c_match', 'match');
  await page.check('input[name="a.c_points:principal"]');
  await page.check('input[name="a.c_points:liquidity"]');
  await choose(page, 'f_overall', '4');
  await saved(page);
  await page.locator('#item-c_assessed').scrollIntoViewIfNeeded();
  await b.screenshot(page, 'conditions-shown-390', { fullPage: false });

  // No assessment after all: the risk match is no longer asked, its answer is cleared and the auditor told.
  await choose(page, 'c_assessed', 'no');
  await expect(item(page, 'c_match').isHidden()).resolves.toBe(true);
  await expect(page.isChecked('input[name="a.c_match"][value="match"]')).resolves.toBe(false);
  await expect(page.textContent('#item-c_assessed .v-cleared')).resolves.toContain('Question c_match');
  // The rules say the answer fails an evidence-on-failure item: the photo is asked for right there.
  await page.waitForSelector('#item-c_assessed .v-evidence-ask:not([hidden]) .v-ev-needed:not([hidden])');
  await saved(page);
  await page.locator('#item-c_assessed').scrollIntoViewIfNeeded();
  const asked = await b.screenshot(page, 'evidence-asked-390', { fullPage: false });
  console.log(`evidence asked (390×844): ${asked}`);
  let stored = await Visit.findById(visitId).lean().orFail();
  expect(stored.answers.map((a) => a.itemKey)).not.toContain('c_match');

  // Submitting without the photo lists the item as needing evidence; nothing is submitted.
  await Promise.all([page.waitForSelector('#missing'), page.click('button[value="submit"]')]);
  await expect(page.textContent('#missing')).resolves.toContain('failed: evidence needed');
  await expect(page.locator('#missing a[href="#item-c_assessed"]').count()).resolves.toBe(1);
  expect((await Visit.findById(visitId).lean().orFail()).status).toBe('draft');

  // The photo, picked under the item, names it.
  const photo = path.join(b.shots, 'no-assessment.png');
  fs.writeFileSync(photo, pngImage(320, 240, 11));
  await page.setInputFiles('#item-c_assessed input[type="file"]', photo);
  await page.waitForSelector('#item-c_assessed .v-ev-done:not([hidden])');
  await expect(page.isHidden('#item-c_assessed .v-ev-needed')).resolves.toBe(true);
  stored = await Visit.findById(visitId).lean().orFail();
  expect(stored.attachments.map((a) => a.itemKey)).toEqual(['c_assessed']);

  await Promise.all([page.waitForURL(`${b.base}/visits/${visitId}`), page.click('button[value="submit"]')]);
  stored = await Visit.findById(visitId).lean().orFail();
  expect(stored.status).toBe('submitted');
  expect(stored.violations).toEqual([{ itemKey: 'c_assessed', sectionKey: 'sales_compliance' }]);
  // The read view: the violation worded as the failure, the hidden item as not asked.
  await expect(page.textContent('.v-violations')).resolves.toContain('Recommended without an assessment');
  await expect(page.textContent('#item-c_match')).resolves.toContain('not asked');
  expect(b.problems).toEqual([]);
  await context.close();
}, 120_000);

test('an admin on a laptop: type fields, a live check of a forward condition, an interactive phone preview', async () => {
  const { context, page } = await signedIn(ADMIN.email, ADMIN.password, DESKTOP);
  await page.goto(`/admin/questionnaires/${questionnaireId}`);
  // The whole editor fits a laptop screen: nothing is cut off on the right.
  const width = await page.evaluate('document.documentElement.scrollWidth');
  expect(width).toBeLessThanOrEqual(1366);
  await expect(page.isVisible('input[name="i.greeting.0.required"]')).resolves.toBe(true);
  await b.screenshot(page, 'editor-1366', { fullPage: false });

  // A yes/no card shows no options; choosing "choice" shows them.
  const card = page.locator('fieldset.q-section[data-section="greeting"] fieldset.q-item').first();
  await expect(card.locator('.q-for-options').isHidden()).resolves.toBe(true);
  await card.locator('select.q-type').selectOption('choice');
  await expect(card.locator('.q-for-options').isVisible()).resolves.toBe(true);
  await card.locator('select.q-type').selectOption('yes_no');

  // The preview is the phone form: answering the product shows the items that depend on it.
  await page.waitForSelector('#q-preview-form');
  await expect(page.isHidden('#q-preview #item-p_fees')).resolves.toBe(true);
  await page.click('#q-preview #item-p_product label:has-text("Option wealth")');
  await expect(page.isVisible('#q-preview #item-p_fees')).resolves.toBe(true);

  // A condition on a later item is caught as it is typed.
  const first = page.locator('fieldset.q-section[data-section="greeting"] fieldset.q-item').first();
  await first.locator('summary').click();
  await first.locator('input.q-if-item').fill('f_overall');
  await first.locator('input.q-if-in').fill('5');
  await page.waitForSelector('#q-problems');
  await expect(page.textContent('#q-problems')).resolves.toContain(
    'g_hello: a condition must refer to an earlier item',
  );
  await b.screenshot(page, 'editor-check-1366', { fullPage: false });
  // Put right, the check passes again.
  await first.locator('input.q-if-item').fill('');
  await first.locator('input.q-if-in').fill('');
  await page.waitForSelector('#q-checked');
  expect(b.problems).toEqual([]);
  await context.close();
}, 90_000);
