import type { Express } from 'express';
import mongoose from 'mongoose';
import { Visit } from '../server/visits/model';
import { actionPlansForReport } from '../server/actions/service';
import { startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, api, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';

let app: Express;
let f: FeedbackWorld;
let violationVisit: string;
let plainVisit: string;

const Q = '2026-Q3';
const NEXT = '2026-Q4'; // the visits made "now" (the test clock is in 2026-Q4)
const IN_Q = '2026-08-15T10:00:00+08:00';
const withAnswers = (changes: Record<string, string | number>) =>
  ANSWERS.map((a) => (a.itemKey in changes ? { ...a, value: changes[a.itemKey] } : a));
const withAnswer = (itemKey: string, value: string | number) => withAnswers({ [itemKey]: value });

/**
 * Item c2 across the bank (approved visits only):
 *   2026-Q3: N1 yes, N1 no, N2 no, S1 yes → bank 2/4 = 50 %,   North 2/3 = 66.7 %, S1 0/1 = 0 %
 *   2026-Q4: N1 yes, N2 yes, S1 no        → bank 1/3 = 33.3 %, North 0/2 = 0 %,    S1 1/1 = 100 %
 * Item c1 (critical) at N1: 2026-Q3 no (the violation visit), yes → 1/2; 2026-Q4 yes → 0/1.
 *   plus a 2026-Q4 visit at N1 with c2 no that is only submitted, so it must not count.
 */
beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'AP');
  violationVisit = (
    await approvedVisit(f, { branchCode: 'N1', visitedAt: IN_Q, answers: withAnswers({ c1: 'no', c2: 'yes' }) })
  ).id;
  plainVisit = (await approvedVisit(f, { branchCode: 'N1', visitedAt: IN_Q })).id; // c2 no (ANSWERS)
  await approvedVisit(f, { branchCode: 'N2', visitedAt: IN_Q });
  await approvedVisit(f, { branchCode: 'S1', visitedAt: IN_Q, answers: withAnswer('c2', 'yes') });
  await approvedVisit(f, { branchCode: 'N1', answers: withAnswer('c2', 'yes') });
  await approvedVisit(f, { branchCode: 'N2', answers: withAnswer('c2', 'yes') });
  await approvedVisit(f, { branchCode: 'S1' });
  await approvedVisit(f, { branchCode: 'N1', submitOnly: true });
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const plan = (extra: Record<string, unknown>) => ({
  kind: 'key_problem',
  bankId: f.bankId,
  quarter: Q,
  itemKey: 'c2',
  scope: { type: 'bank' },
  action: '全员重新培训风险提示话术',
  owner: '合规部 王经理',
  dueDate: '2026-10-31',
  ...extra,
});
const create = (who: FeedbackWorld['manager'], body: Record<string, unknown>) =>
  api(f).post(who, '/action-plans', body);

describe('POST /api/v1/action-plans', () => {
  test('a key problem for the bank: 201 with the plan, its item and its outcome', async () => {
    const res = await create(f.manager, plan({}));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'key_problem',
      bankId: f.bankId,
      quarter: Q,
      itemKey: 'c2',
      sectionKey: 'sales_compliance',
      visitId: null,
      scope: { type: 'bank' },
      action: '全员重新培训风险提示话术',
      owner: '合规部 王经理',
      dueDate: '2026-10-31',
      status: 'open',
      doneAt: null,
      createdBy: f.manager.id,
      rev: 0,
      itemText: { zh: '题目 c2', en: 'Item c2' },
    });
    expect(res.body.overdue).toBe(true); // due 2026-10-31, the clock is past it
    // Bank: 2/4 failed in Q3 → 1/3 in Q4 (the submitted-only visit is not counted).
    expect(res.body.outcome).toEqual({
      status: 'improved',
      before: { quarter: Q, failed: 2, applicable: 4, failureRate: 0.5 },
      after: { quarter: NEXT, failed: 1, applicable: 3, failureRate: 1 / 3 },
    });
  });

  test('outcomes per area: North improved (66.7 % → 0 %), S1 worse (0 % → 100 %), unchanged, and no data', async () => {
    const north = (await create(f.north, plan({ scope: { type: 'region', region: 'North' } }))).body;
    expect(north.outcome).toMatchObject({
      status: 'improved',
      before: { failed: 2, applicable: 3 },
      after: { failed: 0, applicable: 2 },
    });
    const s1 = (await create(f.s1, plan({ scope: { type: 'branch', branchCode: 'S1' } }))).body;
    expect(s1.outcome).toMatchObject({
      status: 'worse',
      before: { failed: 0, applicable: 1 },
      after: { failed: 1, applicable: 1 },
    });
    // g1 is yes everywhere: 0/4 → 0/3 (the Q3 violation visit answered g1 yes too).
    const same = (await create(f.manager, plan({ itemKey: 'g1' }))).body;
    expect(same.outcome).toMatchObject({
      status: 'unchanged',
      before: { failed: 0, applicable: 4 },
      after: { failed: 0, applicable: 3 },
    });
    // p1 is always N/A: nothing applicable.
    expect((await create(f.manager, plan({ itemKey: 'p1' }))).body.outcome.status).toBe('no_data');
    // A plan of 2026-Q4: nothing in 2027-Q1 yet.
    expect((await create(f.manager, plan({ quarter: NEXT }))).body.outcome).toMatchObject({
      status: 'no_data',
      after: { quarter: '2027-Q1', applicable: 0, failureRate: null },
    });
  });

  test('a violation: bank, quarter and branch come from the visit; the item must be a violation of it', async () => {
    const res = await create(f.north, {
      kind: 'violation',
      visitId: violationVisit,
      itemKey: 'c1',
      action: '补录双录并约谈',
      owner: 'N1 行长',
      dueDate: '2026-09-30',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'violation',
      visitId: violationVisit,
      bankId: f.bankId,
      quarter: Q,
      scope: { type: 'branch', region: 'North', branchCode: 'N1' },
      sectionKey: 'sales_compliance',
    });
    // c1 at N1: Q3 1/2 failed → Q4 0/1.
    expect(res.body.outcome).toMatchObject({
      status: 'improved',
      before: { failed: 1, applicable: 2 },
      after: { failed: 0, applicable: 1 },
    });
    const notViolation = await create(f.north, {
      kind: 'violation',
      visitId: plainVisit,
      itemKey: 'c1',
      action: 'x',
      owner: 'y',
      dueDate: '2026-09-30',
    });
    expect(notViolation.status).toBe(422);
    expect(notViolation.body.error.details[0].field).toBe('itemKey');
    expect(
      (
        await create(f.s1, {
          kind: 'violation',
          visitId: violationVisit,
          itemKey: 'c1',
          action: 'x',
          owner: 'y',
          dueDate: '2026-09-30',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await create(f.otherManager, {
          kind: 'violation',
          visitId: violationVisit,
          itemKey: 'c1',
          action: 'x',
          owner: 'y',
          dueDate: '2026-09-30',
        })
      ).status,
    ).toBe(404);
  });

  test('404 for an area outside the scope or another bank; 403 for every role but bank_manager', async () => {
    expect((await create(f.north, plan({}))).status).toBe(404); // a region manager cannot plan for the bank
    expect((await create(f.north, plan({ scope: { type: 'region', region: 'South' } }))).status).toBe(404);
    expect((await create(f.s1, plan({ scope: { type: 'branch', branchCode: 'N1' } }))).status).toBe(404);
    expect((await create(f.s1, plan({ scope: { type: 'region', region: 'South' } }))).status).toBe(404); // branches scope: no whole region
    expect((await create(f.otherManager, plan({}))).status).toBe(404);
    expect((await create(f.manager, plan({ scope: { type: 'branch', branchCode: 'NOPE' } }))).status).toBe(404);
    for (const who of [f.admin, f.hr, f.auditor, f.reviewer]) expect((await create(who, plan({}))).status).toBe(403);
  });

  test('422 for an unknown item, a bad due date, missing fields', async () => {
    expect((await create(f.manager, plan({ itemKey: 'zz' }))).status).toBe(422);
    const bad = await create(f.manager, plan({ dueDate: '2026-02-30', owner: '' }));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['dueDate', 'owner']);
    expect((await create(f.manager, { kind: 'key_problem', bankId: f.bankId })).status).toBe(422);
  });
});

describe('GET and PATCH /api/v1/action-plans', () => {
  let bankPlan: string;
  let northPlan: string;
  let s1Plan: string;
  let otherPlan: string;

  beforeAll(async () => {
    bankPlan = (await create(f.manager, plan({ itemKey: 'g2' }))).body.id;
    northPlan = (await create(f.north, plan({ itemKey: 'g2', scope: { type: 'region', region: 'North' } }))).body.id;
    s1Plan = (await create(f.s1, plan({ itemKey: 'g2', scope: { type: 'branch', branchCode: 'S1' } }))).body.id;
    await approvedVisit(f, { bank: 'other' });
    otherPlan = (await create(f.otherManager, { ...plan({ itemKey: 'g2' }), bankId: f.otherBankId })).body.id;
  });

  /** The g2 plans a caller sees (other tests add plans for other items). */
  const ids = async (who: FeedbackWorld['manager']) =>
    (await api(f).get(who, '/action-plans')).body
      .filter((p: { itemKey: string }) => p.itemKey === 'g2')
      .map((p: { id: string }) => p.id);

  test('each caller sees the plans whose area lies in their scope', async () => {
    expect(await ids(f.manager)).toEqual(expect.arrayContaining([bankPlan, northPlan, s1Plan]));
    expect(await ids(f.manager)).not.toContain(otherPlan);
    expect(await ids(f.north)).toEqual([northPlan]);
    expect(await ids(f.s1)).toEqual([s1Plan]);
    expect(await ids(f.otherManager)).toEqual([otherPlan]);
    expect(await ids(f.admin)).toEqual(expect.arrayContaining([bankPlan, northPlan, s1Plan, otherPlan]));
    for (const who of [f.hr, f.auditor, f.reviewer]) expect((await api(f).get(who, '/action-plans')).status).toBe(403);
    expect((await api(f).get(f.otherManager, `/action-plans?bankId=${f.bankId}`)).status).toBe(404);
    expect((await api(f).get(f.north, `/action-plans/${bankPlan}`)).status).toBe(404);
    expect((await api(f).get(f.north, `/action-plans/${northPlan}`)).status).toBe(200);
  });

  test('the outcomes of plans in several areas of a bank come from the kept statistics, not its visits', async () => {
    // Brings the statistics in line with the visits approved above (a read does that first).
    await api(f).get(f.manager, `/action-plans?bankId=${f.bankId}`);
    const reads: string[] = [];
    mongoose.set('debug', (collection: string, method: string) => {
      if (collection === Visit.collection.collectionName) reads.push(method);
    });
    let listed: { id: string; outcome: unknown }[];
    try {
      listed = (await api(f).get(f.manager, `/action-plans?bankId=${f.bankId}`)).body;
    } finally {
      mongoose.set('debug', false);
    }
    expect(listed.filter((p) => [bankPlan, northPlan, s1Plan].includes(p.id)).every((p) => p.outcome)).toBe(true);
    expect(reads).toEqual([]);
  });

  test('filters by quarter, status, kind and branch', async () => {
    const rows = (
      await api(f).get(f.manager, `/action-plans?bankId=${f.bankId}&quarter=${Q}&kind=key_problem&branchCode=S1`)
    ).body;
    expect(rows.map((p: { id: string }) => p.id)).toContain(s1Plan);
    expect(rows.every((p: { scope: { branchCode?: string } }) => p.scope.branchCode === 'S1')).toBe(true);
    expect((await api(f).get(f.manager, '/action-plans?quarter=2019-Q1')).body).toEqual([]);
  });

  test('marking done records who and when in the history; reopening clears it', async () => {
    const done = await api(f).patch(f.manager, `/action-plans/${bankPlan}`, { status: 'done' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', overdue: false, rev: 1 });
    expect(done.body.doneAt).toEqual(expect.any(String));
    expect(done.body.history[1]).toMatchObject({
      action: 'done',
      by: f.manager.id,
      changes: [{ field: 'status', before: 'open', after: 'done' }],
    });
    const listed = (await api(f).get(f.manager, `/action-plans?status=done`)).body.map((p: { id: string }) => p.id);
    expect(listed).toContain(bankPlan);
    const reopened = await api(f).patch(f.manager, `/action-plans/${bankPlan}`, { status: 'open', owner: '新负责人' });
    expect(reopened.body).toMatchObject({ status: 'open', doneAt: null, owner: '新负责人', rev: 2 });
    expect(reopened.body.history[2].action).toBe('reopened');
  });

  test('PATCH: 404 out of scope, 403 other roles, 409 for a stale rev, 422 for an empty change', async () => {
    expect((await api(f).patch(f.north, `/action-plans/${bankPlan}`, { status: 'done' })).status).toBe(404);
    expect((await api(f).patch(f.otherManager, `/action-plans/${s1Plan}`, { status: 'done' })).status).toBe(404);
    for (const who of [f.admin, f.hr])
      expect((await api(f).patch(who, `/action-plans/${s1Plan}`, { status: 'done' })).status).toBe(403);
    expect((await api(f).patch(f.s1, `/action-plans/${s1Plan}`, { status: 'done', rev: 5 })).status).toBe(409);
    expect((await api(f).patch(f.s1, `/action-plans/${s1Plan}`, {})).status).toBe(422);
    expect((await api(f).get(f.s1, `/action-plans/${s1Plan}`)).body.status).toBe('open');
  });

  test('two simultaneous changes of the same revision: exactly one is applied', async () => {
    const [a, b] = await Promise.all([
      api(f).patch(f.north, `/action-plans/${northPlan}`, { owner: '甲', rev: 0 }),
      api(f).patch(f.manager, `/action-plans/${northPlan}`, { owner: '乙', rev: 0 }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const now = (await api(f).get(f.north, `/action-plans/${northPlan}`)).body;
    expect(now.rev).toBe(1);
    expect(now.history).toHaveLength(2);
    expect(now.owner).toBe(a.status === 200 ? '甲' : '乙');
  });
});

describe('for the branch report', () => {
  test("the report of 2026-Q4 for branch S1 gets the previous quarter's plans covering S1, with outcomes", async () => {
    await create(f.s1, plan({ itemKey: 'c2', scope: { type: 'branch', branchCode: 'S1' } }));
    await create(f.north, plan({ itemKey: 'c2', scope: { type: 'branch', branchCode: 'N2' } }));
    const rows = await actionPlansForReport({ bankId: f.bankId, quarter: NEXT, region: 'South', branchCode: 'S1' });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((p) => p.quarter === Q)).toBe(true);
    expect(
      rows.every((p) => p.scope.type === 'bank' || p.scope.branchCode === 'S1' || p.scope.region === 'South'),
    ).toBe(true);
    expect(rows.some((p) => p.scope.region === 'North')).toBe(false);
    const s1c2 = rows.find((p) => p.itemKey === 'c2' && p.scope.type === 'branch');
    expect(s1c2?.outcome.status).toBe('worse');
  });
});
