import { ADMIN, tokenFor } from './helpers/app';
import { BrowserSuite } from './helpers/browser';
import { makeUser, PASSWORD } from './helpers/foundation';
import { addVisit, ALL_GOOD, makeResultsBank, Q } from './helpers/results-fixtures';

/**
 * Issue 18 in a real browser: HR opens a staff member's visits from the scorecards at phone
 * (390×844) and desktop (1366) size; the table fits (scrolls inside its region on the phone) and
 * the page never shows the auditor's name or e-mail.
 */
const b = new BrowserSuite('hr-shots-');

beforeAll(async () => {
  const app = await b.start();
  const fx = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  const auditor = await makeUser(fx, { email: 'li.wei@firm.test', role: 'auditor', name: '李伟审计' });
  const f = await makeResultsBank(
    'BHR',
    [{ code: 'SH01', region: '华东区', name: '上海浦东支行' }],
    [{ employeeId: 'E100', branchCode: 'SH01', name: '张敏' }],
    auditor.id,
  );
  await addVisit(f, { branchCode: 'SH01', region: '华东区', quarter: Q, staffIds: ['E100'], answers: ALL_GOOD });
  await addVisit(f, {
    branchCode: 'SH01',
    region: '华东区',
    quarter: Q,
    staffIds: ['E100'],
    answers: { ...ALL_GOOD, g1: 'no', p2: 2 },
  });
  await makeUser(fx, { email: 'bhr-hr@bank.test', role: 'hr', bankId: f.bankId, scope: { type: 'bank' } });
}, 120_000);

afterAll(() => b.stop());

test.each([
  ['zh', 390, 844],
  ['en', 1366, 900],
] as const)(
  'HR (%s, %i px) opens the visits a score rests on from the scorecards',
  async (lang, width, height) => {
    const { context, page } = await b.signedIn('bhr-hr@bank.test', PASSWORD, { viewport: { width, height }, lang });
    await page.goto(`/hr/scorecards?quarter=${Q}`);
    await b.screenshot(page, `hr-scorecards-${width}`);
    await Promise.all([page.waitForURL(/\/hr\/scorecards\/E100\?/), page.click('tr[data-employee="E100"] a')]);
    await expect(page.locator('#score-visits tbody tr[data-visit]').count()).resolves.toBe(2);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('Asia/Shanghai');
    expect(text).toContain('上海浦东支行');
    expect(text).not.toContain('李伟审计');
    expect(text).not.toContain('li.wei');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    await b.screenshot(page, `hr-staff-visits-${width}`);
    await context.close();
  },
  60_000,
);
