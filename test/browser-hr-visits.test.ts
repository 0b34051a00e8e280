import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ADMIN, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD } from './helpers/foundation';
import { addVisit, ALL_GOOD, makeResultsBank, Q } from './helpers/results-fixtures';

/**
 * Issue 18 in a real browser: HR opens a staff member's visits from the scorecards at phone
 * (390×844) and desktop (1366) size; the table fits (scrolls inside its region on the phone) and
 * the page never shows the auditor's name or e-mail.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: Server;
let base: string;
let browser: Browser;
let shots: string;

beforeAll(async () => {
  const app = await startTestApp();
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
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  shots = process.env.SHOTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hr-shots-'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await stopTestApp();
});

test.each([
  ['zh', 390, 844],
  ['en', 1366, 900],
] as const)(
  'HR (%s, %i px) opens the visits a score rests on from the scorecards',
  async (lang, width, height) => {
    const phone = width < 500;
    const context = await browser.newContext({
      viewport: { width, height },
      baseURL: base,
      isMobile: phone,
      hasTouch: phone,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`/lang/${lang}`);
    await page.goto('/login');
    await page.fill('input[name="email"]', 'bhr-hr@bank.test');
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/login"] button[type="submit"]')]);
    await page.goto(`/hr/scorecards?quarter=${Q}`);
    await page.screenshot({ path: path.join(shots, `hr-scorecards-${width}.png`), fullPage: true });
    await Promise.all([page.waitForURL(/\/hr\/scorecards\/E100\?/), page.click('tr[data-employee="E100"] a')]);
    await expect(page.locator('#score-visits tbody tr[data-visit]').count()).resolves.toBe(2);
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('Asia/Shanghai');
    expect(text).toContain('上海浦东支行');
    expect(text).not.toContain('李伟审计');
    expect(text).not.toContain('li.wei');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    await page.screenshot({ path: path.join(shots, `hr-staff-visits-${width}.png`), fullPage: true });
    await context.close();
  },
  60_000,
);
