import type { Express } from 'express';
import request from 'supertest';
import type { Principal } from '../../server/platform/access';
import { commit, historyEntry, loadVisit } from '../../server/visits/store';
import { DEFAULT_TIMEZONE, quarterOf } from '../../server/rules/quarters';
import { bearer } from './app';
import { ANSWERS, insertQuestionnaire, SECTIONS, VisitWorld, windowAroundNow, type Actor } from './visits';

/**
 * Fixtures for the feedback loop (disputes, action plans, HR). Visits are created, submitted and
 * approved through the real API, so their stored scores are exactly what the visit service made.
 *
 * The questionnaire is test/helpers/visits.ts SECTIONS:
 *   greeting w25: g1 yes/no w2, g2 scale w1
 *   product_knowledge w25: p1 yes/no w1 (N/A allowed), p2 scale w1 (optional)
 *   sales_compliance w30: c1 yes/no w1 CRITICAL, c2 yes/no w1
 *   follow_up w20: f1 yes/no w1 (N/A allowed)
 * and ANSWERS (g1 yes, g2 4, p1 na, p2 3, c1 yes, c2 no, f1 yes) score
 *   greeting 100·(2·1 + 1·0.75)/3 = 91.666…, product 100·0.5/1 = 50, compliance 100·(1+0)/2 = 50, follow-up 100,
 *   total (25·91.666… + 25·50 + 30·50 + 20·100)/100 = 70.41666…
 */
export { ANSWERS, SECTIONS };

/** A world costs a couple of dozen password hashes and visits; on a busy 2-core machine that can take a while. */
export const SETUP_TIMEOUT_MS = 180_000;

export interface FeedbackWorld {
  w: VisitWorld;
  app: Express;
  bankId: string;
  otherBankId: string;
  questionnaireId: string;
  otherQuestionnaireId: string;
  auditor: Actor;
  reviewer: Actor;
  reviewer2: Actor;
  admin: Actor;
  manager: Actor; // whole bank
  north: Actor; // region North (N1, N2)
  s1: Actor; // branches [S1]
  otherManager: Actor; // the other bank
  hr: Actor;
  otherHr: Actor;
}

/** Bank FB1: N1, N2 (North), S1 (South); staff E1, E2 at N1, E3 at S1. Bank FB2: Z1. */
export async function feedbackWorld(app: Express, prefix: string): Promise<FeedbackWorld> {
  const w = await VisitWorld.create(app);
  const bankId = await w.bank(`${prefix}1`);
  const otherBankId = await w.bank(`${prefix}2`);
  for (const [code, region] of [
    ['N1', 'North'],
    ['N2', 'North'],
    ['S1', 'South'],
  ])
    await w.branch(bankId, code, region);
  await w.branch(otherBankId, 'Z1', 'Zed');
  await w.staff(bankId, 'E1', 'N1');
  await w.staff(bankId, 'E2', 'N1');
  await w.staff(bankId, 'E3', 'S1');
  await w.staff(otherBankId, 'Z9', 'Z1');
  const questionnaireId = await insertQuestionnaire(bankId);
  const otherQuestionnaireId = await insertQuestionnaire(otherBankId);
  const p = prefix.toLowerCase();
  return {
    w,
    app,
    bankId,
    otherBankId,
    questionnaireId,
    otherQuestionnaireId,
    auditor: await w.user(`${p}-aud@firm.test`, 'auditor'),
    reviewer: await w.user(`${p}-rev@firm.test`, 'reviewer'),
    reviewer2: await w.user(`${p}-rev2@firm.test`, 'reviewer'),
    admin: { id: '', token: w.adminToken },
    manager: await w.user(`${p}-mgr@bank.test`, 'bank_manager', { bankId, scope: { type: 'bank' } }),
    north: await w.user(`${p}-north@bank.test`, 'bank_manager', { bankId, scope: { type: 'region', region: 'North' } }),
    s1: await w.user(`${p}-s1@bank.test`, 'bank_manager', { bankId, scope: { type: 'branches', branchCodes: ['S1'] } }),
    otherManager: await w.user(`${p}-other@bank.test`, 'bank_manager', {
      bankId: otherBankId,
      scope: { type: 'bank' },
    }),
    hr: await w.user(`${p}-hr@bank.test`, 'hr', { bankId }),
    otherHr: await w.user(`${p}-hr2@bank.test`, 'hr', { bankId: otherBankId }),
  };
}

export interface VisitSpec {
  branchCode?: string;
  bank?: 'main' | 'other';
  staff?: string[];
  answers?: { itemKey: string; value: string | number }[];
  visitedAt?: string;
  /** Stop before review (the visit stays submitted). */
  submitOnly?: boolean;
}

/**
 * Assignment → draft visit of `f.auditor` at `branchCode` (N1 unless said), visited two hours ago with
 * ANSWERS, through the API: the start of the evidence, upload and location tests.
 */
export async function draftVisit(
  f: FeedbackWorld,
  spec: { branchCode?: string; scenario?: string } = {},
): Promise<{ id: string; visitedAt: string }> {
  const visitedAt = new Date(Date.now() - 2 * 3600_000).toISOString();
  const assignmentId = await f.w.assignment({
    bankId: f.bankId,
    branchCode: spec.branchCode ?? 'N1',
    auditorId: f.auditor.id,
    questionnaireId: f.questionnaireId,
    quarter: quarterOf(new Date(visitedAt), DEFAULT_TIMEZONE),
    ...windowAroundNow(),
    scenario: spec.scenario ?? '理财咨询',
  });
  const res = await api(f).post(f.auditor, '/visits', {
    assignmentId,
    visitedAt,
    durationMinutes: 25,
    answers: ANSWERS,
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, visitedAt };
}

/** Assignment → visit → submit → approve, all through the API; returns the visit JSON. */
export async function approvedVisit(f: FeedbackWorld, spec: VisitSpec = {}): Promise<Record<string, any>> {
  const other = spec.bank === 'other';
  const branchCode = spec.branchCode ?? (other ? 'Z1' : 'N1');
  const window = spec.visitedAt
    ? {
        windowStart: new Date(new Date(spec.visitedAt).getTime() - 86400_000).toISOString(),
        windowEnd: new Date(new Date(spec.visitedAt).getTime() + 86400_000).toISOString(),
      }
    : windowAroundNow();
  const visitedAt = spec.visitedAt ?? new Date(Date.now() - 2 * 3600_000).toISOString();
  const assignmentId = await f.w.assignment({
    bankId: other ? f.otherBankId : f.bankId,
    branchCode,
    auditorId: f.auditor.id,
    questionnaireId: other ? f.otherQuestionnaireId : f.questionnaireId,
    // A visit counts in its assignment's quarter: the round of the visit's own time.
    quarter: quarterOf(new Date(visitedAt), DEFAULT_TIMEZONE),
    ...window,
    scenario: '理财咨询',
  });
  const res = await request(f.app)
    .post('/api/v1/visits')
    .set(bearer(f.auditor.token))
    .send({
      assignmentId,
      visitedAt,
      durationMinutes: 25,
      answers: spec.answers ?? ANSWERS,
      staff: (spec.staff ?? []).map((employeeId) => ({ employeeId })),
    });
  if (res.status !== 201) throw new Error(`visit: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id as string;
  // The phone's arrival at the visit's time (SPEC §9): without one the visit is flagged no_location.
  const arrive = await request(f.app)
    .post(`/api/v1/visits/${id}/location`)
    .set(bearer(f.auditor.token))
    .send({ kind: 'arrive', lat: 31.23, lng: 121.47, accuracy: 20, capturedAt: visitedAt });
  if (arrive.status !== 201) throw new Error(`arrive: ${arrive.status} ${JSON.stringify(arrive.body)}`);
  const sub = await request(f.app).post(`/api/v1/visits/${id}/submit`).set(bearer(f.auditor.token));
  if (sub.status !== 200) throw new Error(`submit: ${sub.status} ${JSON.stringify(sub.body)}`);
  if (spec.submitOnly) return sub.body;
  const rev = await request(f.app)
    .post(`/api/v1/visits/${id}/review`)
    .set(bearer(f.reviewer.token))
    .send({ decision: 'approve' });
  if (rev.status !== 200) throw new Error(`review: ${rev.status} ${JSON.stringify(rev.body)}`);
  return rev.body;
}

/** Moves a visit's approval into the past through the visits store (with a history entry, as every change). */
export async function backdateApproval(visitId: string, daysAgo: number): Promise<void> {
  const v = await loadVisit(visitId);
  if (!v) throw new Error('no such visit');
  const at = new Date(Date.now() - daysAgo * 86400_000);
  const system: Principal | null = null;
  await commit(v, {
    statuses: [v.status],
    set: { approvedAt: at },
    entry: historyEntry(system, 'test_backdated', [
      { field: 'approvedAt', before: v.approvedAt ?? null, after: at.toISOString() },
    ]),
  });
}

export const api = (f: FeedbackWorld) => ({
  get: (who: Actor | null, path: string) =>
    who ? request(f.app).get(`/api/v1${path}`).set(bearer(who.token)) : request(f.app).get(`/api/v1${path}`),
  post: (who: Actor | null, path: string, body: object = {}) =>
    (who ? request(f.app).post(`/api/v1${path}`).set(bearer(who.token)) : request(f.app).post(`/api/v1${path}`)).send(
      body,
    ),
  patch: (who: Actor, path: string, body: object) =>
    request(f.app).patch(`/api/v1${path}`).set(bearer(who.token)).send(body),
});

export const dispute = (
  f: FeedbackWorld,
  who: Actor,
  visitId: string,
  itemKey: string,
  reason = '神秘顾客的记录与录像不符',
) => api(f).post(who, `/visits/${visitId}/disputes`, { itemKey, reason });

export const resolve = (f: FeedbackWorld, who: Actor, disputeId: string, body: Record<string, unknown>) =>
  api(f).post(who, `/disputes/${disputeId}/resolve`, body);
