import fs from 'node:fs';
import { HtmlValidate, type Message } from 'html-validate';
import type { Page } from 'playwright-core';
import { BrowserSuite } from './helpers/browser';
import { buildWorld, PASSWORD, type PrincipalKey, type World } from './helpers/world';

/**
 * Accessibility of every page of every role, as a bank's auditor would check it: axe-core in
 * Chromium at a phone's 390×844 and a desktop's 1366×768, in Chinese and English, with real data
 * (the authorization world: two banks, visits in every state, disputes, plans, reports, HR links).
 * No critical or serious axe violation anywhere; html-validate's standard rules clean on the HTML
 * as served; no console error (the favicon included).
 */
jest.setTimeout(600_000);

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1366, height: 768 },
];
const LOCALES = ['zh', 'en'] as const;
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Its own console rules below (a failed load is a problem here too); the suite's `problems` are not read.
const b = new BrowserSuite('a11y-pages-');
let w: World;
const htmlSeen = new Map<string, string>();
const problems: string[] = [];

beforeAll(async () => {
  w = await buildWorld(await b.start(), { reports: true });
}, 600_000);

afterAll(() => b.stop());

/** Every page template each role works with, with real data behind it. */
function pagesOf(who: PrincipalKey | 'anonymous'): string[] {
  const bankA = w.bankId.A;
  const qA = w.questionnaireId.A;
  switch (who) {
    case 'anonymous':
      return ['/login', '/api/docs'];
    case 'admin':
      return [
        '/',
        '/admin/banks',
        `/admin/banks/${bankA}`,
        '/admin/users',
        `/admin/users/${w.who.managerA.id}`,
        '/admin/questionnaires',
        '/admin/questionnaires/new',
        `/admin/questionnaires/${qA}`,
        `/admin/questionnaires/${qA}/versions/1`,
        '/admin/assignments',
        '/admin/overview',
        '/admin/reports',
        `/admin/reports/close/check?bankId=${bankA}&quarter=${w.quarter}`,
        `/admin/reports/${w.report?.A}`,
        `/results?bankId=${bankA}&quarter=${w.quarter}`,
        `/results?bankId=${bankA}&quarter=${w.quarter}&branchCode=WAN1`,
        '/hr/scorecards',
        '/calibration',
        '/calibration/new',
        '/no-such-page',
      ];
    case 'auditor':
      return [
        '/',
        '/assignments',
        '/assignments?show=done',
        `/visits/${w.draft.own.id}/edit`,
        `/visits/${w.submitted.own.id}`,
      ];
    case 'reviewer':
      return ['/', '/review', `/visits/${w.submitted.own.id}`, '/disputes', `/disputes/${w.dispute.own.id}`];
    case 'managerA':
      return [
        '/',
        `/results?quarter=${w.quarter}`,
        `/results?quarter=${w.quarter}&region=North`,
        '/reports',
        '/disputes',
        `/disputes/${w.dispute.own.id}`,
        `/disputes/new?visitId=${w.approved.own.id}`,
        '/actions',
        `/visits/${w.approved.own.id}`,
      ];
    case 'hrA':
      return [
        '/',
        `/hr/scorecards?quarter=${w.quarter}`,
        `/hr/scorecards/EAN1?quarter=${w.quarter}`,
        `/results?quarter=${w.quarter}`,
      ];
    default:
      return [];
  }
}

async function signedInPage(who: PrincipalKey | 'anonymous', locale: (typeof LOCALES)[number]): Promise<Page> {
  const context = await b.browser.newContext({ baseURL: b.base, locale: locale === 'zh' ? 'zh-CN' : 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    const expected404 = page.url().endsWith('/no-such-page') && m.text().includes('404');
    if (m.type() === 'error' && !expected404)
      problems.push(`${who} ${locale} ${page.url()}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${who} ${locale} ${page.url()}: ${e.message}`));
  await page.goto(`/lang/${locale}?next=/login`);
  if (who !== 'anonymous') {
    const email = w.who[who].email;
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', who === 'admin' ? 'Admin-test-pass-1' : PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  }
  return page;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function axe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE);
  return page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run: (o: object) => Promise<{ violations: AxeViolation[] }> } }).axe
      .run;
    const r = await run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
}

// The standard rules, and from the recommended ones those about meaning rather than style.
/**
 * Text in the other language than the element it sits in says so: no Chinese under an English
 * `lang`, no Latin words (two lower-case letters in a row) under a Chinese one, the page's own words
 * and the data alike.
 */
async function wrongLanguage(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('script,style,textarea,title,code,pre,select,svg')) continue;
      const lang = (el.closest('[lang]')?.getAttribute('lang') ?? '').toLowerCase();
      const text = n.textContent ?? '';
      if (lang.startsWith('en') && /[\u3400-\u9fff]/.test(text)) out.push('Chinese under lang=' + lang + ': ' + text.trim().slice(0, 40));
      if (lang.startsWith('zh') && /[a-z]{2}/.test(text)) out.push('Latin under lang=' + lang + ': ' + text.trim().slice(0, 40));
    }
    for (const o of document.querySelectorAll('option')) {
      const lang = (o.closest('[lang]')?.getAttribute('lang') ?? '').toLowerCase();
      if (lang.startsWith('en') && /[\u3400-\u9fff]/.test(o.text)) out.push('Chinese option under lang=en: ' + o.text);
      if (lang.startsWith('zh') && /[a-z]{2}/.test(o.text) && !/[\u3400-\u9fff]/.test(o.text)) out.push('Latin option under lang=zh: ' + o.text);
    }
    return [...new Set(out)].slice(0, 10);
  })()`);
}

const validator = new HtmlValidate({
  extends: ['html-validate:standard'],
  rules: { 'no-implicit-close': 'error', 'unique-landmark': 'error', 'no-implicit-input-type': 'error' },
});

async function htmlProblems(path: string, html: string): Promise<string[]> {
  const report = await validator.validateString(html, path);
  return report.results.flatMap((r) =>
    r.messages.map((m: Message) => `${path}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`),
  );
}

const WHO: (PrincipalKey | 'anonymous')[] = ['anonymous', 'admin', 'auditor', 'reviewer', 'managerA', 'hrA'];

describe.each(WHO)('pages of %s', (who) => {
  test.each(LOCALES)('in %s: no critical or serious axe violation at phone and desktop size', async (locale) => {
    const page = await signedInPage(who, locale);
    const found: string[] = [];
    for (const path of pagesOf(who)) {
      await page.setViewportSize(VIEWPORTS[0]);
      const res = await page.goto(path);
      const status = res?.status() ?? 0;
      if (status >= 400 && path !== '/no-such-page') found.push(`${path}: HTTP ${status}`);
      if (res && (res.headers()['content-type'] ?? '').startsWith('text/html'))
        htmlSeen.set(`${who} ${locale} ${path}`, await res.text());
      if (path === '/api/docs') await page.waitForSelector('.opblock-tag', { timeout: 20_000 });
      // What hides behind a disclosure (a visit item's comment box) is checked open.
      await page.evaluate("document.querySelectorAll('details').forEach((d) => d.setAttribute('open', ''))");
      if (path !== '/api/docs') found.push(...(await wrongLanguage(page)).map((t) => `${path} lang: ${t}`));
      for (const vp of VIEWPORTS) {
        await page.setViewportSize(vp);
        for (const v of await axe(page)) {
          if (v.impact !== 'critical' && v.impact !== 'serious') continue;
          found.push(
            `${path} [${vp.name}] ${v.impact} ${v.id}: ${v.help} — ${v.nodes
              .map((n) => n.target.join(' '))
              .slice(0, 4)
              .join(' | ')}`,
          );
        }
      }
    }
    await page.context().close();
    expect(found).toEqual([]);
  });
});

test('html-validate (standard rules) finds nothing on the pages as served', async () => {
  const found: string[] = [];
  for (const [key, html] of htmlSeen) {
    if (key.endsWith('/api/docs')) continue; // Swagger UI's page is ours but its DOM is built by script
    found.push(...(await htmlProblems(key, html)));
  }
  expect(htmlSeen.size).toBeGreaterThan(40);
  expect([...new Set(found)]).toEqual([]);
});

test('no console error or script error on any page (a favicon is there)', () => {
  expect(problems).toEqual([]);
});

describe('keyboard', () => {
  test('the first Tab reaches the skip link, which moves the focus to the content', async () => {
    const page = await signedInPage('hrA', 'en');
    await page.goto(`/hr/scorecards?quarter=${w.quarter}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.context().close();
  });

  test('a table wider than a phone is reached with Tab, named, and scrolled with the arrow keys', async () => {
    const page = await signedInPage('hrA', 'zh');
    await page.setViewportSize(VIEWPORTS[0]);
    await page.goto(`/hr/scorecards?quarter=${w.quarter}`);
    let region: { name: string | null; scrolls: boolean } | null = null;
    for (let i = 0; i < 80 && !region; i++) {
      await page.keyboard.press('Tab');
      region = await page.evaluate(`(() => {
        const el = document.activeElement;
        if (!el || !el.classList.contains('table-wrap')) return null;
        return { name: el.getAttribute('aria-label'), scrolls: el.scrollWidth > el.clientWidth };
      })()`);
    }
    expect(region).toEqual({ name: expect.stringMatching(/\S/), scrolls: true });
    const before = await page.evaluate('document.activeElement.scrollLeft');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    // Polled through evaluate: waitForFunction with a string predicate evaluates it in the page, which
    // the page's Content-Security-Policy (no 'unsafe-eval') refuses whenever the first check is false.
    let after = Number(before);
    for (let i = 0; i < 50 && after <= Number(before); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = Number(await page.evaluate('document.activeElement.scrollLeft'));
    }
    expect(after).toBeGreaterThan(Number(before));
    await page.context().close();
  });

  test('the visit form is filled and saved with the keyboard alone (labels, radios, comment box)', async () => {
    const page = await signedInPage('auditor', 'en');
    await page.setViewportSize(VIEWPORTS[0]);
    await page.goto(`/visits/${w.draft.own.id}/edit`);
    // The first item's answers are a radio group: Tab reaches it, the arrow keys choose.
    const firstRadio = page.locator('input[type=radio]').first();
    await firstRadio.focus();
    await page.keyboard.press('ArrowRight');
    const chosen = await page.evaluate('document.activeElement.checked');
    expect(chosen).toBe(true);
    // The comment box opens from its summary with Enter and is named after its item.
    const summary = page.locator('details.v-comment summary').first();
    await summary.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    const box = await page.evaluate(`(() => {
      const el = document.activeElement;
      return { tag: el.tagName, label: el.getAttribute('aria-label') };
    })()`);
    expect(box).toEqual({ tag: 'TEXTAREA', label: expect.stringMatching(/^Comment/) });
    await page.keyboard.type('Seen at the counter');
    await page.context().close();
  });
});
