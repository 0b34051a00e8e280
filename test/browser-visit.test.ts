import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Visit } from '../server/visits/model';
import { demoQuestionnaireBody } from '../seed/questionnaire';
import { BrowserSuite, PHONE } from './helpers/browser';
import { assign, pagesWorld, pngImage, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD } from './helpers/visits';

/**
 * The auditor journey in a real browser (Debian's Chromium through playwright-core) at a phone's
 * 390×844 viewport: fill, autosave, attach a photo, submit; the reviewer returns it; the auditor
 * corrects and resubmits; the reviewer approves.
 */
// A submit with missing items answers 422 on purpose.
const b = new BrowserSuite('visit-form-shots-', /\/visits\/[a-f0-9]{24}\/edit$/);
let pw: PagesWorld;

beforeAll(async () => {
  pw = await pagesWorld(await b.start(), 'BV');
}, 60_000);

afterAll(() => b.stop());

/** A new phone profile signed in as this user, the page language from the browser's locale. */
const signedIn = (email: string, locale: string) => b.signedIn(email, PASSWORD, { viewport: PHONE, locale });

const radio = (page: Page, key: string, value: string) => page.locator(`input[name="a.${key}"][value="${value}"]`);
type Item = ReturnType<typeof demoQuestionnaireBody>['sections'][number]['items'][number];

/**
 * Answers an item the way a shopper at a good branch would, with the control of its type; an item
 * its condition keeps hidden is left alone (false). An investment product is recommended, so the
 * suitability chain appears; the optional text is left empty.
 */
async function answerItem(page: Page, item: Item): Promise<boolean> {
  if (await page.locator(`#item-${item.key}`).isHidden()) return false;
  if (item.type === 'text') return false;
  if (item.type === 'number') await page.fill(`input[name="a.${item.key}"]`, '8');
  else if (item.type === 'multi') await page.check(`input[name="a.${item.key}:${item.options?.[0].key}"]`);
  else if (item.type === 'choice') await radio(page, item.key, item.options?.[0].key as string).check();
  else await radio(page, item.key, item.key === 'g_attire' ? 'no' : item.type === 'scale' ? '4' : 'yes').check();
  return true;
}

/** Waits until the autosave indicator says saved; the script marks it pending on every change, so this is after the last one. */
async function savedIndicator(page: Page): Promise<void> {
  await page.waitForSelector('#save-status[data-state="ok"]');
}

test('auditor fills and submits on a phone, reviewer returns, auditor corrects, reviewer approves', async () => {
  const items = demoQuestionnaireBody(pw.bankId).sections.flatMap((s) => s.items);
  const last = [...items].reverse().find((i) => i.required !== false) as Item;
  const assignmentId = await assign(pw, pw.auditor, 'N1', pw.seedQuestionnaireId, '咨询理财产品并购买');

  // ---- the auditor starts the visit from the assignment list
  const auditor = await signedIn(pw.auditor.email, 'zh-CN');
  const a = auditor.page;
  await a.click('a[href="/assignments"]');
  await a.click(`#assignment-${assignmentId} summary`);
  await a.fill(`#assignment-${assignmentId} input[name="durationMinutes"]`, '25');
  await Promise.all([
    a.waitForURL(/\/visits\/[a-f0-9]{24}\/edit$/),
    a.click(`#assignment-${assignmentId} form button[type="submit"]`),
  ]);
  const visitId = /\/visits\/([a-f0-9]{24})\/edit$/.exec(a.url())?.[1] as string;

  // ---- fills the form: every item asked but the last required one, a staff member, a comment;
  // items appear as the answers before them meet their conditions; autosave stores it
  await a.selectOption('select[name="staff.0.employeeId"]', 'E1');
  let answered = 0;
  for (const item of items.filter((i) => i.key !== last.key)) if (await answerItem(a, item)) answered += 1;
  await a.click('#item-g_attire summary');
  await a.fill('textarea[name="c.g_attire"]', '柜员未佩戴工牌');
  await a.fill('textarea[name="summary"]', '整体服务较好，风险揭示规范。');
  await savedIndicator(a);
  expect((await Visit.findById(visitId).lean())?.answers.length).toBe(answered);

  // Resumable: a reload shows what the server stored.
  await a.reload();
  await expect(radio(a, 'g_attire', 'no').isChecked()).resolves.toBe(true);
  await expect(a.inputValue('textarea[name="c.g_attire"]')).resolves.toBe('柜员未佩戴工牌');

  // ---- attaches a photo: progress bar, then the thumbnail
  const photo = path.join(b.shots, '网点门头.png');
  fs.writeFileSync(photo, pngImage(640, 480, 7));
  // Browser-side code typed by hand: the project's TypeScript has no DOM types.
  await a.evaluate(`window.sawProgress = false;
    new MutationObserver(() => { if (document.querySelector('#evidence-list progress')) window.sawProgress = true; })
      .observe(document.getElementById('evidence-list'), { childList: true, subtree: true });`);
  await a.setInputFiles('#evidence-form input[type="file"]', photo);
  await a.waitForFunction(() => {
    const doc = (
      globalThis as unknown as {
        document: { querySelector(s: string): { complete: boolean; naturalWidth: number } | null };
      }
    ).document;
    const img = doc.querySelector('#evidence-list img.v-thumb');
    return Boolean(img && img.complete && img.naturalWidth === 640);
  });
  expect(await a.evaluate('window.sawProgress')).toBe(true);
  expect(await a.locator('#evidence-list li.v-upload-failed').count()).toBe(0);

  // The phone form, for the lead to look at.
  await a.locator('#section-greeting').scrollIntoViewIfNeeded();
  const shot = await b.screenshot(a, 'visit-form-390x844', { fullPage: false });
  await b.screenshot(a, 'visit-form-full');
  expect(fs.statSync(shot).size).toBeGreaterThan(5_000);
  console.log(`visit form screenshot (390×844): ${shot}`);

  // ---- submitting with the last item unanswered lists it; answering it and submitting works
  await Promise.all([a.waitForSelector('#missing'), a.click('button[value="submit"]')]);
  await expect(a.locator('#missing a').count()).resolves.toBe(1);
  await a.click(`#missing a[href="#item-${last.key}"]`);
  await radio(a, last.key, '5').check();
  await Promise.all([a.waitForURL(`${b.base}/visits/${visitId}`), a.click('button[value="submit"]')]);
  await a.waitForSelector('.v-status-submitted');
  expect((await Visit.findById(visitId).lean())?.status).toBe('submitted');

  // ---- the reviewer returns it with a note
  const reviewer = await signedIn(pw.reviewer.email, 'en-US');
  const r = reviewer.page;
  await r.click('a[href="/review"]');
  await Promise.all([r.waitForURL(`${b.base}/visits/${visitId}`), r.click(`tr[data-visit="${visitId}"] a`)]);
  await r.waitForSelector('.v-evidence-img');
  const note = 'g_attire：请核对照片，员工是否佩戴工牌？';
  await r.fill('textarea[name="note"]', note);
  // After a decision the next visit of the queue opens, or the queue when it is done.
  await Promise.all([r.waitForURL((u) => u.pathname !== `/visits/${visitId}`), r.click('button[value="return"]')]);

  // ---- the auditor sees the note, fixes the answer, resubmits
  await a.goto('/assignments');
  await Promise.all([
    a.waitForURL(`${b.base}/visits/${visitId}/edit`),
    a.click(`#assignment-${assignmentId} a.button`),
  ]);
  await expect(a.textContent('#review-note')).resolves.toContain(note);
  await radio(a, 'g_attire', 'yes').check();
  await savedIndicator(a);
  await Promise.all([a.waitForURL(`${b.base}/visits/${visitId}`), a.click('button[value="submit"]')]);

  // ---- the reviewer approves
  await r.goto(`/visits/${visitId}`);
  // The phone recorded no arrival here (SPEC §9 no_location): the reviewer ticks each flag first.
  const flags = r.locator('#review-flags input[name=ack]');
  await expect(flags.count()).resolves.toBeGreaterThan(0);
  for (const box of await flags.all()) await box.check();
  await Promise.all([r.waitForURL((u) => u.pathname !== `/visits/${visitId}`), r.click('button[value="approve"]')]);

  const v = await Visit.findById(visitId).lean().orFail();
  expect(v.status).toBe('approved');
  expect(v.answers.find((x) => x.itemKey === 'g_attire')?.value).toBe('yes');
  expect(v.answers).toHaveLength(answered + 1);
  expect(v.attachments.map((x) => [x.filename, x.contentType])).toEqual([['网点门头.png', 'image/png']]);
  expect(v.staff).toEqual([{ employeeId: 'E1', name: '员工 E1' }]);
  expect(v.history.map((h) => h.action).filter((x) => x !== 'updated')).toEqual([
    'created',
    'attachment_added',
    'submitted',
    'returned',
    'submitted',
    'approved',
  ]);
  const afterReturn = v.history.slice(v.history.findIndex((h) => h.action === 'returned'));
  expect(afterReturn[0].note).toBe(note);
  expect(
    afterReturn.some(
      (h) =>
        h.action === 'updated' &&
        h.changes.some((c) => c.field === 'answers.g_attire' && c.before === 'no' && c.after === 'yes'),
    ),
  ).toBe(true);
  expect(b.problems).toEqual([]);

  await auditor.context.close();
  await reviewer.context.close();
}, 90_000);
