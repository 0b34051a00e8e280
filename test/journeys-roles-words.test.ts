import type { Page } from 'playwright-core';
import { ADMIN } from './helpers/app';
import { BrowserSuite, DESKTOP, PHONE } from './helpers/browser';
import { ANSWERS, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { unlabeledTimes } from './helpers/unlabeled-times';
import { PASSWORD } from './helpers/visits';

/**
 * Issue 20's second part in a real browser, at a phone's 390×844 and a desktop's 1366×768: the
 * reports page says when reports come; an action plan starts from a violation already filled in;
 * HR reads branches by name; the admin's create form comes before the assignment list; a viewer
 * reads times in the zone they chose. Screenshots go to SHOTS_DIR (default: a temporary folder).
 */
jest.setTimeout(600_000);

const SIZES = { phone: PHONE, desktop: DESKTOP } as const;
type Size = keyof typeof SIZES;
/** Item keys of the fixture questionnaire, a database id, a stored answer, a dictionary key: none belongs on a page. */
const RAW =
  /(?<!Item )\b(?:g1|g2|p1|p2|c1|c2|f1)\b|\b[0-9a-f]{24}\b|\banswers\.\w|\b(?:hr|results|visits|disputes|actions|reports|account|assignments|confidence)\.[a-z_]+/;

const b = new BrowserSuite('journeys-words-');
let f: FeedbackWorld;
let visitId = '';

beforeAll(async () => {
  const app = await b.start();
  f = await feedbackWorld(app, 'JW');
  // Last quarter: a violation (c1 no) at N1; this quarter: a visit naming staff E1.
  await approvedVisit(f, {
    branchCode: 'N1',
    staff: ['E1'],
    visitedAt: '2026-08-15T10:00:00+08:00',
    answers: ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a)),
  });
  visitId = (await approvedVisit(f, { branchCode: 'N1', staff: ['E1'] })).id;
}, SETUP_TIMEOUT_MS + 120_000);

afterAll(() => b.stop());

async function signedIn(email: string, size: Size, password = PASSWORD): Promise<Page> {
  return (await b.signedIn(email, password, { viewport: SIZES[size], lang: 'en' })).page;
}

const shot = (page: Page, name: string) => b.screenshot(page, name);

/** No time without its zone; no item key, database id or stored value on the page's text. */
async function plainPage(page: Page): Promise<void> {
  expect(unlabeledTimes(await page.content())).toEqual([]);
  expect(await page.locator('main').innerText()).not.toMatch(RAW);
}

describe.each(['desktop', 'phone'] as const)('at %s size', (size) => {
  test('the bank manager: reports page says when reports come; a plan started from a violation, filled in', async () => {
    const page = await signedIn('jw-mgr@bank.test', size);
    await page.goto('/reports');
    await expect(page.locator('#reports-expected').innerText()).resolves.toMatch(
      /The current quarter, \d{4}-Q[1-4], ends at \d{4}-\d{2}-\d{2} 00:00 \(Asia\/Shanghai\)/,
    );
    await plainPage(page);
    await shot(page, `words-${size}-1-reports-empty`);
    await page.goto('/actions?quarter=2026-Q3');
    await page.locator('#violations a').first().click();
    await page.waitForURL(/kind=violation/);
    await expect(page.locator('#plan-from').innerText()).resolves.toMatch(/Violation at 支行 N1 \(N1\): /);
    await expect(page.locator('input[name=itemKey][type=text], input[name=visitId][type=text]').count()).resolves.toBe(
      0,
    );
    const due = page.locator('input[name=dueDate]');
    expect(await due.getAttribute('min')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await due.inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.fill('input[name=owner]', `网点主任 ${size}`);
    await page.fill('textarea[name=action]', '复核销售话术');
    await plainPage(page);
    await shot(page, `words-${size}-2-plan-form`);
    await Promise.all([page.waitForURL(/\/actions\?quarter=2026-Q3$/), page.click('#new-plan button[type=submit]')]);
    await expect(page.locator('#plans').innerText()).resolves.toContain(`网点主任 ${size}`);
    await plainPage(page);
    await shot(page, `words-${size}-3-plans`);
    await page.context().close();
  });

  test('HR reads branches by name; the admin finds the create form before the list', async () => {
    const hr = await signedIn('jw-hr@bank.test', size);
    await hr.goto('/hr/scorecards?quarter=2026-Q4');
    await expect(hr.locator('#scorecards tbody tr').first().innerText()).resolves.toContain('支行 N1 (N1)');
    await plainPage(hr);
    await shot(hr, `words-${size}-4-hr`);
    await hr.context().close();
    const admin = await signedIn(ADMIN.email, size, ADMIN.password);
    await admin.goto(`/admin/assignments?bankId=${f.bankId}`);
    const form = await admin.locator('#new-assignment').boundingBox();
    const list = await admin.locator('#assignments').boundingBox();
    expect(form && list && form.y < list.y).toBe(true);
    expect(form && form.y < SIZES[size].height).toBe(true); // on the first screen
    await shot(admin, `words-${size}-5-admin-assignments`);
    await admin.context().close();
  });
});

test("a viewer reads times in the zone they chose, named; then in the bank's again", async () => {
  const page = await signedIn('jw-north@bank.test', 'phone');
  await page.goto('/account');
  await page.selectOption('#clock select[name=timezone]', 'Europe/London');
  await Promise.all([page.waitForURL(/\/account/), page.click('#clock button[type=submit]')]);
  await expect(page.locator('#clock').innerText()).resolves.toContain('Europe/London');
  await shot(page, 'words-phone-6-account-clock');
  await page.goto(`/visits/${visitId}`);
  const facts = await page.locator('main dl.facts').first().innerText();
  expect(facts).toContain('(Europe/London)');
  expect(facts).not.toContain('(Asia/Shanghai)');
  await plainPage(page);
  await shot(page, 'words-phone-7-visit-london');
  await page.goto('/account');
  await page.selectOption('#clock select[name=timezone]', '');
  await Promise.all([page.waitForURL(/\/account/), page.click('#clock button[type=submit]')]);
  await page.goto(`/visits/${visitId}`);
  expect(await page.locator('main dl.facts').first().innerText()).toContain('(Asia/Shanghai)');
  await page.context().close();
});
