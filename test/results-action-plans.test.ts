import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { ActionPlan } from '../server/actions/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD, type Fixture } from './helpers/foundation';
import { PREV, Q, resultsScenario, type BankFixture } from './helpers/results-fixtures';
import { signIn, type Agent, unmarked } from './helpers/web';

/**
 * The results dashboard of a quarter shows the previous quarter's action plans covering the view,
 * cut to the viewer's scope, with the outcome of server/actions/outcome.ts.
 *
 * Failure rates worked out by hand from resultsScenario (counted = approved + disputed visits):
 *   f1 bank-wide: 2026-Q1 E1 yes, W1 no → 1/2 = 50.0 %; 2026-Q2 V1 yes, V2 no, V4 yes, V5 yes, V9 no
 *     (V3, V6, V7 N/A) → 2/5 = 40.0 %  → improved
 *   p1 region East: 2026-Q1 E1 yes → 0/1 = 0.0 %; 2026-Q2 V1 yes, V2 yes, V3 no, V4 yes, V5 no, V6 yes → 2/6 = 33.3 % → worse
 *   s1 branch E1: 2026-Q1 yes → 0/1; 2026-Q2 V1 yes, V2 yes → 0/2 → unchanged (0.0 % → 0.0 %)
 *   g1 branch E3: no visit in 2026-Q1 → not yet measurable; 2026-Q2 V4, V5, V6 yes → 0/3
 *   g1 branch W1: 2026-Q1 no → 1/1 = 100.0 %; 2026-Q2 V7 yes → 0/1 → improved
 * Benchmark rule (results): in 2026-Q1 only E1 and W1 were visited, so to a manager of E1, of W1
 * or of the East region the bank's 2026-Q1 figure would expose a single hidden branch: withheld.
 */
let app: Express;
let b1: BankFixture;
let b2: BankFixture;
const agents: Record<string, Agent> = {};
const plans: Record<string, string> = {};

async function createPlan(token: string, body: Record<string, unknown>): Promise<string> {
  const res = await request(app)
    .post('/api/v1/action-plans')
    .set(bearer(token))
    .send({ kind: 'key_problem', bankId: b1.bankId, quarter: PREV, ...body });
  if (res.status !== 201) throw new Error(`plan: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

beforeAll(async () => {
  app = await startTestApp();
  const f: Fixture = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  ({ b1, b2 } = await resultsScenario());
  const users: [string, Record<string, unknown>][] = [
    ['mgr', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'bank' } }],
    ['east', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'region', region: 'East' } }],
    ['e1', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'branches', branchCodes: ['E1'] } }],
    ['w1', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'branches', branchCodes: ['W1'] } }],
    ['hr', { role: 'hr', bankId: b1.bankId }],
  ];
  const tokens: Record<string, string> = {};
  for (const [name, body] of users)
    tokens[name] = (
      await makeUser(f, { email: `${name}@rplans.test`, ...body } as Parameters<typeof makeUser>[1])
    ).token;
  const content = { owner: '合规部 王经理', dueDate: '2026-03-31' };
  plans.bank = await createPlan(tokens.mgr, {
    itemKey: 'f1',
    scope: { type: 'bank' },
    action: 'BANK-WIDE follow-up calls',
    ...content,
  });
  const done = await request(app)
    .patch(`/api/v1/action-plans/${plans.bank}`)
    .set(bearer(tokens.mgr))
    .send({ status: 'done' });
  if (done.status !== 200) throw new Error(`done: ${done.status}`);
  plans.east = await createPlan(tokens.mgr, {
    itemKey: 'p1',
    scope: { type: 'region', region: 'East' },
    action: 'EAST product training',
    ...content,
  });
  plans.e1 = await createPlan(tokens.mgr, {
    itemKey: 's1',
    scope: { type: 'branch', branchCode: 'E1' },
    action: 'E1 compliance drill',
    owner: 'E1 行长',
    dueDate: '2099-12-31',
  });
  plans.e3 = await createPlan(tokens.mgr, {
    itemKey: 'g1',
    scope: { type: 'branch', branchCode: 'E3' },
    action: 'E3 greeting coaching',
    ...content,
  });
  plans.w1 = await createPlan(tokens.w1, {
    itemKey: 'g1',
    scope: { type: 'branch', branchCode: 'W1' },
    action: 'W1 greeting coaching',
    ...content,
  });
  // Made in 2026-Q2 itself: it belongs on 2026-Q3's dashboard, not on 2026-Q2's.
  plans.sameQuarter = await createPlan(tokens.mgr, {
    quarter: Q,
    itemKey: 'g2',
    scope: { type: 'bank' },
    action: 'PLAN OF Q2 ITSELF',
    ...content,
  });
  // Another bank's plan of the same quarter must never show.
  await ActionPlan.create({
    bankId: b2.bankId,
    quarter: PREV,
    kind: 'key_problem',
    itemKey: 'f1',
    sectionKey: 'follow_up',
    scopeType: 'bank',
    action: 'OTHER BANK PLAN',
    owner: 'x',
    dueDate: '2026-03-31',
    createdBy: new mongoose.Types.ObjectId(),
    history: [],
  });
  agents.admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
  agents.mgrZh = await signIn(app, 'mgr@rplans.test', PASSWORD, 'zh');
  for (const [name] of users) agents[name] = await signIn(app, `${name}@rplans.test`, PASSWORD, 'en');
}, 120_000);
afterAll(stopTestApp);

const sectionOf = (html: string) => {
  const start = html.indexOf('id="action-plans"');
  return start < 0 ? '' : html.slice(start, html.indexOf('</section>', start));
};
const rowOf = (html: string, id: string) => {
  const start = html.indexOf(`data-plan="${id}"`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</tr>', start));
};
/** The plans section of a dashboard page (200 asserted). */
async function plansOn(agent: Agent, query: string): Promise<string> {
  const res = await agent.get(`/results?${query}`);
  expect(res.status).toBe(200);
  return sectionOf(unmarked(res.text));
}
const shown = (section: string) =>
  Object.entries(plans)
    .filter(([, id]) => section.includes(`data-plan="${id}"`))
    .map(([k]) => k)
    .sort();

describe("the previous quarter's plans on the dashboard, by level", () => {
  test('bank level: the bank-wide plan with its outcome (50.0 % → 40.0 %, improved), done', async () => {
    const s = await plansOn(agents.mgr, `quarter=${Q}`);
    expect(s).toContain(`Action plans from the previous quarter (${PREV}) and their outcome`);
    expect(shown(s)).toEqual(['bank']);
    const row = rowOf(s, plans.bank);
    expect(row).toContain('Item f1');
    expect(row).toContain('Bank-wide');
    expect(row).toContain('BANK-WIDE follow-up calls');
    expect(row).toContain('合规部 王经理');
    expect(row).toContain('2026-03-31');
    expect(row).toContain('>Done<');
    expect(row).toContain('50.0% (1/2)');
    expect(row).toContain('40.0% (2/5)');
    expect(row).toContain('Improved');
    expect(s).toContain(`Failure rate ${PREV}`);
    expect(s).toContain(`Failure rate ${Q}`);
    expect(s).not.toContain('OTHER BANK PLAN');
    expect(s).not.toContain('PLAN OF Q2 ITSELF');
    // The admin sees the same figures for the bank.
    expect(rowOf(await plansOn(agents.admin, `bankId=${b1.bankId}&quarter=${Q}`), plans.bank)).toContain('40.0% (2/5)');
  });

  test("region level: the bank-wide plan and the region's (0.0 % → 33.3 %, worse, overdue)", async () => {
    const s = await plansOn(agents.mgr, `quarter=${Q}&region=East`);
    expect(shown(s)).toEqual(['bank', 'east']);
    expect(rowOf(s, plans.bank)).toContain('Improved');
    const row = rowOf(s, plans.east);
    expect(row).toContain('Region East');
    expect(row).toContain('>Overdue<');
    expect(row).toContain('0.0% (0/1)');
    expect(row).toContain('33.3% (2/6)');
    expect(row).toContain('Worse');
    expect(shown(await plansOn(agents.mgr, `quarter=${Q}&region=West`))).toEqual(['bank']);
  });

  test('branch level: bank-wide, region and branch plans; unchanged and not yet measurable', async () => {
    const e1 = await plansOn(agents.mgr, `quarter=${Q}&branchCode=E1`);
    expect(shown(e1)).toEqual(['bank', 'e1', 'east']);
    const row = rowOf(e1, plans.e1);
    expect(row).toContain('Branch E1');
    expect(row).toContain('>Open<'); // due 2099
    expect(row).toContain('0.0% (0/1)');
    expect(row).toContain('0.0% (0/2)');
    expect(row).toContain('Unchanged');
    expect(rowOf(e1, plans.bank)).toContain('50.0% (1/2)');

    const e3 = await plansOn(agents.mgr, `quarter=${Q}&branchCode=E3`);
    expect(shown(e3)).toEqual(['bank', 'e3', 'east']);
    expect(rowOf(e3, plans.e3)).toContain('>–<');
    expect(rowOf(e3, plans.e3)).toContain('0.0% (0/3)');
    expect(rowOf(e3, plans.e3)).toContain('Not yet measurable');

    const w1 = await plansOn(agents.mgr, `quarter=${Q}&branchCode=W1`);
    expect(shown(w1)).toEqual(['bank', 'w1']);
    expect(rowOf(w1, plans.w1)).toContain('100.0% (1/1)');
    expect(rowOf(w1, plans.w1)).toContain('Improved');
  });

  test('one query for the plans of a page, whatever the level', async () => {
    const finds: string[] = [];
    mongoose.set('debug', (collection: string, method: string) => {
      if (collection === ActionPlan.collection.collectionName) finds.push(method);
    });
    try {
      await plansOn(agents.mgr, `quarter=${Q}&branchCode=E1`);
    } finally {
      mongoose.set('debug', false);
    }
    expect(finds).toEqual(['find']);
  });
});

describe("cut to the viewer's scope", () => {
  test("a branch manager sees the plans covering their branch, never another branch's", async () => {
    const mine = await plansOn(agents.e1, `quarter=${Q}`);
    expect(shown(mine)).toEqual(['bank', 'e1', 'east']);
    expect(mine).not.toContain('W1 greeting coaching');
    expect(rowOf(mine, plans.e1)).toContain('Unchanged');
    // The East region's figures: 2026-Q2 has two other visited East branches, 2026-Q1 none → shown.
    expect(rowOf(mine, plans.east)).toContain('33.3% (2/6)');
    // The bank's 2026-Q1 figure would expose W1 alone (bank 1/2 minus E1's 0/1): withheld.
    const bank = rowOf(mine, plans.bank);
    expect(bank).toContain('BANK-WIDE follow-up calls');
    expect(bank).toContain('Not shown');
    expect(bank).not.toContain('%');

    const other = await agents.w1.get(`/results?quarter=${Q}`);
    expect(other.status).toBe(200);
    const theirs = sectionOf(other.text);
    expect(shown(theirs)).toEqual(['bank', 'w1']);
    expect(theirs).not.toContain('E1 compliance drill');
    expect(theirs).not.toContain('EAST product training');
    expect(other.text).toContain('Your branches: W1'); // the rest of the page still renders
    expect((await agents.w1.get(`/results?quarter=${Q}&branchCode=E1`)).status).toBe(404);
  });

  test("a region manager sees the region's and the bank-wide plans only", async () => {
    const s = await plansOn(agents.east, `quarter=${Q}`);
    expect(shown(s)).toEqual(['bank', 'east']);
    expect(rowOf(s, plans.east)).toContain('Worse');
    expect(rowOf(s, plans.bank)).toContain('Not shown');
    const branch = await plansOn(agents.east, `quarter=${Q}&branchCode=E1`);
    expect(shown(branch)).toEqual(['bank', 'e1', 'east']);
  });

  test('HR sees the results but no action plans', async () => {
    const res = await agents.hr.get(`/results?quarter=${Q}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('id="action-plans"');
    expect(res.text).not.toContain('BANK-WIDE follow-up calls');
  });
});

describe('labels and the empty case', () => {
  test('Chinese labels', async () => {
    const s = await plansOn(agents.mgrZh, `quarter=${Q}&region=East`);
    expect(s).toContain(`上季度（${PREV}）整改措施及效果`);
    expect(s).toContain(`${PREV} 失败率`);
    expect(s).toContain('题目 f1');
    expect(s).toContain('全行');
    expect(s).toContain('区域 East');
    expect(s).toContain('已完成');
    expect(s).toContain('已逾期');
    expect(s).toContain('改善');
    expect(s).toContain('恶化');
    expect(await plansOn(agents.mgrZh, `quarter=${Q}&branchCode=E3`)).toContain('尚无法衡量');
    expect(await plansOn(agents.e1, `quarter=${Q}`)).toContain('Not shown');
  });

  test('a quarter without plans from the previous one says so plainly', async () => {
    const en = await plansOn(agents.mgr, `quarter=${PREV}`);
    expect(en).toContain('No action plan from 2025-Q4 covers this view.');
    expect(en).not.toContain('<table');
    expect(await plansOn(agents.mgrZh, `quarter=${PREV}`)).toContain('没有涉及本视图的 2025-Q4 整改措施。');
    // A quarter with no visits at all still gets the section.
    expect(await plansOn(agents.mgr, 'quarter=2024-Q1')).toContain('No action plan from 2023-Q4');
  });
});
