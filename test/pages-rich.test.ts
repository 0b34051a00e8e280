import type { Express } from 'express';
import request from 'supertest';
import { ADMIN, bearer, startTestApp, stopTestApp } from './helpers/app';
import { RICH_ANSWERS, richQuestionnaire } from './helpers/rich-questionnaire';
import { hoursAgo, PASSWORD, VisitWorld, windowAroundNow, type Actor } from './helpers/visits';
import { csrfOf, signIn, unmarked, type Agent } from './helpers/web';

/**
 * SPEC §10 on the pages: the questionnaire editor (fields of every type, the live check and phone
 * preview), the phone form without its script (answers of items no longer asked are dropped, and
 * the auditor told), and answers shown in words on the visit page and the dispute page.
 */
let app: Express;
let w: VisitWorld;
let bankId: string;
let questionnaireId: string;
let auditor: Actor;
let reviewer: Actor;
let manager: Actor;

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  bankId = await w.bank('PR1');
  await w.branch(bankId, 'R1', 'North');
  auditor = await w.user('pr-aud@firm.test', 'auditor');
  reviewer = await w.user('pr-rev@firm.test', 'reviewer');
  manager = await w.user('pr-mgr@bank.test', 'bank_manager', { bankId, scope: { type: 'bank' } });
  const res = await request(app)
    .post('/api/v1/questionnaires')
    .set(bearer(w.adminToken))
    .send(richQuestionnaire(bankId));
  questionnaireId = res.body.id;
}, 120_000);
afterAll(stopTestApp);

/** The editor form of one item card per section (the fields of server/questionnaires/editor-form.ts). */
function editorForm(csrf: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    _csrf: csrf,
    bankId,
    name: '编辑器问卷',
    'i.greeting.0.key': 'g_product',
    'i.greeting.0.zh': '推荐产品',
    'i.greeting.0.en': 'Product',
    'i.greeting.0.type': 'choice',
    'i.greeting.0.required': '1',
    'i.greeting.0.o.0.key': 'wealth',
    'i.greeting.0.o.0.zh': '理财',
    'i.greeting.0.o.0.en': 'Wealth product',
    'i.greeting.0.o.0.score': '',
    'i.greeting.0.o.1.key': 'deposit',
    'i.greeting.0.o.1.zh': '存款',
    'i.greeting.0.o.1.en': 'Deposit',
    'i.greeting.0.o.1.score': '',
    'i.greeting.0.o.2.key': '',
    'i.greeting.1.key': 'g_wait',
    'i.greeting.1.zh': '等待',
    'i.greeting.1.en': 'Waiting time',
    'i.greeting.1.type': 'number',
    'i.greeting.1.required': '1',
    'i.greeting.1.uzh': '分钟',
    'i.greeting.1.uen': 'min',
    'i.greeting.1.b.0.max': '10',
    'i.greeting.1.b.0.score': '1',
    'i.greeting.1.b.1.max': '20',
    'i.greeting.1.b.1.score': '0.5',
    'i.greeting.1.b.2.max': '',
    // the options of a number are not sent: fields a type does not use are dropped
    'i.greeting.1.o.0.key': 'stray',
    'i.sales_compliance.0.key': 'c_assessed',
    'i.sales_compliance.0.zh': '已做风险评估',
    'i.sales_compliance.0.en': 'Assessed the risk tolerance',
    'i.sales_compliance.0.type': 'yes_no',
    'i.sales_compliance.0.required': '1',
    'i.sales_compliance.0.critical': '1',
    'i.sales_compliance.0.evidence': '1',
    'i.sales_compliance.0.ifItem': 'g_product',
    'i.sales_compliance.0.ifIn': 'wealth',
    'i.sales_compliance.0.fzh': '未评估即推荐',
    'i.sales_compliance.0.fen': 'Recommended without an assessment',
    ...extra,
  };
}

const admin = () => signIn(app, ADMIN.email, ADMIN.password, 'en');

describe('the questionnaire editor', () => {
  test('saves options, bands, units, a condition, evidence on failure and failure wording from the form', async () => {
    const agent = await admin();
    const res = await agent
      .post('/admin/questionnaires')
      .type('form')
      .send(editorForm(await csrfOf(agent, '/admin/questionnaires/new')));
    expect(res.status).toBe(303);
    const id = res.headers.location.split('/').pop();
    const q = (await request(app).get(`/api/v1/questionnaires/${id}`).set(bearer(w.adminToken))).body;
    const [product, waitItem] = q.sections[0].items;
    expect(product).toMatchObject({
      type: 'choice',
      options: [
        { key: 'wealth', text: { zh: '理财', en: 'Wealth product' }, score: null },
        { key: 'deposit', text: { zh: '存款', en: 'Deposit' }, score: null },
      ],
    });
    expect(waitItem).toMatchObject({
      type: 'number',
      unit: { zh: '分钟', en: 'min' },
      bands: [
        { max: 10, score: 1 },
        { max: 20, score: 0.5 },
      ],
    });
    expect(waitItem.options).toBeUndefined();
    expect(q.sections[2].items[0]).toMatchObject({
      critical: true,
      evidenceOnFail: true,
      showIf: { item: 'g_product', in: ['wealth'] },
      failureText: { zh: '未评估即推荐', en: 'Recommended without an assessment' },
    });
    // The editor shows it again as cards with every field.
    const page = await agent.get(`/admin/questionnaires/${id}`);
    expect(page.text).toContain('name="i.greeting.0.o.1.key" value="deposit"');
    expect(page.text).toContain('name="i.greeting.1.b.1.max" value="20"');
    expect(page.text).toContain('name="i.sales_compliance.0.ifItem" value="g_product"');
  });

  test('a questionnaire saved again from its own editor page, unchanged, is the same questionnaire', async () => {
    const agent = await admin();
    const page = (await agent.get(`/admin/questionnaires/${questionnaireId}`)).text;
    const start = page.indexOf('<form method="post" action="/admin/questionnaires/');
    const form = page.slice(start, page.indexOf('</form>', start));
    const fields: Record<string, string> = {};
    const unescape = (v: string) =>
      v
        .replace(/&quot;/g, '"')
        .replace(/&#x27;/g, "'")
        .replace(/&#x3D;/g, '=')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&');
    // What a browser posts: text boxes, ticked boxes, chosen options, text areas.
    for (const m of form.matchAll(/<input type="(text|hidden)"[^>]* name="([^"]+)" value="([^"]*)"/g))
      fields[m[2]] = unescape(m[3]);
    for (const m of form.matchAll(/<input type="checkbox" name="([^"]+)" value="1" checked/g)) fields[m[1]] = '1';
    for (const m of form.matchAll(/<select name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g))
      fields[m[1]] =
        /<option value="([^"]*)" selected>/.exec(m[2])?.[1] ?? /<option value="([^"]*)"/.exec(m[2])?.[1] ?? '';
    for (const m of form.matchAll(/<textarea name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) fields[m[1]] = unescape(m[2]);
    const res = await agent.post(`/admin/questionnaires/${questionnaireId}`).type('form').send(fields);
    expect(res.status).toBe(303);
    const get = (v: number) =>
      request(app).get(`/api/v1/questionnaires/${questionnaireId}/versions/${v}`).set(bearer(w.adminToken));
    const [v1, v2] = [(await get(1)).body, (await get(2)).body];
    expect(v2.version).toBe(2);
    expect(v2.sections).toEqual(v1.sections);
  });

  test('bands out of order and a circular condition are shown at their boxes; nothing is saved', async () => {
    const agent = await admin();
    const res = await agent
      .post('/admin/questionnaires')
      .type('form')
      .send(
        editorForm(await csrfOf(agent, '/admin/questionnaires/new'), {
          'i.greeting.1.b.1.max': '5',
          'i.greeting.0.ifItem': 'c_assessed',
          'i.greeting.0.ifIn': 'yes',
        }),
      );
    expect(res.status).toBe(422);
    expect(res.text).toContain('Band 2: bands must ascend: 5 is not above 10');
    expect(res.text).toMatch(/name="i\.greeting\.1\.b\.1\.max" value="5" aria-label="[^"]*" class="bad"/);
    // g_product → c_assessed, and c_assessed already depends on g_product: a circle, named as one.
    expect(res.text).toContain(
      'Asked only when item: the conditions go round in a circle: g_product → c_assessed → g_product',
    );
  });

  test('the live check: the phone preview of a valid form, the problems of an invalid one', async () => {
    const agent = await admin();
    const csrf = await csrfOf(agent, '/admin/questionnaires/new');
    const ok = await agent.post('/admin/questionnaires/preview').type('form').send(editorForm(csrf));
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    // The phone form's own controls: options by their text, the number with its unit, the condition as data.
    expect(ok.body.html).toContain('<span>Wealth product</span>');
    expect(ok.body.html).toContain('<span class="v-unit">min</span>');
    expect(ok.body.html).toMatch(/id="item-c_assessed"[^>]*data-show-if="\{&quot;item&quot;:&quot;g_product&quot;/);
    expect(ok.body.html).toContain('Asked when “Product” is answered Wealth product');
    const bad = await agent
      .post('/admin/questionnaires/preview')
      .type('form')
      .send(editorForm(csrf, { 'i.sales_compliance.0.ifIn': 'gold' }));
    expect(bad.body.ok).toBe(false);
    expect(bad.body.html).toContain('c_assessed: “gold” is not an answer “g_product” can have');
    expect(bad.body.html).not.toContain('q-preview-form');
  });
});

// ---- visits

async function visitWith(answers: unknown[]): Promise<string> {
  const assignmentId = await w.assignment({
    bankId,
    branchCode: 'R1',
    auditorId: auditor.id,
    questionnaireId,
    quarter: '2026-Q3',
    ...windowAroundNow(),
    scenario: '页面',
  });
  const res = await request(app)
    .post('/api/v1/visits')
    .set(bearer(auditor.token))
    .send({ assignmentId, visitedAt: hoursAgo(2), durationMinutes: 30, answers });
  if (res.status !== 201) throw new Error(`visit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}
const browser = (email: string, lang: 'en' | 'zh' = 'en'): Promise<Agent> => signIn(app, email, PASSWORD, lang);

describe('the phone form without its script', () => {
  test('answers of items whose condition is no longer met are dropped and the auditor is told which', async () => {
    const id = await visitWith(RICH_ANSWERS);
    const agent = await browser('pr-aud@firm.test');
    const csrf = await csrfOf(agent, `/visits/${id}/edit`);
    const res = await agent.post(`/visits/${id}/edit`).type('form').send({
      _csrf: csrf,
      rev: '0',
      'a.g_hello': 'yes',
      'a.g_wait': '8',
      'a.p_product': 'deposit', // changed: p_fees, c_assessed and c_match are no longer asked
      'a.p_fees': 'yes',
      'a.c_assessed': 'yes',
      'a.c_match': 'signed',
      'a.c_points:principal': '1',
      'a.c_points:liquidity': '1',
      'a.f_overall': '4',
      action: 'save',
    });
    expect(res.status).toBe(303);
    const v = (await request(app).get(`/api/v1/visits/${id}`).set(bearer(auditor.token))).body;
    expect(v.answers.map((a: { itemKey: string; value: unknown }) => [a.itemKey, a.value])).toEqual([
      ['g_hello', 'yes'],
      ['g_wait', 8],
      ['p_product', 'deposit'],
      ['c_points', ['principal', 'liquidity']],
      ['f_overall', 4],
    ]);
    const page = await agent.get(`/visits/${id}/edit`);
    expect(page.text).toContain(
      'These answers were cleared because their condition is no longer met: “Question p_fees”',
    );
    expect(page.text).toMatch(/<fieldset [^>]*id="item-p_fees"[^>]* hidden>/);
  });

  test('“none of these” is an answer to a multiple choice; N/A of a number is posted as its own box', async () => {
    const id = await visitWith([]);
    const agent = await browser('pr-aud@firm.test');
    const csrf = await csrfOf(agent, `/visits/${id}/edit`);
    await agent
      .post(`/visits/${id}/edit`)
      .type('form')
      .send({ _csrf: csrf, rev: '0', 'a.c_points:_none': '1', 'a.g_wait': 'abc', action: 'save' })
      .expect(422);
    const res = await agent
      .post(`/visits/${id}/edit`)
      .type('form')
      .send({ _csrf: csrf, rev: '0', 'a.c_points:_none': '1', action: 'save' });
    expect(res.status).toBe(303);
    const v = (await request(app).get(`/api/v1/visits/${id}`).set(bearer(auditor.token))).body;
    expect(v.answers).toEqual([{ itemKey: 'c_points', value: [] }]);
  });
});

describe('answers in words', () => {
  test('the visit page: option texts, numbers with units, not-asked items, violations worded as the failure', async () => {
    const id = await visitWith([
      ...RICH_ANSWERS.filter((a) => !['c_assessed', 'c_match'].includes(a.itemKey)),
      { itemKey: 'c_assessed', value: 'no' },
    ]);
    for (const [lang, words] of [
      [
        'en',
        [
          'Option wealth',
          '12 min',
          'Option principal',
          'not asked (its condition was not met)',
          'Recommended without an assessment',
        ],
      ],
      ['zh', ['选项 wealth', '12 分钟', '选项 principal', '未问（条件不满足）', '未做风险评估即推荐', '否']],
    ] as const) {
      const page = await (await browser('pr-rev@firm.test', lang)).get(`/visits/${id}`);
      expect(page.status).toBe(200);
      const text = unmarked(page.text);
      for (const wanted of words) expect(text).toContain(wanted);
      // Never an item key or a raw value where an answer is shown.
      const answers = text.slice(text.indexOf('v-answers'));
      expect(answers).not.toMatch(/>\s*(wealth|principal|no|yes)\s*</);
    }
  });

  test('the dispute pages: the answer at opening in words and a corrected-answer control for the item type', async () => {
    const id = await visitWith(RICH_ANSWERS);
    await request(app).post(`/api/v1/visits/${id}/submit`).set(bearer(auditor.token)).expect(200);
    await request(app)
      .post(`/api/v1/visits/${id}/review`)
      .set(bearer(reviewer.token))
      .send({ decision: 'approve' })
      .expect(200);
    const open = await request(app)
      .post(`/api/v1/visits/${id}/disputes`)
      .set(bearer(manager.token))
      .send({ itemKey: 'c_points', reason: '录音显示讲了流动性' });
    const rev = await browser('pr-rev@firm.test');
    const page = await rev.get(`/disputes/${open.body.id}`);
    expect(page.text).toContain('Option principal'); // the answer at opening, in words
    expect(page.text).toContain('name="value:liquidity"'); // tick the options of a multiple choice
    expect(page.text).toContain('name="value:_none"');
    const csrf = await csrfOf(rev, `/disputes/${open.body.id}`);
    const res = await rev.post(`/disputes/${open.body.id}/resolve`).type('form').send({
      _csrf: csrf,
      decision: 'overturned',
      'value:principal': '1',
      'value:liquidity': '1',
      note: '核实录音',
    });
    expect(res.status).toBe(303);
    const after = await rev.get(`/disputes/${open.body.id}`);
    expect(after.text).toContain('Option principal → Option principal; Option liquidity');
  });
});
