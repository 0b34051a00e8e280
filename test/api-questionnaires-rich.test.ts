import type { Express } from 'express';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { RICH_ANSWERS, RICH_EXPECTED, richQuestionnaire, type Body, type Item } from './helpers/rich-questionnaire';
import { hoursAgo, VisitWorld, windowAroundNow, type Actor } from './helpers/visits';

/**
 * SPEC §10 through the API: richer questionnaires are checked before they are stored (each problem
 * naming its field), visits answer every type, conditions and evidence on failure hold at submission,
 * and a dispute overturn corrects such answers and clears the ones it leaves unasked.
 */
let app: Express;
let w: VisitWorld;
let bankId: string;
let auditor: Actor;
let reviewer: Actor;
let manager: Actor;
let questionnaireId: string;

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  bankId = await w.bank('RQ1');
  await w.branch(bankId, 'R1', 'North');
  auditor = await w.user('rq-aud@firm.test', 'auditor');
  reviewer = await w.user('rq-rev@firm.test', 'reviewer');
  manager = await w.user('rq-mgr@bank.test', 'bank_manager', { bankId, scope: { type: 'bank' } });
  const res = await postQ(richQuestionnaire(bankId));
  expect(res.status).toBe(201);
  questionnaireId = res.body.id;
}, 120_000);
afterAll(stopTestApp);

const postQ = (body: object) => request(app).post('/api/v1/questionnaires').set(bearer(w.adminToken)).send(body);
const countQ = async () =>
  (await request(app).get('/api/v1/questionnaires').set(bearer(w.adminToken))).body.length as number;

/** The rich questionnaire with one item changed (by key) or added. */
function withItem(key: string, change: (i: Item) => Item): Body {
  const body = richQuestionnaire(bankId, `变体 ${key}`);
  for (const s of body.sections) s.items = s.items.map((i) => (i.key === key ? change(i) : i));
  return body;
}

describe('invalid questionnaires are refused with the field named, and nothing is stored', () => {
  test.each<[string, Body, string, RegExp]>([
    [
      'a condition on a later item',
      withItem('g_hello', (i) => ({ ...i, showIf: { item: 'p_product', in: ['wealth'] } })),
      'sections.0.items.0.showIf.item',
      /must refer to an earlier item; "p_product" comes after "g_hello"/,
    ],
    [
      'conditions in a circle',
      withItem('p_product', (i) => ({ ...i, showIf: { item: 'p_fees', in: ['yes'] } })),
      'sections.1.items.0.showIf.item',
      /circle: p_product → p_fees → p_product/,
    ],
    [
      'a condition on itself',
      withItem('g_hello', (i) => ({ ...i, showIf: { item: 'g_hello', in: ['yes'] } })),
      'sections.0.items.0.showIf.item',
      /cannot depend on itself/,
    ],
    [
      'a condition on an unknown item',
      withItem('p_fees', (i) => ({ ...i, showIf: { item: 'nope', in: ['yes'] } })),
      'sections.1.items.1.showIf.item',
      /no item "nope"/,
    ],
    [
      'a condition value the item cannot have',
      withItem('p_fees', (i) => ({ ...i, showIf: { item: 'p_product', in: ['wealth', 'gold'] } })),
      'sections.1.items.1.showIf.in.1',
      /"gold" is not an answer "p_product" can have/,
    ],
    [
      'a condition on a number item',
      withItem('p_fees', (i) => ({ ...i, showIf: { item: 'g_wait', in: [5] } })),
      'sections.1.items.1.showIf.item',
      /cannot refer to a number item/,
    ],
    [
      'bands not ascending',
      withItem('g_wait', (i) => ({
        ...i,
        bands: [
          { max: 15, score: 1 },
          { max: 5, score: 0.5 },
        ],
      })),
      'sections.0.items.1.bands.1.max',
      /bands must ascend: max 5 is not above 15/,
    ],
    [
      'a band score above 1',
      withItem('g_wait', (i) => ({ ...i, bands: [{ max: 5, score: 1.5 }] })),
      'sections.0.items.1.bands.0.score',
      /a band scores from 0 to 1/,
    ],
    [
      'an option key repeated',
      withItem('c_match', (i) => ({
        ...i,
        options: [...(i.options as object[]), { key: 'match', text: { zh: '重', en: 'again' }, score: 1 }],
      })),
      'sections.2.items.1.options.3.key',
      /option key "match" is repeated \(options.0\)/,
    ],
    [
      'a multiple-choice score out of range',
      withItem('c_points', (i) => ({
        ...i,
        options: [
          { key: 'a', text: { zh: 'a', en: 'a' }, score: 1.5 },
          { key: 'b', text: { zh: 'b', en: 'b' }, score: 0.5 },
        ],
      })),
      'sections.2.items.2.options.0.score',
      /a multiple-choice option scores from -1 to 1/,
    ],
    [
      'a choice score below 0',
      withItem('c_match', (i) => ({
        ...i,
        options: [
          { key: 'a', text: { zh: 'a', en: 'a' }, score: -0.5 },
          { key: 'b', text: { zh: 'b', en: 'b' }, score: 1 },
        ],
      })),
      'sections.2.items.1.options.0.score',
      /a choice option scores from 0 to 1/,
    ],
    [
      'a choice with one option',
      withItem('p_product', (i) => ({ ...i, options: [{ key: 'only', text: { zh: '唯一', en: 'Only' }, score: 1 }] })),
      'sections.1.items.0.options',
      /needs at least 2 options/,
    ],
    [
      'options on a yes/no item',
      withItem('g_hello', (i) => ({ ...i, options: [{ key: 'a', text: { zh: 'a', en: 'a' }, score: 1 }] })),
      'sections.0.items.0.options',
      /only choice and multi items take options/,
    ],
    [
      'a critical text item',
      withItem('f_notes', (i) => ({ ...i, critical: true })),
      'sections.3.items.1.critical',
      /never scored \(text\) cannot be critical/,
    ],
    [
      'evidence on failure for a number without bands',
      withItem('g_wait', (i) => ({ ...i, bands: undefined, evidenceOnFail: true })),
      'sections.0.items.1.evidenceOnFail',
      /never scored \(a number without bands\) never fails/,
    ],
    [
      '"na" as an option key',
      withItem('c_match', (i) => ({
        ...i,
        options: [...(i.options as object[]), { key: 'na', text: { zh: 'x', en: 'x' }, score: 0 }],
      })),
      'sections.2.items.1.options.3.key',
      /"na" is reserved/,
    ],
    [
      'a lowest value above the highest',
      withItem('g_wait', (i) => ({ ...i, min: 50, max: 10 })),
      'sections.0.items.1.max',
      /max must be at least min \(50\)/,
    ],
  ])('%s', async (_label, body, field, message) => {
    const before = await countQ();
    const res = await postQ(body);
    expect(res.status).toBe(422);
    const detail = res.body.error.details.find((d: { field: string }) => d.field === field);
    expect(detail?.message).toMatch(message);
    expect(await countQ()).toBe(before);
  });

  test('an edit (new version) is checked the same way', async () => {
    const body = withItem('g_hello', (i) => ({ ...i, showIf: { item: 'f_overall', in: [1] } }));
    const res = await request(app)
      .put(`/api/v1/questionnaires/${questionnaireId}`)
      .set(bearer(w.adminToken))
      .send({ name: body.name, sections: body.sections });
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain('sections.0.items.0.showIf.item');
  });
});

describe('a valid rich questionnaire', () => {
  test('comes back with every field, versioned as before', async () => {
    const q = (await request(app).get(`/api/v1/questionnaires/${questionnaireId}`).set(bearer(w.adminToken))).body;
    expect(q.version).toBe(1);
    const items = new Map<string, Item>(q.sections.flatMap((s: { items: Item[] }) => s.items.map((i) => [i.key, i])));
    expect(items.get('g_wait')).toMatchObject({
      type: 'number',
      min: 0,
      max: 120,
      unit: { zh: '分钟', en: 'min' },
      bands: [
        { max: 5, score: 1 },
        { max: 15, score: 0.5 },
      ],
      guidance: { zh: '从取号到叫号', en: 'From ticket to call' },
    });
    expect(items.get('c_match')).toMatchObject({ showIf: { item: 'c_assessed', in: ['yes'] }, critical: true });
    expect(items.get('c_assessed')).toMatchObject({
      evidenceOnFail: true,
      failureText: { en: 'Recommended without an assessment' },
    });
    expect((items.get('p_product')?.options as { score: unknown }[]).map((o) => o.score)).toEqual([null, null]);
    // A unit given as one word serves both languages.
    const oneWord = withItem('g_wait', (i) => ({ ...i, unit: '分' }));
    const created = await postQ(oneWord);
    expect(created.status).toBe(201);
    const back = (await request(app).get(`/api/v1/questionnaires/${created.body.id}`).set(bearer(w.adminToken))).body;
    expect(back.sections[0].items[1].unit).toEqual({ zh: '分', en: '分' });
  });
});

// ---- visits on it

async function newVisit(answers: unknown[] = RICH_ANSWERS): Promise<request.Response> {
  const assignmentId = await w.assignment({
    bankId,
    branchCode: 'R1',
    auditorId: auditor.id,
    questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '理财',
  });
  return request(app)
    .post('/api/v1/visits')
    .set(bearer(auditor.token))
    .send({ assignmentId, visitedAt: hoursAgo(2), durationMinutes: 30, answers });
}
const as = (who: Actor) => ({
  post: (path: string, body?: object) => request(app).post(`/api/v1${path}`).set(bearer(who.token)).send(body),
  patch: (path: string, body: object) => request(app).patch(`/api/v1${path}`).set(bearer(who.token)).send(body),
  get: (path: string) => request(app).get(`/api/v1${path}`).set(bearer(who.token)),
});
const jpeg = (): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`evidence ${Math.random()}`)]);
const attach = (visitId: string, itemKey?: string) => {
  const r = request(app).post(`/api/v1/visits/${visitId}/attachments`).set(bearer(auditor.token));
  return (itemKey === undefined ? r : r.field('itemKey', itemKey)).attach('file', jpeg(), 'photo.jpg');
};

describe('visits answer every type', () => {
  test('the answers are stored as given and scored as worked out by hand', async () => {
    const res = await newVisit();
    expect(res.status).toBe(201);
    const s = res.body.scores;
    expect(s.sections.greeting).toBeCloseTo(RICH_EXPECTED.greeting, 9);
    expect(s.sections.product_knowledge).toBe(RICH_EXPECTED.product_knowledge);
    expect(s.sections.sales_compliance).toBeCloseTo(RICH_EXPECTED.sales_compliance, 9);
    expect(s.sections.follow_up).toBe(RICH_EXPECTED.follow_up);
    expect(s.total).toBeCloseTo(RICH_EXPECTED.total, 9);
    expect(res.body.answers.find((a: { itemKey: string }) => a.itemKey === 'c_points').value).toEqual(['principal']);
  });

  test('a multiple choice is stored in the questionnaire’s option order, and a reorder is no change', async () => {
    const v = (await newVisit()).body;
    const answers = RICH_ANSWERS.map((a) =>
      a.itemKey === 'c_points' ? { ...a, value: ['guaranteed', 'liquidity', 'principal'] } : a,
    );
    const res = await as(auditor).patch(`/visits/${v.id}`, { answers });
    expect(res.status).toBe(200);
    const points = res.body.answers.find((a: { itemKey: string }) => a.itemKey === 'c_points');
    expect(points.value).toEqual(['principal', 'liquidity', 'guaranteed']);
    // 0.5 + 0.5 − 1 = 0 → compliance 100 × (1 + 0.5 + 0)/4 = 37.5
    expect(res.body.scores.sections.sales_compliance).toBeCloseTo(37.5, 9);
    const again = await as(auditor).patch(`/visits/${v.id}`, {
      answers: answers.map((a) =>
        a.itemKey === 'c_points' ? { ...a, value: ['liquidity', 'guaranteed', 'principal'] } : a,
      ),
    });
    // No change of answer: nothing new in the history.
    expect(again.status).toBe(200);
    expect(again.body.history.length).toBe(res.body.history.length);
  });

  test('wrong values are refused, each naming its answer; answers to items not asked are refused', async () => {
    const res = await newVisit([
      { itemKey: 'g_wait', value: 500 },
      { itemKey: 'p_product', value: 'gold' },
      { itemKey: 'c_points', value: ['principal', 'principal'] },
      { itemKey: 'f_notes', value: 7 },
    ]);
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual([
      'answers.0.value',
      'answers.1.value',
      'answers.2.value',
      'answers.3.value',
    ]);
    const hidden = await newVisit([
      { itemKey: 'p_product', value: 'deposit' },
      { itemKey: 'p_fees', value: 'yes' },
    ]);
    expect(hidden.status).toBe(422);
    expect(hidden.body.error.details).toEqual([
      {
        field: 'answers.1.itemKey',
        message: '"p_fees" is not asked: its condition on "p_product" is not met; leave it out',
      },
    ]);
  });
});

describe('submission: conditions and evidence on failure', () => {
  test('items not asked are not required; a failed evidence-on-failure item needs a file naming it', async () => {
    const answers = [
      ...RICH_ANSWERS.filter((a) => !['c_assessed', 'c_match'].includes(a.itemKey)),
      { itemKey: 'c_assessed', value: 'no' },
    ];
    const v = (await newVisit(answers)).body;
    // c_match is hidden (assessed is no), so it is not missing; the evidence is.
    const refused = await as(auditor).post(`/visits/${v.id}/submit`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('evidence_missing');
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({ field: 'attachments', missing: 'evidence', itemKey: 'c_assessed' }),
    ]);
    // A file that names no item, or another item, does not count.
    expect((await attach(v.id)).status).toBe(201);
    expect((await attach(v.id, 'g_hello')).status).toBe(201);
    expect((await as(auditor).post(`/visits/${v.id}/submit`)).status).toBe(422);
    const unknown = await attach(v.id, 'nope');
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toEqual([
      { field: 'itemKey', message: 'no item "nope" in the visit\'s questionnaire' },
    ]);
    const named = await attach(v.id, 'c_assessed');
    expect(named.status).toBe(201);
    expect(named.body.itemKey).toBe('c_assessed');
    const ok = await as(auditor).post(`/visits/${v.id}/submit`);
    expect(ok.status).toBe(200);
    expect(ok.body.violations).toEqual([{ itemKey: 'c_assessed', sectionKey: 'sales_compliance' }]);
    expect(ok.body.attachments.find((a: { itemKey?: string }) => a.itemKey === 'c_assessed')).toBeDefined();
  });

  test('missing answers and missing evidence are listed together', async () => {
    const v = (
      await newVisit([
        { itemKey: 'p_product', value: 'wealth' },
        { itemKey: 'c_assessed', value: 'no' },
      ])
    ).body;
    const res = await as(auditor).post(`/visits/${v.id}/submit`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('required_items_missing');
    const missing = res.body.error.details.map(
      (d: { itemKey: string; missing: string }) => `${d.missing}:${d.itemKey}`,
    );
    expect(missing).toEqual([
      'answer:g_hello',
      'answer:g_wait',
      'answer:p_fees',
      'answer:c_points',
      'answer:f_overall',
      'evidence:c_assessed',
    ]);
  });
});

describe('disputes on rich answers', () => {
  async function approved(answers: unknown[]) {
    const v = (await newVisit(answers)).body;
    expect((await as(auditor).post(`/visits/${v.id}/submit`)).status).toBe(200);
    expect((await as(reviewer).post(`/visits/${v.id}/review`, { decision: 'approve' })).status).toBe(200);
    return v.id as string;
  }

  test('an overturn sets a choice and a multiple choice; the same options in another order is no change', async () => {
    const id = await approved(RICH_ANSWERS);
    const d = (await as(manager).post(`/visits/${id}/disputes`, { itemKey: 'c_points', reason: '录音显示讲了流动性' }))
      .body;
    const same = await as(reviewer).post(`/disputes/${d.id}/resolve`, {
      decision: 'overturned',
      value: ['principal'],
      note: 'x',
    });
    expect(same.status).toBe(422);
    expect(same.body.error.code).toBe('value_unchanged');
    const bad = await as(reviewer).post(`/disputes/${d.id}/resolve`, {
      decision: 'overturned',
      value: ['gold'],
      note: 'x',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('value');
    const ok = await as(reviewer).post(`/disputes/${d.id}/resolve`, {
      decision: 'overturned',
      value: ['liquidity', 'principal'],
      note: '核实录音',
    });
    expect(ok.status).toBe(200);
    const v = (await as(reviewer).get(`/visits/${id}`)).body;
    // points 0.5 + 0.5 = 1 (w2): 100 × (1 + 0.5 + 2)/4 = 87.5
    expect(v.scores.sections.sales_compliance).toBeCloseTo(87.5, 9);
  });

  test('an overturn that leaves later items unasked clears their answers, in the history, and rescores', async () => {
    const id = await approved(RICH_ANSWERS);
    const d = (await as(manager).post(`/visits/${id}/disputes`, { itemKey: 'p_product', reason: '推荐的是存款' })).body;
    const res = await as(reviewer).post(`/disputes/${d.id}/resolve`, {
      decision: 'overturned',
      value: 'deposit',
      note: '核实',
    });
    expect(res.status).toBe(200);
    const v = (await as(reviewer).get(`/visits/${id}`)).body;
    expect(v.answers.map((a: { itemKey: string }) => a.itemKey)).toEqual([
      'g_hello',
      'g_wait',
      'p_product',
      'c_points',
      'f_overall',
      'f_notes',
    ]);
    const changes = v.history[v.history.length - 1].changes;
    expect(changes).toEqual(
      expect.arrayContaining([
        { field: 'answers.p_product', before: 'wealth', after: 'deposit' },
        { field: 'answers.p_fees', before: 'yes', after: null },
        { field: 'answers.c_assessed', before: 'yes', after: null },
        { field: 'answers.c_match', before: 'signed', after: null },
      ]),
    );
    // product_knowledge: no applicable item left (product n/a, fees not asked) → null;
    // sales_compliance: only points 0.5 (w2) → 50
    expect(v.scores.sections.product_knowledge).toBeNull();
    expect(v.scores.sections.sales_compliance).toBe(50);
  });
});
