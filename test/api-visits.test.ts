import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { IdempotencyRecord } from '../server/platform/db/idempotency';
import { Staff } from '../server/banks/model';
import { Visit } from '../server/visits/model';
import { WriteClaim } from '../server/platform/db/write-claims';
import { commit, forgetLastCopies, historyEntry, visitClaimKey } from '../server/visits/store';
import { type StoredVisit } from '../server/visits/service';
import { reviewQueue } from '../server/visits/service';
import type { Principal } from '../server/platform/access';
import { dbFeatures, overrideDbFeatures } from '../server/platform/db/connection';
import { ConflictError } from '../server/platform/errors';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import {
  ANSWERS,
  EXPECTED,
  hoursAgo,
  insertQuestionnaire,
  SECTIONS,
  VisitWorld,
  windowAroundNow,
  type Actor,
} from './helpers/visits';

let app: Express;
let w: VisitWorld;
let bankId: string;
let otherBankId: string;
let questionnaireId: string;
let auditor: Actor;
let auditor2: Actor;
let reviewer: Actor;
let manager: Actor;
let northManager: Actor;
let otherManager: Actor;
let hr: Actor;

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  bankId = await w.bank('VB1');
  otherBankId = await w.bank('VB2');
  for (const [code, region] of [
    ['N1', 'North'],
    ['N2', 'North'],
    ['S1', 'South'],
  ])
    await w.branch(bankId, code, region);
  await w.branch(otherBankId, 'Z1', 'Zed');
  await w.staff(bankId, 'E1', 'N1');
  await w.staff(bankId, 'E2', 'S1');
  // Version 2 drops nothing but must be the one a new visit is filled on.
  questionnaireId = await insertQuestionnaire(bankId, [SECTIONS.slice(0, 2), SECTIONS]);
  auditor = await w.user('va1@firm.test', 'auditor');
  auditor2 = await w.user('va2@firm.test', 'auditor');
  reviewer = await w.user('vrev@firm.test', 'reviewer');
  manager = await w.user('vmgr@bank.test', 'bank_manager', { bankId, scope: { type: 'bank' } });
  northManager = await w.user('vnorth@bank.test', 'bank_manager', {
    bankId,
    scope: { type: 'region', region: 'North' },
  });
  otherManager = await w.user('vother@bank.test', 'bank_manager', { bankId: otherBankId, scope: { type: 'bank' } });
  hr = await w.user('vhr@bank.test', 'hr', { bankId });
});
afterAll(stopTestApp);

async function assign(
  who: Actor = auditor,
  branchCode = 'N1',
  window = windowAroundNow(),
  qId = questionnaireId,
): Promise<string> {
  return w.assignment({
    bankId,
    branchCode,
    auditorId: who.id,
    questionnaireId: qId,
    quarter: '2026-Q3',
    ...window,
    scenario: '开立账户',
  });
}

function post(who: Actor, body: Record<string, unknown>, key?: string) {
  const r = request(app).post('/api/v1/visits').set(bearer(who.token));
  return (key ? r.set('Idempotency-Key', key) : r).send(body);
}

const visitBody = (assignmentId: string, extra: Record<string, unknown> = {}) => ({
  assignmentId,
  visitedAt: hoursAgo(2),
  durationMinutes: 25,
  answers: ANSWERS,
  ...extra,
});

async function newVisit(
  who: Actor = auditor,
  branchCode = 'N1',
  extra: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const res = await post(who, visitBody(await assign(who, branchCode), extra));
  if (res.status !== 201) throw new Error(`visit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const patch = (who: Actor, id: string, body: Record<string, unknown>) =>
  request(app).patch(`/api/v1/visits/${id}`).set(bearer(who.token)).send(body);
const submit = (who: Actor, id: string) => request(app).post(`/api/v1/visits/${id}/submit`).set(bearer(who.token));
const review = (who: Actor, id: string, body: Record<string, unknown>) =>
  request(app).post(`/api/v1/visits/${id}/review`).set(bearer(who.token)).send(body);
const get = (who: Actor | null, id: string) =>
  who ? request(app).get(`/api/v1/visits/${id}`).set(bearer(who.token)) : request(app).get(`/api/v1/visits/${id}`);
const adminActor = (): Actor => ({ id: '', token: w.adminToken });

async function approved(who: Actor = auditor, branchCode = 'N1'): Promise<Record<string, any>> {
  const v = await newVisit(who, branchCode);
  expect((await submit(who, v.id)).status).toBe(200);
  const res = await review(reviewer, v.id, { decision: 'approve' });
  expect(res.status).toBe(200);
  return res.body;
}

/** Six edits of one visit at once: each is applied or refused (409), and every applied one is in the history. */
/** The revision claims of one visit (keys "visit:<id>:<rev>"). */
const claimsOf = (visitId: string) => ({ _id: { $regex: `^visit:${visitId}:` } });

async function concurrentEdits(): Promise<{ visitId: string; wins: number }> {
  const v = await newVisit();
  const results = await Promise.all([30, 31, 32, 33, 34, 35].map((d) => patch(auditor, v.id, { durationMinutes: d })));
  const statuses = results.map((r) => r.status);
  expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
  const stored = await Visit.findById(v.id).lean();
  const wins = statuses.filter((s) => s === 200).length;
  expect(wins).toBeGreaterThanOrEqual(1);
  expect(stored?.history).toHaveLength(1 + wins);
  expect(stored?.rev).toBe(wins);
  return { visitId: v.id, wins };
}

const details = (res: request.Response) =>
  res.body.error.details as { field: string; message: string; itemKey?: string }[];
const flagCodes = (v: { flags: { code: string }[] }) => v.flags.map((f) => f.code).sort();

describe('POST /api/v1/visits', () => {
  test('creates a draft with the exact visit shape and hand-computed scores', async () => {
    const assignmentId = await assign();
    const res = await post(auditor, {
      ...visitBody(assignmentId),
      staff: [{ employeeId: 'E1' }, { description: '大堂经理，戴眼镜' }],
      summary: '整体良好',
    });
    expect(res.status).toBe(201);
    const v = res.body;
    expect(Object.keys(v).sort()).toEqual([
      'answers',
      'approvedAt',
      'assignmentId',
      'attachments',
      'auditorCode',
      'auditorId',
      'bankId',
      'branchCode',
      'branchName',
      'createdAt',
      'durationMinutes',
      'flags',
      'history',
      'id',
      'quarter',
      'questionnaireId',
      'questionnaireVersion',
      'region',
      'rev',
      'reviewNote',
      'scores',
      'staff',
      'status',
      'submittedAt',
      'summary',
      'updatedAt',
      'violations',
      'visitedAt',
    ]);
    expect(v).toMatchObject({
      assignmentId,
      bankId,
      branchCode: 'N1',
      branchName: '支行 N1',
      region: 'North',
      auditorId: auditor.id,
      questionnaireId,
      questionnaireVersion: 2,
      status: 'draft',
      durationMinutes: 25,
      summary: '整体良好',
      rev: 0,
      flags: [],
      violations: [],
      attachments: [],
    });
    expect(v.auditorCode).toMatch(/^A-/);
    expect(v.staff).toEqual([{ employeeId: 'E1', name: '员工 E1' }, { description: '大堂经理，戴眼镜' }]);
    expect(v.answers).toEqual(ANSWERS);
    expect(v.scores.sections.greeting).toBeCloseTo(EXPECTED.greeting, 9);
    expect(v.scores.sections.product_knowledge).toBeCloseTo(EXPECTED.product_knowledge, 9);
    expect(v.scores.sections.sales_compliance).toBeCloseTo(EXPECTED.sales_compliance, 9);
    expect(v.scores.sections.follow_up).toBeCloseTo(EXPECTED.follow_up, 9);
    expect(v.scores.total).toBeCloseTo(EXPECTED.total, 9);
    expect(v.scores.total).not.toBe(Math.round(v.scores.total * 10) / 10); // stored unrounded
    expect(v.history).toHaveLength(1);
    expect(v.history[0]).toMatchObject({ by: auditor.id, role: 'auditor', action: 'created' });
    expect(v.history[0].changes).toEqual(
      expect.arrayContaining([
        { field: 'status', before: null, after: 'draft' },
        { field: 'answers.g1', before: null, after: 'yes' },
      ]),
    );
  });

  test('a section without any applicable answer has a null score and is left out of the total', async () => {
    const v = await newVisit(auditor, 'N1', {
      answers: [
        { itemKey: 'g1', value: 'no' },
        { itemKey: 'f1', value: 'na' },
      ],
    });
    expect(v.scores).toEqual({
      sections: { greeting: 0, product_knowledge: null, sales_compliance: null, follow_up: null },
      total: 0,
    });
  });

  test('401 without a token; 403 for every role but auditor', async () => {
    const body = visitBody(await assign());
    expect((await request(app).post('/api/v1/visits').send(body)).status).toBe(401);
    for (const who of [reviewer, manager, hr, adminActor()]) expect((await post(who, body)).status).toBe(403);
  });

  test("another auditor's assignment is 404; a second visit for one assignment is 409", async () => {
    const assignmentId = await assign();
    expect((await post(auditor2, visitBody(assignmentId))).status).toBe(404);
    expect((await post(auditor, visitBody(assignmentId))).status).toBe(201);
    const again = await post(auditor, visitBody(assignmentId));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('visit_exists');
    expect(await Visit.countDocuments({ assignmentId })).toBe(1);
  });

  test('422 lists every bad answer and staff entry by field path', async () => {
    const res = await post(
      auditor,
      visitBody(await assign(), {
        answers: [
          { itemKey: 'nope', value: 'yes' },
          { itemKey: 'g1', value: 'na' },
          { itemKey: 'g2', value: 0 },
          { itemKey: 'p2', value: 6 },
          { itemKey: 'c1', value: 3 },
        ],
        staff: [{ employeeId: 'E2' }, { employeeId: 'GHOST' }, { employeeId: 'E1' }],
      }),
    );
    expect(res.status).toBe(422);
    expect(details(res).map((d) => d.field)).toEqual([
      'answers.0.itemKey',
      'answers.1.value',
      'answers.2.value',
      'answers.3.value',
      'answers.4.value',
      'staff.0.employeeId',
      'staff.1.employeeId',
    ]);
    expect(await Visit.countDocuments({ auditorId: auditor.id, 'answers.itemKey': 'nope' })).toBe(0);
  });

  test('422 for a staff entry with neither employeeId nor description, a negative duration, unknown fields', async () => {
    const res = await post(auditor, visitBody(await assign(), { staff: [{}], durationMinutes: -1, extra: 1 }));
    expect(res.status).toBe(422);
    const fields = details(res).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['staff.0', 'durationMinutes']));
  });

  test("a branch's staff list is read once for many visits, and staff added elsewhere are accepted at once", async () => {
    await w.staff(bankId, 'E7', 'N2');
    const staffReads = jest.spyOn(Staff, 'find');
    try {
      for (let i = 0; i < 3; i++) {
        expect(
          (await post(auditor, { ...visitBody(await assign(auditor, 'N2')), staff: [{ employeeId: 'E7' }] })).status,
        ).toBe(201);
      }
      expect(staffReads).toHaveBeenCalledTimes(1);
      // Added by another instance (straight into the database): unknown to the kept list, so looked up again.
      await Staff.create({ bankId, employeeId: 'E8', name: '员工 E8', branchCode: 'N2', region: 'North' });
      const res = await post(auditor, { ...visitBody(await assign(auditor, 'N2')), staff: [{ employeeId: 'E8' }] });
      expect(res.status).toBe(201);
      expect(res.body.staff).toEqual([{ employeeId: 'E8', name: '员工 E8' }]);
      expect(staffReads).toHaveBeenCalledTimes(2);
    } finally {
      staffReads.mockRestore();
    }
  });

  test('staff moved to another branch by an import here are refused at their old branch at once', async () => {
    await w.staff(bankId, 'E9', 'N2');
    expect(
      (await post(auditor, { ...visitBody(await assign(auditor, 'N2')), staff: [{ employeeId: 'E9' }] })).status,
    ).toBe(201);
    const csv = 'employeeId,name,branchCode\nE9,员工 E9,S1\n';
    const imported = await request(app)
      .post(`/api/v1/banks/${bankId}/staff/import`)
      .set(bearer(w.adminToken))
      .attach('file', Buffer.from(csv), 'staff.csv');
    expect(imported.status).toBe(200);
    const res = await post(auditor, { ...visitBody(await assign(auditor, 'N2')), staff: [{ employeeId: 'E9' }] });
    expect(res.status).toBe(422);
    expect(details(res)).toEqual([expect.objectContaining({ field: 'staff.0.employeeId' })]);
  });

  test('a questionnaire edited here is used by the very next visit (the kept latest version is forgotten)', async () => {
    const qId = await insertQuestionnaire(bankId, [SECTIONS], '缓存问卷');
    const first = await post(auditor, visitBody(await assign(auditor, 'N1', windowAroundNow(), qId)));
    expect(first.body.questionnaireVersion).toBe(1);
    const current = (await request(app).get(`/api/v1/questionnaires/${qId}`).set(bearer(w.adminToken))).body;
    const sections = current.sections.map((sec: { key: string; weight: number; items: Record<string, unknown>[] }) => ({
      key: sec.key,
      weight: sec.weight,
      items: sec.items.map(({ key, type, weight, text, critical, allowNA, required }) => ({
        key,
        type,
        weight,
        text,
        critical,
        allowNA,
        required,
      })),
    }));
    const edited = await request(app)
      .put(`/api/v1/questionnaires/${qId}`)
      .set(bearer(w.adminToken))
      .send({ name: '缓存问卷 v2', sections });
    expect(edited.status).toBe(200);
    const second = await post(auditor, visitBody(await assign(auditor, 'N1', windowAroundNow(), qId), {}));
    expect(second.body).toMatchObject({ questionnaireVersion: 2 });
  });

  test("the quarter is the assignment's: a visit time never moves the visit to another quarter", async () => {
    // 2026-03-31 17:30 UTC is already 1 April in Shanghai; the assignment is for Q1 and says so.
    const wide = { windowStart: '2026-01-01T00:00:00+08:00', windowEnd: '2026-04-01T12:00:00+08:00' };
    const id = await w.assignment({
      bankId,
      branchCode: 'N1',
      auditorId: auditor.id,
      questionnaireId,
      quarter: '2026-Q1',
      ...wide,
      scenario: '开立账户',
    });
    const late = await post(auditor, visitBody(id, { visitedAt: '2026-03-31T17:30:00Z' }));
    expect(late.body.quarter).toBe('2026-Q1');
    const moved = await patch(auditor, late.body.id, {
      visitedAt: '2030-01-01T10:00:00+08:00',
      confirmOutsideWindow: true,
    });
    expect(moved.status).toBe(200);
    expect(moved.body.quarter).toBe('2026-Q1');
    expect(flagCodes(moved.body)).toContain('outside_window');
    expect(moved.body.history.at(-1).changes).toEqual(
      expect.arrayContaining([{ field: 'outsideWindowConfirmed', before: null, after: true }]),
    );
    expect(
      moved.body.history.flatMap((h: { changes: { field: string }[] }) => h.changes.map((c) => c.field)),
    ).not.toContain('quarter');
  });

  test('a visit time outside the window is refused (422 naming visitedAt) unless confirmed', async () => {
    const window = { windowStart: hoursAgo(48), windowEnd: hoursAgo(24) };
    const assignmentId = await assign(auditor, 'N1', window);
    const refused = await post(auditor, visitBody(assignmentId, { visitedAt: '2030-01-01T10:00:00+08:00' }));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('outside_window');
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({ field: 'visitedAt', windowStart: window.windowStart, windowEnd: window.windowEnd }),
    ]);
    expect(await Visit.countDocuments({ assignmentId })).toBe(0);
    const inside = await post(auditor, visitBody(assignmentId, { visitedAt: hoursAgo(30) }));
    expect(inside.status).toBe(201);
    expect(flagCodes(inside.body)).not.toContain('outside_window');
    const typo = await patch(auditor, inside.body.id, { visitedAt: '2025-12-05T10:00:00+08:00' });
    expect(typo.status).toBe(422);
    expect(typo.body.error.details[0].field).toBe('visitedAt');
    // Another edit of a visit whose (confirmed) time is outside the window needs no new confirmation.
    const kept = await patch(auditor, inside.body.id, { visitedAt: hoursAgo(60), confirmOutsideWindow: true });
    expect(flagCodes(kept.body)).toContain('outside_window');
    const minutes = await patch(auditor, inside.body.id, { durationMinutes: 30 });
    expect(minutes.status).toBe(200);
  });

  test('the documented defaults apply to a version stored without weights and flags', async () => {
    const bare = await insertQuestionnaire(
      bankId,
      [
        [
          {
            key: 'greeting',
            items: [
              { key: 'd1', type: 'yes_no' },
              { key: 'd2', type: 'yes_no', weight: 3 },
            ],
          },
          { key: 'sales_compliance', items: [{ key: 'd3', type: 'yes_no' }] },
        ],
      ],
      'bare',
    );
    const assignmentId = await assign(auditor, 'N1', windowAroundNow(), bare);
    const res = await post(
      auditor,
      visitBody(assignmentId, {
        answers: [
          { itemKey: 'd1', value: 'yes' },
          { itemKey: 'd2', value: 'no' },
        ],
      }),
    );
    expect(res.body.scores).toEqual({
      sections: { greeting: 25, product_knowledge: null, sales_compliance: null, follow_up: null },
      total: 25,
    });
    const na = await patch(auditor, res.body.id, { answers: [{ itemKey: 'd1', value: 'na' }] });
    expect(na.status).toBe(422); // allowNA defaults to false
    const withD3 = await patch(auditor, res.body.id, {
      answers: [
        { itemKey: 'd1', value: 'yes' },
        { itemKey: 'd2', value: 'no' },
        { itemKey: 'd3', value: 'yes' },
      ],
    });
    expect(withD3.body.scores.total).toBeCloseTo((25 * 25 + 25 * 100) / 50, 9); // section weight 25 each
    const missing = await submit(
      auditor,
      (await post(auditor, visitBody(await assign(auditor, 'N1', windowAroundNow(), bare), { answers: [] }))).body.id,
    );
    expect(details(missing).map((d) => d.itemKey)).toEqual(['d1', 'd2', 'd3']); // required defaults to true
  });
});

describe('PATCH /api/v1/visits/:id', () => {
  test('the owner edits; scores, violations and history follow in the same change', async () => {
    const v = await newVisit();
    const res = await patch(auditor, v.id, {
      answers: ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no', comment: '未做风险评估' } : a)),
      durationMinutes: 30,
    });
    expect(res.status).toBe(200);
    expect(res.body.scores.sections.sales_compliance).toBe(0);
    expect(res.body.violations).toEqual([{ itemKey: 'c1', sectionKey: 'sales_compliance' }]);
    expect(res.body.scores.total).toBeCloseTo((25 * EXPECTED.greeting + 25 * 50 + 30 * 0 + 20 * 100) / 100, 9);
    expect(res.body.rev).toBe(1);
    const last = res.body.history.at(-1);
    expect(last).toMatchObject({ by: auditor.id, role: 'auditor', action: 'updated' });
    expect(last.changes).toEqual(
      expect.arrayContaining([
        { field: 'durationMinutes', before: 25, after: 30 },
        { field: 'answers.c1', before: 'yes', after: 'no' },
        { field: 'answers.c1.comment', before: null, after: '未做风险评估' },
      ]),
    );
    const stored = await Visit.findById(v.id).lean();
    expect(stored?.history).toHaveLength(2);
    expect(stored?.scores?.sections?.sales_compliance).toBe(0);
  });

  test('an edit that changes nothing adds no history', async () => {
    const v = await newVisit();
    const res = await patch(auditor, v.id, { durationMinutes: 25 });
    expect(res.status).toBe(200);
    expect(res.body.history).toHaveLength(1);
    expect(res.body.rev).toBe(0);
  });

  test('404 for another auditor, 403 for other roles, 401 without a token, 404 for an unknown id', async () => {
    const v = await newVisit();
    expect((await patch(auditor2, v.id, { durationMinutes: 9 })).status).toBe(404);
    for (const who of [reviewer, manager, hr, adminActor()])
      expect((await patch(who, v.id, { durationMinutes: 9 })).status).toBe(403);
    expect((await request(app).patch(`/api/v1/visits/${v.id}`).send({ durationMinutes: 9 })).status).toBe(401);
    expect((await patch(auditor, '0123456789abcdef01234567', { durationMinutes: 9 })).status).toBe(404);
    expect((await patch(auditor, 'not-an-id', { durationMinutes: 9 })).status).toBe(404);
    expect((await Visit.findById(v.id).lean())?.durationMinutes).toBe(25);
  });

  test('a stale rev is a 409 conflict and nothing is overwritten', async () => {
    const v = await newVisit();
    expect((await patch(auditor, v.id, { durationMinutes: 40, rev: 0 })).status).toBe(200);
    const stale = await patch(auditor, v.id, { durationMinutes: 50, rev: 0 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    expect((await Visit.findById(v.id).lean())?.durationMinutes).toBe(40);
  });

  test('concurrent edits: exactly one wins per revision, the other is told (409), history has no lost entry', async () => {
    await concurrentEdits();
  });

  test('409 once submitted or approved', async () => {
    const v = await newVisit();
    await submit(auditor, v.id);
    const res = await patch(auditor, v.id, { durationMinutes: 9 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('invalid_state');
    await review(reviewer, v.id, { decision: 'approve' });
    expect((await patch(auditor, v.id, { durationMinutes: 9 })).status).toBe(409);
  });
});

describe('writes on a server with atomic conditional updates (MongoDB, the embedded FerretDB as built here)', () => {
  test('the test database is that kind of server', () => {
    expect(dbFeatures()).toEqual({ ferretDb: true, atomicConditionalUpdates: true });
  });

  test('a stale copy is refused by the update itself (409), nothing is overwritten, and no claim is written', async () => {
    const v = await newVisit();
    expect((await patch(auditor, v.id, { durationMinutes: 41 })).status).toBe(200);
    const stale = { ...(await Visit.findById(v.id).lean<StoredVisit>())!, rev: 0 };
    await expect(
      commit(stale, { statuses: ['draft'], set: { durationMinutes: 42 }, entry: historyEntry(null, 'updated', []) }),
    ).rejects.toThrow(ConflictError);
    const wrongStatus = { ...(await Visit.findById(v.id).lean<StoredVisit>())! };
    await expect(
      commit(wrongStatus, {
        statuses: ['submitted'],
        set: { durationMinutes: 43 },
        entry: historyEntry(null, 'updated', []),
      }),
    ).rejects.toThrow(ConflictError);
    const stored = await Visit.findById(v.id).lean();
    expect(stored?.durationMinutes).toBe(41);
    expect(stored?.rev).toBe(1);
    expect(await WriteClaim.countDocuments(claimsOf(v.id))).toBe(0);
  });

  test('twenty writers holding the same copy: exactly one wins', async () => {
    const v = await newVisit();
    const copy = (await Visit.findById(v.id).lean<StoredVisit>())!;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        commit(copy, {
          statuses: ['draft'],
          set: { durationMinutes: 100 + i },
          entry: historyEntry(null, 'updated', []),
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .every((r) => (r as PromiseRejectedResult).reason instanceof ConflictError),
    ).toBe(true);
    const stored = await Visit.findById(v.id).lean();
    expect(stored?.rev).toBe(1);
    expect(stored?.history).toHaveLength(2);
  });

  test("the owner's next write starts from this instance's last copy: submitting after creating reads no visit", async () => {
    const v = await newVisit();
    // The calls made on the driver's collection, i.e. the commands sent for the visits.
    const reads = [
      jest.spyOn(Visit.collection, 'findOne'),
      jest.spyOn(Visit.collection, 'find'),
      jest.spyOn(Visit.collection, 'findOneAndUpdate'),
    ];
    const updates = jest.spyOn(Visit.collection, 'updateOne');
    try {
      expect((await submit(auditor, v.id)).status).toBe(200);
      // One command: an update that does not even send the visit back.
      expect(reads.map((r) => r.mock.calls.length)).toEqual([0, 0, 0]);
      expect(updates).toHaveBeenCalledTimes(1);
      // Without a last copy (another instance, say), the visit is read first.
      const other = await newVisit();
      forgetLastCopies();
      expect((await submit(auditor, other.id)).status).toBe(200);
      expect(reads[0]).toHaveBeenCalledTimes(1);
    } finally {
      for (const spy of [...reads, updates]) spy.mockRestore();
    }
  });

  test('a last copy made stale by another instance is refused by the database and the write is redone on a fresh read', async () => {
    const v = await newVisit(auditor, 'N1', { answers: ANSWERS.filter((a) => a.itemKey !== 'f1') });
    // Another instance completes the answers meanwhile (revision 1); this instance still holds revision 0.
    const fresh = ANSWERS.map((a) => ({ itemKey: a.itemKey, value: a.value }));
    await Visit.updateOne(
      { _id: v.id },
      {
        $set: { answers: fresh, durationMinutes: 33 },
        $inc: { rev: 1 },
        $push: { history: historyEntry(null, 'updated', []) },
      },
    );
    // Judged on the fresh copy: nothing is missing any more, and the other instance's change is kept.
    const res = await submit(auditor, v.id);
    expect(res.status).toBe(200);
    expect(res.body.rev).toBe(2);
    expect(res.body.durationMinutes).toBe(33);
    const stored = await Visit.findById(v.id).lean();
    expect(stored?.status).toBe('submitted');
    expect(stored?.history.map((h) => h.action)).toEqual(['created', 'updated', 'submitted']);
  });

  test('an edit that changes nothing on a stale last copy is checked against the stored visit and applied', async () => {
    const v = await newVisit(); // this instance keeps revision 0, 25 minutes
    await Visit.updateOne(
      { _id: v.id },
      { $set: { durationMinutes: 33 }, $inc: { rev: 1 }, $push: { history: historyEntry(null, 'updated', []) } },
    );
    const res = await patch(auditor, v.id, { durationMinutes: 25 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ durationMinutes: 25, rev: 2 });
    expect((await Visit.findById(v.id).lean())?.durationMinutes).toBe(25);
  });

  test('a refusal judged on a stale last copy is judged again on a fresh read (a wrong status is not final)', async () => {
    const v = await newVisit();
    // Another instance submitted it and a reviewer returned it: this instance's copy still says draft, revision 0.
    await Visit.updateOne({ _id: v.id }, { $set: { status: 'returned', reviewNote: 'fix g1' }, $inc: { rev: 2 } });
    const res = await patch(auditor, v.id, { durationMinutes: 44 });
    expect(res.status).toBe(200);
    expect(res.body.rev).toBe(3);
    expect(res.body.status).toBe('returned');
  });
});

describe('writes on a server without atomic conditional updates (stock FerretDB 1.24): revision claims', () => {
  let restore: () => void;
  beforeAll(() => {
    restore = overrideDbFeatures({ atomicConditionalUpdates: false });
  });
  afterAll(() => restore());

  test('concurrent edits: exactly one wins per revision, the other is told (409), history has no lost entry', async () => {
    const { visitId, wins } = await concurrentEdits();
    expect(await WriteClaim.countDocuments(claimsOf(visitId))).toBe(wins);
  });

  test('a write claim left by a crashed writer blocks only until its lease runs out', async () => {
    const v = await newVisit();
    const claim = await WriteClaim.create({ _id: visitClaimKey(v.id, 1), at: new Date() });
    expect((await patch(auditor, v.id, { durationMinutes: 41 })).status).toBe(409);
    await WriteClaim.updateOne({ _id: claim._id }, { $set: { at: new Date(Date.now() - 5 * 60_000) } });
    const res = await patch(auditor, v.id, { durationMinutes: 41 });
    expect(res.status).toBe(200);
    expect(res.body.rev).toBe(1);
    // The stale claim was replaced by the winner's own, which stays as the record of revision 1.
    const claims = await WriteClaim.find(claimsOf(v.id)).lean();
    expect(claims).toHaveLength(1);
    expect(Date.now() - claims[0]!.at.getTime()).toBeLessThan(60_000);
    // A writer still holding the revision-0 copy is refused by the kept claim, and writes nothing.
    const stale = { ...(await Visit.findById(v.id).lean<StoredVisit>())!, rev: 0 };
    await expect(
      commit(stale, { statuses: ['draft'], set: { durationMinutes: 42 }, entry: historyEntry(null, 'updated', []) }),
    ).rejects.toThrow(ConflictError);
    expect((await Visit.findById(v.id).lean())?.durationMinutes).toBe(41);
    expect(await WriteClaim.countDocuments(claimsOf(v.id))).toBe(1);
  });

  test('a claim taken over from a writer that died after writing stays, so no stale copy can write over that revision', async () => {
    const v = await newVisit();
    expect((await patch(auditor, v.id, { durationMinutes: 41 })).status).toBe(200); // revision 1, its claim kept
    await WriteClaim.updateOne({ _id: visitClaimKey(v.id, 1) }, { $set: { at: new Date(Date.now() - 5 * 60_000) } }); // as if its writer died
    const stale = { ...(await Visit.findById(v.id).lean<StoredVisit>())!, rev: 0 };
    const change = (minutes: number) => ({
      statuses: ['draft'] as const,
      set: { durationMinutes: minutes },
      entry: historyEntry(null, 'updated', []),
    });
    // Taking the stale claim over shows (fresh read) that revision 1 was written: refused, and the claim stays.
    await expect(commit(stale, change(42))).rejects.toThrow(ConflictError);
    expect(await WriteClaim.countDocuments({ _id: visitClaimKey(v.id, 1) })).toBe(1);
    // So a second stale writer is refused too, by the claim alone.
    await expect(commit(stale, change(43))).rejects.toThrow(ConflictError);
    const stored = await Visit.findById(v.id).lean();
    expect(stored?.durationMinutes).toBe(41);
    expect(stored?.rev).toBe(1);
  });

  test('a write refused for a reason of its own releases its claim at once', async () => {
    const v = await newVisit();
    const current = (await Visit.findById(v.id).lean<StoredVisit>())!;
    // The driver cannot encode a cyclic value, so nothing is sent and nothing written: revision 1 is free again.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(
      commit(current, {
        statuses: ['draft'],
        set: { summary: cyclic as never },
        entry: historyEntry(null, 'updated', []),
      }),
    ).rejects.toThrow();
    expect(await WriteClaim.countDocuments(claimsOf(v.id))).toBe(0);
    expect((await patch(auditor, v.id, { durationMinutes: 44 })).status).toBe(200);
  });
});

describe('submit and review', () => {
  test('422 lists every missing required item; an optional one is not demanded', async () => {
    const v = await newVisit(auditor, 'N1', { answers: [{ itemKey: 'g1', value: 'yes' }] });
    const res = await submit(auditor, v.id);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('required_items_missing');
    expect(details(res).map((d) => d.itemKey)).toEqual(['g2', 'p1', 'c1', 'c2', 'f1']);
    expect((await get(auditor, v.id)).body.status).toBe('draft');
  });

  test('the full life: draft → submitted → returned → submitted → approved, each step in history', async () => {
    const v = await newVisit();
    const s1 = await submit(auditor, v.id);
    expect(s1.status).toBe(200);
    expect(s1.body.status).toBe('submitted');
    expect(s1.body.submittedAt).toBeTruthy();
    const ret = await review(reviewer, v.id, { decision: 'return', note: '请补充员工信息' });
    expect(ret.status).toBe(200);
    expect(ret.body).toMatchObject({ status: 'returned', reviewNote: '请补充员工信息' });
    expect((await patch(auditor, v.id, { staff: [{ employeeId: 'E1' }] })).status).toBe(200);
    expect((await submit(auditor, v.id)).body.status).toBe('submitted');
    const ok = await review(reviewer, v.id, { decision: 'approve', note: '通过' });
    expect(ok.body.status).toBe('approved');
    expect(ok.body.approvedAt).toBeTruthy();
    expect(ok.body.history.map((h: { action: string }) => h.action)).toEqual([
      'created',
      'submitted',
      'returned',
      'updated',
      'submitted',
      'approved',
    ]);
    const returned = ok.body.history[2];
    expect(returned).toMatchObject({ by: reviewer.id, role: 'reviewer', note: '请补充员工信息' });
    expect(returned.changes).toEqual(
      expect.arrayContaining([{ field: 'status', before: 'submitted', after: 'returned' }]),
    );
    for (const h of ok.body.history) {
      expect(h).toEqual(
        expect.objectContaining({
          at: expect.any(String),
          by: expect.any(String),
          action: expect.any(String),
          changes: expect.any(Array),
        }),
      );
      expect(h.changes.length).toBeGreaterThan(0);
    }
  });

  test('refused transitions are 409: resubmitting, reviewing a draft, approving twice', async () => {
    const v = await newVisit();
    expect((await review(reviewer, v.id, { decision: 'approve' })).status).toBe(409);
    expect((await submit(auditor, v.id)).status).toBe(200);
    expect((await submit(auditor, v.id)).status).toBe(409);
    expect((await review(reviewer, v.id, { decision: 'approve' })).status).toBe(200);
    expect((await review(reviewer, v.id, { decision: 'approve' })).status).toBe(409);
    expect((await review(reviewer, v.id, { decision: 'return', note: 'x' })).status).toBe(409);
    expect((await submit(auditor, v.id)).status).toBe(409);
  });

  test('roles: submit is the owner only, review the reviewer only; return needs a note', async () => {
    const v = await newVisit();
    expect((await submit(auditor2, v.id)).status).toBe(404);
    for (const who of [reviewer, manager, hr, adminActor()]) expect((await submit(who, v.id)).status).toBe(403);
    expect((await request(app).post(`/api/v1/visits/${v.id}/submit`)).status).toBe(401);
    await submit(auditor, v.id);
    for (const who of [auditor, manager, hr, adminActor()])
      expect((await review(who, v.id, { decision: 'approve' })).status).toBe(403);
    expect((await request(app).post(`/api/v1/visits/${v.id}/review`).send({ decision: 'approve' })).status).toBe(401);
    const noNote = await review(reviewer, v.id, { decision: 'return' });
    expect(noNote.status).toBe(422);
    expect(details(noNote)[0].field).toBe('note');
    expect((await review(reviewer, v.id, { decision: 'maybe' })).status).toBe(422);
    expect((await review(reviewer, '0123456789abcdef01234567', { decision: 'approve' })).status).toBe(404);
  });
});

describe('who sees what', () => {
  let northApproved: Record<string, any>;
  let southApproved: Record<string, any>;
  let northDraft: Record<string, any>;
  let otherAuditorVisit: Record<string, any>;

  beforeAll(async () => {
    northApproved = await approved(auditor, 'N2');
    southApproved = await approved(auditor, 'S1');
    northDraft = await newVisit(auditor, 'N2');
    otherAuditorVisit = await newVisit(auditor2, 'N2');
  });

  test('GET one: owner, reviewer and admin; another auditor 404; 401 without a token', async () => {
    expect((await get(auditor, northDraft.id)).status).toBe(200);
    expect((await get(reviewer, northDraft.id)).status).toBe(200);
    expect((await get(adminActor(), northDraft.id)).status).toBe(200);
    expect((await get(auditor2, northDraft.id)).status).toBe(404);
    expect((await get(null, northDraft.id)).status).toBe(401);
  });

  test('bank users: only approved visits in scope, never a draft, never another bank', async () => {
    expect((await get(manager, northDraft.id)).status).toBe(404);
    expect((await get(hr, northDraft.id)).status).toBe(404);
    expect((await get(manager, northApproved.id)).status).toBe(200);
    expect((await get(hr, southApproved.id)).status).toBe(200);
    expect((await get(otherManager, northApproved.id)).status).toBe(404);
    expect((await get(northManager, northApproved.id)).status).toBe(200);
    expect((await get(northManager, southApproved.id)).status).toBe(404);
  });

  test("bank users never see the auditor's identity, only the pseudonym", async () => {
    const res = await get(manager, northApproved.id);
    expect(res.body.auditorId).toBeUndefined();
    expect(res.body.auditorCode).toBe(northApproved.auditorCode);
    expect(res.body.auditorCode).toMatch(/^A-/);
    expect(JSON.stringify(res.body)).not.toContain(auditor.id);
    expect(res.body.history[0].by).toBe(northApproved.auditorCode);
    const list = await request(app).get('/api/v1/visits').set(bearer(hr.token));
    expect(JSON.stringify(list.body)).not.toContain(auditor.id);
    expect(JSON.stringify(list.body)).not.toContain(auditor2.id);
  });

  test('lists are cut to what the caller may see', async () => {
    const ids = async (who: Actor, qs = '') =>
      (await request(app).get(`/api/v1/visits${qs}`).set(bearer(who.token))).body.map(
        (v: { id: string }) => v.id,
      ) as string[];
    const own = await ids(auditor);
    expect(own).toEqual(expect.arrayContaining([northApproved.id, southApproved.id, northDraft.id]));
    expect(own).not.toContain(otherAuditorVisit.id);
    expect(await ids(reviewer)).toEqual(expect.arrayContaining([northDraft.id, otherAuditorVisit.id]));
    const bank = await request(app).get('/api/v1/visits').set(bearer(manager.token));
    expect(bank.body.length).toBeGreaterThanOrEqual(2);
    expect(bank.body.every((v: { status: string }) => v.status === 'approved' || v.status === 'disputed')).toBe(true);
    const north = await request(app).get('/api/v1/visits').set(bearer(northManager.token));
    expect(north.body.map((v: { id: string }) => v.id)).toContain(northApproved.id);
    expect(north.body.every((v: { region: string }) => v.region === 'North')).toBe(true);
    expect(await ids(otherManager)).toEqual([]);
    expect(await ids(manager, '?status=draft')).toEqual([]);
    expect(await ids(otherManager, `?bankId=${bankId}`)).toEqual([]);
  });

  test('list filters: status, branchCode, quarter, bankId; a bad filter is 400', async () => {
    const list = async (qs: string) =>
      (await request(app).get(`/api/v1/visits${qs}`).set(bearer(reviewer.token))).body as {
        id: string;
        status: string;
        branchCode: string;
        quarter: string;
      }[];
    expect((await list('?status=approved')).every((v) => v.status === 'approved')).toBe(true);
    expect((await list('?branchCode=S1')).map((v) => v.id)).toContain(southApproved.id);
    expect((await list('?branchCode=S1')).every((v) => v.branchCode === 'S1')).toBe(true);
    expect(
      (await list(`?quarter=${northApproved.quarter}&bankId=${bankId}&status=approved&branchCode=N2`)).map((v) => v.id),
    ).toEqual([northApproved.id]);
    expect(await list(`?bankId=${otherBankId}`)).toEqual([]);
    expect((await request(app).get('/api/v1/visits?status=bogus').set(bearer(reviewer.token))).status).toBe(400);
    expect((await request(app).get('/api/v1/visits')).status).toBe(401);
  });

  test('lists come in pages, newest visit first: limit, cursor, X-Next-Cursor and Link; never past what the caller may see', async () => {
    const pager = await w.user('vpager@firm.test', 'auditor');
    const made: string[] = [];
    const times = [hoursAgo(10), hoursAgo(11), hoursAgo(12)];
    for (let i = 0; i < 7; i++) made.push((await newVisit(pager, 'N1', { visitedAt: times[i % 3] })).id);
    const all = await request(app).get('/api/v1/visits').set(bearer(pager.token));
    expect(all.status).toBe(200);
    expect(all.headers['x-next-cursor']).toBeUndefined();
    const order = (all.body as { id: string; visitedAt: string }[]).map((v) => v.id);
    expect([...order].sort()).toEqual([...made].sort());
    const seen: string[] = [];
    let next: string | undefined = '/api/v1/visits?limit=3';
    const sizes: number[] = [];
    while (next) {
      const page = await request(app).get(next).set(bearer(pager.token));
      expect(page.status).toBe(200);
      sizes.push(page.body.length);
      seen.push(...(page.body as { id: string }[]).map((v) => v.id));
      const link = page.headers.link as string | undefined;
      if (page.headers['x-next-cursor']) {
        expect(link).toBe(`</api/v1/visits?limit=3&cursor=${page.headers['x-next-cursor']}>; rel="next"`);
        next = link!.slice(1, link!.indexOf('>'));
      } else {
        expect(link).toBeUndefined();
        next = undefined;
      }
    }
    // Equal visit times (up to three share one) are ordered by id, so nothing is repeated or skipped.
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(order);
    // Another auditor paging with the same cursor sees none of them.
    const first = await request(app).get('/api/v1/visits?limit=3').set(bearer(pager.token));
    const other = await request(app)
      .get(`/api/v1/visits?limit=3&cursor=${first.headers['x-next-cursor']}`)
      .set(bearer(auditor2.token));
    expect((other.body as { id: string }[]).filter((v) => made.includes(v.id))).toEqual([]);
    for (const bad of [
      'limit=0',
      'limit=1001',
      'limit=x',
      'cursor=nonsense',
      `cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
    ]) {
      const res = await request(app).get(`/api/v1/visits?${bad}`).set(bearer(pager.token));
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([bad.split('=')[0]]);
    }
  });
});

describe('idempotent POST /visits', () => {
  test('the same key returns the same visit and creates nothing new', async () => {
    const body = visitBody(await assign());
    const first = await post(auditor, body, 'key-visit-1');
    const second = await post(auditor, body, 'key-visit-1');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(await Visit.countDocuments({ assignmentId: body.assignmentId })).toBe(1);
  });

  test('a first keyed create reads nothing but by _id: no visit look-up, the key record by _id', async () => {
    const body = visitBody(await assign());
    const calls: { collection: string; method: string; filter: string[] }[] = [];
    mongoose.set('debug', (collection: string, method: string, filter?: unknown) => {
      calls.push({ collection, method, filter: filter && typeof filter === 'object' ? Object.keys(filter) : [] });
    });
    let res: request.Response;
    try {
      res = await post(auditor, body, 'key-no-scan');
    } finally {
      mongoose.set('debug', false);
    }
    expect(res.status).toBe(201);
    expect(calls.filter((c) => c.collection === Visit.collection.collectionName).map((c) => c.method)).toEqual([
      'insertOne',
    ]);
    const keyCalls = calls.filter((c) => c.collection === IdempotencyRecord.collection.collectionName);
    expect(keyCalls.map((c) => c.method)).toEqual(['insertOne', 'updateOne']);
    expect(keyCalls[1]!.filter).toEqual(['_id']);
  });

  test('after a crash between insert and response, a retry finds the stored visit', async () => {
    const body = visitBody(await assign());
    const first = await post(auditor, body, 'key-crash');
    // What a crash leaves behind: the visit is stored, the key's record never reached "done".
    await IdempotencyRecord.updateOne(
      { key: 'key-crash' },
      {
        $set: { state: 'pending', claimedAt: new Date(Date.now() - 10 * 60_000) },
        $unset: { responseBody: 1, responseStatus: 1 },
      },
    );
    const retry = await post(auditor, body, 'key-crash');
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(first.body.id);
    await IdempotencyRecord.deleteOne({ key: 'key-crash' });
    const again = await post(auditor, body, 'key-crash');
    expect(again.body.id).toBe(first.body.id);
    expect(await Visit.countDocuments({ assignmentId: body.assignmentId })).toBe(1);
  });

  test('a key reused for another assignment is refused; keys are per auditor', async () => {
    const first = await post(auditor, visitBody(await assign()), 'key-shared');
    await IdempotencyRecord.deleteOne({ key: 'key-shared' });
    const reuse = await post(auditor, visitBody(await assign()), 'key-shared');
    expect(reuse.status).toBe(409);
    expect(reuse.body.error.code).toBe('idempotency_key_reused');
    const otherAuditor = await post(auditor2, visitBody(await assign(auditor2)), 'key-shared');
    expect(otherAuditor.status).toBe(201);
    expect(otherAuditor.body.id).not.toBe(first.body.id);
  });

  test('the unique index on (auditor, key) backs the service check up', async () => {
    const v = await Visit.findOne({ auditorId: auditor.id, idempotencyKey: 'key-shared' }).lean();
    const { _id, ...copy } = v as NonNullable<typeof v>;
    await expect(Visit.create({ ...copy, assignmentId: await assign() })).rejects.toMatchObject({ code: 11000 });
    const keyless = await newVisit();
    expect((await Visit.findById(keyless.id).lean())?.idempotencyKey).toBe(`auto:${keyless.id}`);
  });
});

describe('plausibility flags', () => {
  test('outside the window, in the future, implausible duration; recomputed when corrected', async () => {
    const window = { windowStart: hoursAgo(48), windowEnd: hoursAgo(24) };
    const res = await post(
      auditor,
      visitBody(await assign(auditor, 'N1', window), {
        visitedAt: new Date(Date.now() + 3 * 3600_000).toISOString(),
        durationMinutes: 2,
        confirmOutsideWindow: true,
      }),
    );
    expect(flagCodes(res.body)).toEqual(['future_visit', 'implausible_duration', 'outside_window']);
    expect(res.body.flags.every((f: { message: string }) => f.message.length > 0)).toBe(true);
    const long = await patch(auditor, res.body.id, { durationMinutes: 241 });
    expect(flagCodes(long.body)).toEqual(['future_visit', 'implausible_duration', 'outside_window']);
    const fixed = await patch(auditor, res.body.id, { visitedAt: hoursAgo(30), durationMinutes: 240 });
    expect(fixed.body.flags).toEqual([]);
    const edge = await patch(auditor, res.body.id, { durationMinutes: 3 });
    expect(edge.body.flags).toEqual([]);
  });

  test('submission more than 72 h after the visit is flagged; the visit still goes through', async () => {
    const late = await newVisit(auditor, 'N1', { visitedAt: hoursAgo(73) });
    expect(late.flags).toEqual([]);
    const submitted = await submit(auditor, late.id);
    expect(submitted.status).toBe(200);
    // No arrival was recorded from the phone either (SPEC §9): flagged once submitted.
    expect(flagCodes(submitted.body)).toEqual(['late_submission', 'no_location']);
    const timely = await newVisit(auditor, 'N1', { visitedAt: hoursAgo(70) });
    expect(flagCodes((await submit(auditor, timely.id)).body)).toEqual(['no_location']);
  });
});

describe('GET /api/v1/review/queue', () => {
  test('submitted visits, oldest submission first, with flags and attachment counts', async () => {
    const a = await newVisit(auditor, 'N1', { durationMinutes: 1 });
    const b = await newVisit(auditor2, 'S1');
    await submit(auditor, a.id);
    await submit(auditor2, b.id);
    const res = await request(app).get('/api/v1/review/queue').set(bearer(reviewer.token));
    expect(res.status).toBe(200);
    const ids = res.body.map((r: { id: string }) => r.id);
    expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
    expect(
      res.body.every(
        (r: { submittedAt: string }, i: number, all: { submittedAt: string }[]) =>
          i === 0 || all[i - 1].submittedAt <= r.submittedAt,
      ),
    ).toBe(true);
    const row = res.body.find((r: { id: string }) => r.id === a.id);
    expect(row).toMatchObject({ branchCode: 'N1', auditorId: auditor.id, attachmentCount: 0 });
    expect(row.flags.map((f: { code: string }) => f.code)).toEqual(['implausible_duration', 'no_location']);
    const stored = await Visit.find({ status: 'submitted' }).lean();
    expect(res.body).toHaveLength(stored.length);
    expect((await request(app).get('/api/v1/review/queue').set(bearer(w.adminToken))).status).toBe(200);
    for (const who of [auditor, manager, hr])
      expect((await request(app).get('/api/v1/review/queue').set(bearer(who.token))).status).toBe(403);
    expect((await request(app).get('/api/v1/review/queue')).status).toBe(401);
  });

  test('the queue comes in pages, oldest first; the page says when more are waiting', async () => {
    for (let i = 0; i < 3; i++) await submit(auditor, (await newVisit()).id);
    const whole = (await request(app).get('/api/v1/review/queue').set(bearer(reviewer.token))).body.map(
      (r: { id: string }) => r.id,
    );
    expect(whole.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(app)
        .get(`/api/v1/review/queue?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(reviewer.token));
      expect(res.status).toBe(200);
      seen.push(...res.body.map((r: { id: string }) => r.id));
      cursor = res.headers['x-next-cursor'];
    } while (cursor);
    expect(seen).toEqual(whole);
    expect((await request(app).get('/api/v1/review/queue?limit=0').set(bearer(reviewer.token))).status).toBe(400);
    // The page shows the longest waiting and says more are waiting after them.
    const page = await reviewQueue({ id: reviewer.id, role: 'reviewer' } as Principal, { limit: 2 });
    expect(page.rows.map((r) => r.id)).toEqual(whole.slice(0, 2));
    expect(page.next).toBeDefined();
  });
});
