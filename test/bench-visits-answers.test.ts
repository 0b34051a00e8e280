import request from 'supertest';
import { answerSet, visitBody } from '../bench/visits/settings';
import { demoQuestionnaireBody } from '../seed/questionnaire';
import { quarterOf } from '../server/rules/quarters';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { VisitWorld, windowAroundNow } from './helpers/visits';

/**
 * The visit benchmark (npm run bench:visits) measures what the app does with its request: that
 * request must be one the app accepts. Its answers are built from the demo questionnaire's own items
 * (bench/visits/answers.ts); here the real app takes them — created and submitted, as the benchmark
 * does — so a questionnaire change that would have the benchmark measure refusals fails here first.
 */
let w: VisitWorld;
let bankId: string;
let questionnaireId: string;

beforeAll(async () => {
  w = await VisitWorld.create(await startTestApp());
  bankId = await w.bank('BENCH');
  await w.branch(bankId, 'B1', 'North');
  // The staff member the benchmark's request names (bench/visits/setup.ts gives its branch BE0001).
  await w.staff(bankId, 'BE0001', 'B1');
  const q = await request(w.app)
    .post('/api/v1/questionnaires')
    .set(bearer(w.adminToken))
    .send(demoQuestionnaireBody(bankId));
  expect(q.status).toBe(201);
  questionnaireId = q.body.id;
}, 120_000);

afterAll(() => stopTestApp());

test('the benchmark answers every item the demo questionnaire asks, with values of its type and a few failures', async () => {
  const answers = await answerSet();
  const byKey = new Map(answers.map((a) => [a.itemKey, a.value]));
  // An investment product is recommended, so the suitability chain is asked and answered.
  expect(byKey.get('p_product')).toBe('wealth');
  expect(byKey.get('c_risk_match')).toBe('match');
  expect(byKey.get('g_wait_time')).toBe(5);
  expect(byKey.get('c_disclosures')).toEqual(['principal', 'liquidity', 'past_perf', 'risk_level']);
  // A follow-up call not agreed: its timing is not asked, so not answered.
  expect(byKey.get('f_callback_agreed')).toBe('no');
  expect(byKey.has('f_callback_hours')).toBe(false);
  expect(answers.filter((a) => a.value === 'no').map((a) => a.itemKey)).toEqual([
    'g_eye_contact',
    'p_fees',
    'c_cooling_off',
    'f_callback_agreed',
  ]);
});

test('the app creates and submits the benchmark’s visit as it stands', async () => {
  const auditor = await w.user('bench-aud@firm.test', 'auditor');
  const assignmentId = await w.assignment({
    bankId,
    branchCode: 'B1',
    auditorId: auditor.id,
    questionnaireId,
    quarter: quarterOf(new Date()),
    ...windowAroundNow(),
    scenario: '理财产品咨询（压测）',
  });
  const body = visitBody(assignmentId, await answerSet());
  const created = await request(w.app).post('/api/v1/visits').set(bearer(auditor.token)).send(body);
  expect(created.status).toBe(201);
  const submitted = await request(w.app).post(`/api/v1/visits/${created.body.id}/submit`).set(bearer(auditor.token));
  expect(submitted.status).toBe(200);
  expect(submitted.body.status).toBe('submitted');
  expect(submitted.body.answers).toHaveLength((body.answers as unknown[]).length);
  // No critical item failed: a clean visit but for the few ordinary failures.
  expect(submitted.body.violations).toEqual([]);
});
