import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD, type Fixture } from './helpers/foundation';
import { addVisit, ALL_GOOD, makeResultsBank, Q, resultsScenario, type BankFixture } from './helpers/results-fixtures';
import { signIn, type Agent, unmarked } from './helpers/web';

/** The dashboards render the service's figures (rounded to one decimal) and cut them to the viewer's scope. */
let app: Express;
let b1: BankFixture;
let v: Record<string, string>;
const agents: Record<string, Agent> = {};

beforeAll(async () => {
  app = await startTestApp();
  const f: Fixture = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  ({ b1, v } = await resultsScenario());
  const users: [string, Record<string, unknown>][] = [
    ['east', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'region', region: 'East' } }],
    [
      'most',
      { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'branches', branchCodes: ['E1', 'E2', 'E3', 'W1'] } },
    ],
    ['auditor', { role: 'auditor' }],
  ];
  for (const [name, body] of users)
    await makeUser(f, { email: `${name}@pages.test`, ...body } as Parameters<typeof makeUser>[1]);
  agents.admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
  for (const [name] of users) agents[name] = await signIn(app, `${name}@pages.test`, PASSWORD, 'en');
});
afterAll(stopTestApp);

const section = (html: string, id: string) => {
  const start = html.indexOf(`id="${id}"`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</table>', start));
};
const order = (html: string, codes: string[]) =>
  codes.map((c) => html.indexOf(`>${c}</a>`)).every((x, i, xs) => x > 0 && (i === 0 || xs[i - 1] < x));

describe('bank dashboard (admin)', () => {
  test('shows the four dimensions and the total with the change, charts as inline SVG, tables, problems, violations', async () => {
    const res = await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}`);
    expect(res.status).toBe(200);
    const html = res.text;
    // bank total 56.1458 → 56.1; previous 62.5 → change −6.4; greeting 57.5; compliance 65.0.
    expect(html).toContain('>56.1<');
    expect(html).toContain('-6.4');
    expect(html).toContain('>57.5<');
    expect(html).toContain('>65.0<');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(html).toContain('<polyline');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // no script, nothing from outside
    // spread across the bank: population stdev 31.5238 → 31.5
    expect(html).toContain('class="res-stdev">31.5<');
    const branches = section(html, 'branches');
    expect(branches).toContain('65.6'); // E1 65.625
    expect(branches).toContain('>E1</a>');
    // small samples marked: E2, W1, W2 have one visit, E1 two; E3 (three) is not.
    expect((branches.match(/class="res-small"/g) ?? []).length).toBe(4);
    expect(section(html, 'regions')).toContain('>East</a>');
    // key problems: f1 first at 2/5 = 40.0%
    const kp = section(html, 'key-problems');
    expect(kp.indexOf('f1')).toBeLessThan(kp.indexOf('p1'));
    expect(kp).toContain('40.0%');
    expect(kp).toContain('2 / 5');
    expect(section(html, 'violations')).toContain(`href="/visits/${v.V3}"`);
    // Words, not ids (issue 20): the visit is named by its branch; no database id is shown as text.
    const violations = unmarked(section(html, 'violations'));
    expect(violations).toMatch(/>Visit to 支行 \w+ \(\w+\)<\/a>/);
    expect(violations).not.toMatch(/>[0-9a-f]{24}</);
  });

  test('branch table sorts by plain ?sort= links', async () => {
    const asc = section(
      (await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&sort=total`)).text,
      'branches',
    );
    // totals: W2 12.5 < E2 27.1 < E1 65.6 < E3 79.7 < W1 95.8
    expect(order(asc, ['W2', 'E2', 'E1', 'E3', 'W1'])).toBe(true);
    const desc = section(
      (await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&sort=-total`)).text,
      'branches',
    );
    expect(order(desc, ['W1', 'E3', 'E1', 'E2', 'W2'])).toBe(true);
    expect((await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&sort=evil`)).status).toBe(400);
  });

  test('drill-down: region, then branch with its visits linked', async () => {
    const region = await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&region=West`);
    expect(region.status).toBe(200);
    expect(section(region.text, 'branches')).toContain('>W2</a>');
    expect(section(region.text, 'branches')).not.toContain('>E1</a>');
    const branch = await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&branchCode=E3`);
    expect(branch.status).toBe(200);
    for (const id of [v.V4, v.V5, v.V6]) expect(branch.text).toContain(`href="/visits/${id}"`);
    expect(branch.text).toContain('>79.7<'); // E3 79.6875
  });

  test('without a bank the admin is asked to choose one', async () => {
    const res = await agents.admin.get('/results');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Choose a bank');
  });
});

describe('scope on the dashboard', () => {
  test('a region manager sees the region, the bank only as a labelled benchmark', async () => {
    const res = await agents.east.get(`/results?quarter=${Q}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Region East');
    expect(res.text).toContain('>57.5<'); // East total 57.4653 → 57.5
    expect(res.text).toContain('Bank benchmark');
    expect(res.text).toContain('for comparison only');
    const branches = section(res.text, 'branches');
    expect(branches).toContain('>E1</a>');
    expect(branches).not.toContain('>W1</a>');
    expect((await agents.east.get(`/results?quarter=${Q}&region=West`)).status).toBe(404);
    expect((await agents.east.get(`/results?quarter=${Q}&branchCode=W1`)).status).toBe(404);
  });

  test('the bank figure is withheld when a single branch would be exposed', async () => {
    const res = await agents.most.get(`/results?quarter=${Q}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('withheld');
    expect(res.text).not.toContain('Bank benchmark');
  });

  test('auditors get 403; nav shows Results only to those who may open it', async () => {
    expect((await agents.auditor.get('/results')).status).toBe(403);
    expect((await agents.auditor.get('/')).text).not.toContain('href="/results"');
    expect((await agents.east.get('/')).text).toContain('href="/results"');
    expect((await agents.east.get('/admin/overview')).status).toBe(403);
  });
});

describe('admin overview page', () => {
  test('visits per state and coverage per bank', async () => {
    const res = await agents.admin.get(`/admin/overview?quarter=${Q}`);
    expect(res.status).toBe(200);
    const row = res.text.slice(
      res.text.indexOf('data-bank="B1"'),
      res.text.indexOf('</tr>', res.text.indexOf('data-bank="B1"')),
    );
    // 5 of 6 planned branches visited → 83.3%
    expect(row).toContain('83.3%');
    expect(row).toContain('<strong>12</strong>');
  });
});

describe('many violations: the dashboard lists them a page at a time', () => {
  afterAll(() => setConfig({ ...config(), RESULTS_VIOLATIONS_ON_ONE_PAGE: 100 }));

  test('one row per page with the count, next and previous links; the API still answers them all', async () => {
    // Two more violations in b1 (the tests above have read its figures already).
    for (const branchCode of ['E2', 'W1'])
      await addVisit(b1, {
        branchCode,
        region: branchCode === 'E2' ? 'East' : 'West',
        quarter: Q,
        answers: { ...ALL_GOOD, s1: 'no' },
      });
    const token = await tokenFor(app, ADMIN.email, ADMIN.password);
    const api = await request(app)
      .get(`/api/v1/results?bankId=${b1.bankId}&quarter=${Q}&level=bank`)
      .set(bearer(token));
    const total = api.body.violations.length as number;
    expect(total).toBeGreaterThanOrEqual(3);
    setConfig({ ...config(), RESULTS_VIOLATIONS_ON_ONE_PAGE: 1 });
    const rowsOf = (html: string) => (section(html, 'violations').match(/<tr><td><a href="\/visits\//g) ?? []).length;
    const first = (await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}`)).text;
    expect(rowsOf(first)).toBe(1);
    expect(unmarked(first)).toContain(`Violations 1–1 of ${total}, in order of branch code`);
    expect(first).toMatch(/href="[^"]*violationsPage(=|&#x3D;)2#violations" rel="next">Next 1</);
    expect(first).not.toContain('rel="prev"');
    const second = (await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&violationsPage=2`)).text;
    expect(rowsOf(second)).toBe(1);
    expect(unmarked(second)).toContain(`Violations 2–2 of ${total}`);
    expect(second).toMatch(/rel="prev">Previous 1</);
    expect(section(second, 'violations')).not.toEqual(section(first, 'violations'));
    // Past the last page: the last page.
    const past = (await agents.admin.get(`/results?bankId=${b1.bankId}&quarter=${Q}&violationsPage=999`)).text;
    expect(unmarked(past)).toContain(`Violations ${total}–${total} of ${total}`);
    expect(past).not.toContain('rel="next"');
  });
});

describe("a bank of many branches: the dashboard's branch table one region at a time", () => {
  let big: BankFixture;
  beforeAll(async () => {
    const branches = Array.from({ length: 600 }, (_, i) => ({
      code: `M${String(i).padStart(3, '0')}`,
      region: ['Alpha', 'Beta', 'Gamma'][i % 3],
    }));
    big = await makeResultsBank('BIG', branches, [], b1.auditorId);
    for (const code of ['M000', 'M003', 'M001', 'M004', 'M002'])
      await addVisit(big, {
        branchCode: code,
        region: branches[Number(code.slice(1))].region,
        quarter: Q,
        answers: ALL_GOOD,
      });
  });

  test('the first region comes first, the others by a link each; the API still answers every branch', async () => {
    setConfig({ ...config(), RESULTS_BRANCHES_ON_ONE_PAGE: 3 });
    const res = await agents.admin.get(`/results?bankId=${big.bankId}&quarter=${Q}`);
    expect(res.status).toBe(200);
    const html = res.text;
    expect(html).toContain('class="res-pages"');
    const table = section(html, 'branches');
    expect(table).toContain('>M000</a>');
    expect(table).toContain('>M003</a>');
    expect(table).not.toContain('>M001</a>'); // Beta's, on its own page
    expect(html).toMatch(/href="[^"]*branchesOf(=|&#x3D;)Beta[^"]*#branches"/);
    const beta = await agents.admin.get(`/results?bankId=${big.bankId}&quarter=${Q}&branchesOf=Beta`);
    expect(section(beta.text, 'branches')).toContain('>M001</a>');
    expect(section(beta.text, 'branches')).not.toContain('>M000</a>');
    const token = await tokenFor(app, ADMIN.email, ADMIN.password);
    const api = await request(app)
      .get(`/api/v1/results?bankId=${big.bankId}&quarter=${Q}&level=branch`)
      .set(bearer(token));
    expect(api.body.rows.map((r: { key: string }) => r.key)).toEqual(['M000', 'M001', 'M002', 'M003', 'M004']);
  });

  test('a bank within the limit keeps its whole table on one page', async () => {
    setConfig({ ...config(), RESULTS_BRANCHES_ON_ONE_PAGE: 500 });
    const res = await agents.admin.get(`/results?bankId=${big.bankId}&quarter=${Q}`);
    expect(res.text).not.toContain('class="res-pages"');
  });
});
