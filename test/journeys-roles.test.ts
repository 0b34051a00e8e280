import type { Page } from 'playwright-core';
import { BrowserSuite, DESKTOP, PHONE } from './helpers/browser';
import {
  approvedVisit,
  backdateApproval,
  feedbackWorld,
  SETUP_TIMEOUT_MS,
  type FeedbackWorld,
} from './helpers/feedback';
import { unlabeledTimes } from './helpers/unlabeled-times';
import { PASSWORD } from './helpers/visits';
import { ADMIN } from './helpers/app';
import { solidPng } from './helpers/photo';

/**
 * Every role's day in a real browser (issue 20), at a phone's 390×844 and a desktop's 1366×768: the
 * bank manager disputes an answer from the visit page and adds a photo; an expired visit is refused
 * up front in Chinese; the reviewer reaches the dispute from home, sees the visit and both sides'
 * evidence, and must choose a decision; the auditor's next due visit is on screen without
 * scrolling; every role's home is a to-do list; no page shows a time without its zone or a raw
 * item key. Screenshots go to SHOTS_DIR (default: a temporary folder) for people to look at.
 */
jest.setTimeout(600_000);

const SIZES = { phone: PHONE, desktop: DESKTOP } as const;
type Size = keyof typeof SIZES;
const ITEM_KEY = /^(?:g1|g2|p1|p2|c1|c2|f1)$/;
/** Stored values where words belong: `answers.c2`, `– → yes`. */
const RAW = /\banswers\.\w|(?:→\s*(?:yes|no|na)\b)|(?:\b(?:yes|no|na)\s*→)/;

const b = new BrowserSuite('journeys-roles-');
let f: FeedbackWorld;
const visit: Record<'desktop' | 'phone' | 'expired' | 'queued' | 'flagged', string> = {
  desktop: '',
  phone: '',
  expired: '',
  queued: '',
  flagged: '',
};

beforeAll(async () => {
  const app = await b.start();
  f = await feedbackWorld(app, 'JR');
  visit.desktop = (await approvedVisit(f, { branchCode: 'N1', staff: ['E1'] })).id;
  visit.phone = (await approvedVisit(f, { branchCode: 'N2' })).id;
  visit.expired = (await approvedVisit(f, { branchCode: 'N1' })).id;
  await backdateApproval(visit.expired, 30);
  visit.queued = (await approvedVisit(f, { branchCode: 'S1', submitOnly: true })).id;
  // Submitted ten days after the visit: flagged as a late submission.
  visit.flagged = (
    await approvedVisit(f, {
      branchCode: 'N2',
      submitOnly: true,
      visitedAt: new Date(Date.now() - 10 * 86400_000).toISOString(),
    })
  ).id;
  // The auditor's list: many missed windows first in time, then the ones that matter today.
  const day = 86400_000;
  const at = (d: number) => new Date(Date.now() + d * day).toISOString();
  const assign = (branchCode: string, start: number, end: number) =>
    f.w.assignment({
      bankId: f.bankId,
      branchCode,
      auditorId: f.auditor.id,
      questionnaireId: f.questionnaireId,
      quarter: '2026-Q4',
      windowStart: at(start),
      windowEnd: at(end),
      scenario: '开立账户',
    });
  for (let i = 0; i < 30; i++) await assign('S1', -90 + i, -60 + i);
  await assign('N2', -1, 2);
  await assign('S1', 3, 6);
}, SETUP_TIMEOUT_MS + 120_000);

afterAll(() => b.stop());

async function signedIn(email: string, size: Size, lang: 'en' | 'zh' = 'en', password = PASSWORD): Promise<Page> {
  return (await b.signedIn(email, password, { viewport: SIZES[size], lang })).page;
}

const shot = (page: Page, name: string) => b.screenshot(page, name);

/** No time without its zone, no item key or stored value where words belong. */
async function plainPage(page: Page): Promise<void> {
  const html = await page.content();
  expect(unlabeledTimes(html)).toEqual([]);
  expect(await page.locator('main').innerText()).not.toMatch(RAW);
  for (const code of await page.locator('main code').allInnerTexts()) expect(code.trim()).not.toMatch(ITEM_KEY);
}

describe.each(['desktop', 'phone'] as const)('the bank manager at %s size', (size) => {
  const itemKey = size === 'desktop' ? 'c2' : 'g1';

  test('disputes an answer from the visit page, with the days left, and adds a photo', async () => {
    const page = await signedIn('jr-north@bank.test', size);
    await page.goto(`/visits/${visit[size]}`);
    await expect(page.locator('#dispute-window').innerText()).resolves.toMatch(/14 day\(s\) left/);
    await plainPage(page);
    await shot(page, `manager-${size}-1-visit`);
    await page.locator(`#item-${itemKey} .v-dispute-link`).click();
    await page.waitForURL(/\/disputes\/new/);
    expect(await page.locator('select[name=itemKey]').inputValue()).toBe(itemKey);
    await expect(page.locator('#dispute-window').innerText()).resolves.toMatch(/\(Asia\/Shanghai\) — 14 day\(s\) left/);
    await plainPage(page);
    await page.fill('textarea[name=reason]', '录像显示已做风险提示');
    await shot(page, `manager-${size}-2-form`);
    await Promise.all([page.waitForURL(/\/disputes\/[0-9a-f]{24}$/), page.click('form.form button[type=submit]')]);
    await page.setInputFiles('#attach input[type=file]', {
      name: 'counter.png',
      mimeType: 'image/png',
      buffer: solidPng(),
    });
    await Promise.all([page.waitForURL(/\/disputes\/[0-9a-f]{24}$/), page.click('#attach button[type=submit]')]);
    const img = page.locator('#bank-evidence img');
    await expect(img.count()).resolves.toBe(1);
    // The thumbnail loads lazily: below the fold on a phone it is fetched only once scrolled to. A
    // broken image never gets a width, and the wait times out.
    await img.scrollIntoViewIfNeeded();
    await img.evaluate(
      (el) =>
        new Promise<void>((resolve) => {
          const i = el as unknown as { complete: boolean; naturalWidth: number; onload: (() => void) | null };
          if (i.complete && i.naturalWidth > 0) resolve();
          else i.onload = () => resolve();
        }),
    );
    expect(await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await plainPage(page);
    await shot(page, `manager-${size}-3-dispute`);
    // Back on the visit: the answer now links to its dispute and offers no second one.
    await page.goto(`/visits/${visit[size]}`);
    await expect(page.locator(`#item-${itemKey} .v-dispute-link`).count()).resolves.toBe(0);
    await expect(page.locator(`#item-${itemKey} .v-dispute-state`).count()).resolves.toBe(1);
    await page.context().close();
  });
});

test('an expired visit says so on the visit page and refuses the dispute form up front, in Chinese', async () => {
  const page = await signedIn('jr-north@bank.test', 'phone', 'zh');
  await page.goto(`/visits/${visit.expired}`);
  await expect(page.locator('.v-dispute-closed').innerText()).resolves.toContain('申诉期限已于');
  await expect(page.locator('.v-dispute-link').count()).resolves.toBe(0);
  await shot(page, 'manager-phone-4-expired-visit');
  await page.goto(`/disputes/new?visitId=${visit.expired}`);
  const refused = await page.locator('#dispute-refused').innerText();
  expect(refused).toMatch(/本次暗访已不能申诉：申诉期限已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Asia\/Shanghai\) 截止/);
  await expect(page.locator('textarea[name=reason]').count()).resolves.toBe(0);
  await plainPage(page);
  await shot(page, 'manager-phone-5-expired-refused');
  await page.context().close();
});

describe.each(['desktop', 'phone'] as const)('the reviewer at %s size', (size) => {
  test('reaches a waiting dispute from home, sees the visit and the bank’s photo, and must choose a decision', async () => {
    const page = await signedIn('jr-rev@firm.test', size);
    await expect(page.locator('#todo-disputes li').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#todo-queue li').count()).resolves.toBe(2);
    await plainPage(page);
    await shot(page, `reviewer-${size}-1-home`);
    await page.locator('#todo-disputes li a').first().click();
    await page.waitForURL(/\/disputes\/[0-9a-f]{24}$/);
    await expect(page.locator('#bank-evidence img').count()).resolves.toBe(1);
    await expect(page.locator('#visit-evidence').count()).resolves.toBe(1);
    await expect(page.locator('input[name=decision]:checked').count()).resolves.toBe(0);
    await plainPage(page);
    await shot(page, `reviewer-${size}-2-dispute`);
    // Submitting without a decision is stopped by the form itself; nothing is decided.
    await page.fill('textarea[name=note]', '录像证实');
    await page.click('#resolve button[type=submit]');
    expect(page.url()).toMatch(/\/disputes\/[0-9a-f]{24}$/);
    await expect(page.locator('#resolution').count()).resolves.toBe(0);
    await page.check('input[name=decision][value=upheld]');
    await Promise.all([page.waitForURL(/\/disputes\/[0-9a-f]{24}$/), page.click('#resolve button[type=submit]')]);
    await expect(page.locator('#resolution').innerText()).resolves.toContain('Upheld');
    await shot(page, `reviewer-${size}-3-decided`);
    await page.locator('a', { hasText: 'Open the visit' }).first().click();
    await page.waitForURL(/\/visits\/[0-9a-f]{24}/);
    await expect(page.locator('#visit-disputes').count()).resolves.toBe(1);
    await page.context().close();
  });
});

describe.each(['phone', 'desktop'] as const)('the auditor at %s size', (size) => {
  test('finds the next due visit on the home page without scrolling', async () => {
    const page = await signedIn('jr-aud@firm.test', size);
    const first = page.locator('#todo-open-now li').first();
    await expect(first.innerText()).resolves.toContain('N2');
    const box = await first.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.y ?? Infinity) + (box?.height ?? 0)).toBeLessThanOrEqual(SIZES[size].height);
    await expect(page.locator('#todo-missed .todo-count').innerText()).resolves.toBe('30');
    await plainPage(page);
    await shot(page, `auditor-${size}-1-home`);
    // The list: to do first, the open window on top, in pages, searchable, with the done ones apart.
    await page.goto('/assignments');
    const card = page.locator('.v-assignment').first();
    await expect(card.innerText()).resolves.toContain('N2');
    const cardBox = await card.boundingBox();
    expect(cardBox?.y ?? Infinity).toBeLessThan(SIZES[size].height);
    await expect(page.locator('.v-assignment').count()).resolves.toBe(20);
    await expect(page.locator('.pager').innerText()).resolves.toMatch(/Page 1 of 2/);
    await plainPage(page);
    await shot(page, `auditor-${size}-2-list`);
    await page.fill('input[name=q]', 'N2');
    await Promise.all([page.waitForURL(/q=N2/), page.click('form[role=search] button')]);
    await expect(page.locator('.v-assignment').count()).resolves.toBe(1);
    await page.goto('/assignments?show=done');
    await expect(page.locator('.v-assignment').count()).resolves.toBe(5);
    await page.context().close();
  });
});

describe.each(['desktop', 'phone'] as const)('HR and the admin at %s size', (size) => {
  test('HR sees the scorecards still to link', async () => {
    const page = await signedIn('jr-hr@bank.test', size);
    await expect(page.locator('[id^=todo-unlinked-] li').count()).resolves.toBeGreaterThan(0);
    await plainPage(page);
    await shot(page, `hr-${size}-1-home`);
    await page.context().close();
  });

  test('the admin sees the quarters to close and the review queue', async () => {
    const page = await signedIn(ADMIN.email, size, 'zh', ADMIN.password);
    await expect(page.locator('#todo-to-close li').count()).resolves.toBe(2);
    await expect(page.locator('#todo-queue li').count()).resolves.toBe(2);
    await plainPage(page);
    await shot(page, `admin-${size}-1-home`);
    // The close wizard: readiness and the exact recipients before anything is sent.
    await page.locator('#todo-to-close li a').first().click();
    await page.waitForURL(/\/admin\/reports/);
    await page.goto(`/admin/reports/close/check?bankId=${f.bankId}&quarter=2026-Q3`);
    await expect(page.locator('#close-readiness li').count()).resolves.toBe(5);
    await expect(page.locator('#close-confirm input[name=confirm]').getAttribute('required')).resolves.not.toBeNull();
    await plainPage(page);
    await shot(page, `admin-${size}-2-close-check`);
    // A page that does not exist keeps the navigation, in the person's language.
    const missing = await page.goto('/no-such-page');
    expect(missing?.status()).toBe(404);
    await expect(page.locator('nav a[href="/admin/reports"]').count()).resolves.toBe(1);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await page.context().close();
  });

  test('the whole-bank manager’s home lists results, violations, disputes and plans', async () => {
    const page = await signedIn('jr-mgr@bank.test', size, 'zh');
    for (const id of ['results', 'violations', 'disputes', 'plans'])
      await expect(page.locator(`#todo-${id}`).count()).resolves.toBe(1);
    await plainPage(page);
    await shot(page, `manager-${size}-0-home`);
    await page.context().close();
  });
});

describe.each(['desktop', 'phone'] as const)('the reviewer’s split view at %s size', (size) => {
  test('flags must be ticked before approval; each decision opens the next visit of the queue', async () => {
    const page = await signedIn('jr-rev@firm.test', size);
    if (size === 'desktop') {
      await page.goto(`/visits/${visit.flagged}`);
      await expect(page.locator('#review-flags input[name=ack]').count()).resolves.toBe(1);
      await shot(page, `reviewer-${size}-4-split-view`);
      await page.click('button[value=approve]');
      await page.waitForSelector('#review-flags .field-error');
      await plainPage(page);
      await shot(page, `reviewer-${size}-5-flags-unticked`);
      await page.check('#review-flags input[name=ack]');
      await Promise.all([page.waitForURL(new RegExp(`/visits/${visit.queued}$`)), page.click('button[value=approve]')]);
      await expect(page.locator('.flash-ok').innerText()).resolves.toContain('next visit in the queue');
    } else {
      await page.goto(`/visits/${visit.queued}`);
      await expect(page.locator('#review-flags').count()).resolves.toBe(0);
      await shot(page, `reviewer-${size}-4-split-view`);
      await Promise.all([page.waitForURL(/\/review$/), page.click('button[value=approve]')]);
      await expect(page.locator('.flash-ok').innerText()).resolves.toContain('The queue is done');
    }
    await page.context().close();
  });
});
