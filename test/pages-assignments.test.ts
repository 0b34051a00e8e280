import type { Express } from 'express';
import request from 'supertest';
import { LIST_LIMIT } from '../server/assignments/pages';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csv } from './helpers/foundation';
import { createQuestionnaire, USER_PASSWORD, userWithToken } from './helpers/questionnaires';
import { apiGet, apiPost, csrfFrom, csrfOf, makeBranch, signIn, type Agent, unmarked } from './helpers/web';

/**
 * The admin's assignment page: list with filters, the create form (times in the bank's zone), the
 * CSV import (all rows or none), who may use it, and both languages. Everything is checked against
 * the JSON API, which is the contract.
 */
jest.setTimeout(120_000);

let app: Express;
let adminToken: string;
let bankId: string;
let londonBankId: string;
let questionnaireId: string;
let londonQuestionnaireId: string;
let auditor: { id: string; token: string };
let reviewer: { id: string; token: string };
const HEADER = 'branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario';

interface Listed {
  id: string;
  branchCode: string;
  windowStart: string;
  windowEnd: string;
  scenario: string;
  questionnaireId: string;
  quarter: string;
}

const makeBankWith = async (code: string, timezone: string) =>
  (
    await apiPost<{ id: string }>(app, adminToken, '/banks', {
      code,
      name: `银行 ${code}`,
      timezone,
      reportRecipients: [],
    })
  ).id;

beforeAll(async () => {
  app = await startTestApp();
  adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
  bankId = await makeBankWith('PA', 'Asia/Shanghai');
  londonBankId = await makeBankWith('PL', 'Europe/London');
  await makeBranch(app, adminToken, bankId, 'PA1', 'North', '北区支行');
  await makeBranch(app, adminToken, bankId, 'PA2', 'South', '南区支行');
  await makeBranch(app, adminToken, londonBankId, 'PL1', 'City', 'City branch');
  questionnaireId = await createQuestionnaire(app, adminToken, bankId, '网点问卷');
  londonQuestionnaireId = await createQuestionnaire(app, adminToken, londonBankId, 'London questionnaire');
  auditor = await userWithToken(app, adminToken, { email: 'aud@pa.test', role: 'auditor' });
  reviewer = await userWithToken(app, adminToken, { email: 'rev@pa.test', role: 'reviewer' });
  await userWithToken(app, adminToken, { email: 'mgr@pa.test', role: 'bank_manager', bankId, scope: { type: 'bank' } });
  await userWithToken(app, adminToken, { email: 'hr@pa.test', role: 'hr', bankId, scope: { type: 'bank' } });
}, 120_000);
afterAll(stopTestApp);

const allAssignments = () => apiGet<Listed[]>(app, adminToken, '/assignments');
const admin = (lang: 'en' | 'zh' = 'en') => signIn(app, ADMIN.email, ADMIN.password, lang);
const pagePath = (b = bankId) => `/admin/assignments?bankId=${b}`;

function createForm(fields: Record<string, string> = {}): Record<string, string> {
  return {
    bankId,
    branchCode: 'PA1',
    auditorId: auditor.id,
    questionnaireId,
    quarter: '2026-Q3',
    windowStart: '2026-07-01T09:00',
    windowEnd: '2026-07-01T18:00',
    scenario: '咨询理财产品',
    ...fields,
  };
}

async function postCreate(agent: Agent, fields: Record<string, string>, from = pagePath()) {
  return agent
    .post('/admin/assignments')
    .type('form')
    .send({ _csrf: await csrfOf(agent, from), ...fields });
}

async function upload(agent: Agent, file: Buffer, opts: { bank?: string; questionnaire?: string } = {}) {
  const b = opts.bank ?? bankId;
  const token = await csrfOf(agent, pagePath(b));
  const r = agent.post(`/admin/assignments/import?bankId=${b}&_csrf=${encodeURIComponent(token)}`);
  return r.field('questionnaireId', opts.questionnaire ?? questionnaireId).attach('file', file, 'rows.csv');
}

/** The ids of the assignment rows a list page shows, in order. */
const rowIds = (html: string) =>
  [...html.matchAll(/<tr class="assignment-row" data-id="([a-f0-9]{24})"/g)].map((m) => m[1]);

describe('the create form', () => {
  test("an admin creates an assignment; the window is read in the bank's time zone and the auditor sees it in the API", async () => {
    const agent = await admin();
    const page = await agent.get(pagePath());
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/admin/assignments"');
    expect(page.text).toContain('type="datetime-local" name="windowStart"');
    expect(page.text).toContain('Asia/Shanghai');

    const res = await postCreate(agent, createForm());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(pagePath());

    const mine = await apiGet<Listed[]>(app, auditor.token, '/assignments');
    expect(mine).toHaveLength(1);
    // 09:00 in Shanghai (UTC+8) is 01:00 UTC.
    expect(mine[0]).toMatchObject({
      branchCode: 'PA1',
      quarter: '2026-Q3',
      windowStart: '2026-07-01T01:00:00.000Z',
      windowEnd: '2026-07-01T10:00:00.000Z',
      scenario: '咨询理财产品',
      questionnaireId,
    });

    const after = await agent.get(pagePath());
    expect(after.text).toContain('Assignment created');
    expect(rowIds(after.text)).toEqual([mine[0].id]);
    expect(after.text).toContain('2026-07-01 09:00 – 2026-07-01 18:00');
    expect(after.text).toContain('网点问卷');
    expect(after.text).toMatch(/aud \(A-[0-9A-F]{6}\)/);
  });

  test('a bank in another zone: the same local time is another instant', async () => {
    const agent = await admin();
    const res = await postCreate(
      agent,
      createForm({ bankId: londonBankId, branchCode: 'PL1', questionnaireId: londonQuestionnaireId }),
      pagePath(londonBankId),
    );
    expect(res.status).toBe(303);
    const made = (await allAssignments()).find((a) => a.branchCode === 'PL1');
    // London is on summer time (UTC+1) in July.
    expect(made).toMatchObject({ windowStart: '2026-07-01T08:00:00.000Z', windowEnd: '2026-07-01T17:00:00.000Z' });
    const page = await agent.get(pagePath(londonBankId));
    expect(page.text).toContain('2026-07-01 09:00 – 2026-07-01 18:00');
  });

  test('bad input: each field shows its error, the typed values stay, nothing is written', async () => {
    const agent = await admin();
    const before = (await allAssignments()).length;
    const res = await postCreate(
      agent,
      createForm({
        branchCode: '',
        auditorId: '',
        quarter: 'Q3',
        windowStart: '2026-07-02T10:00',
        windowEnd: '2026-07-02T09:00',
        scenario: '保留的场景文字',
      }),
    );
    expect(res.status).toBe(422);
    const errorOf = (name: string) =>
      new RegExp(`name="${name}"[\\s\\S]*?<small class="field-error">([^<]*)</small>`).exec(res.text)?.[1];
    expect(errorOf('branchCode')).toMatch(/^Required\./);
    expect(errorOf('auditorId')).toBe('Please choose one.');
    expect(errorOf('quarter')).toBe('Must look like 2026-Q3.');
    expect(errorOf('windowEnd')).toBe('Must be after the window start.');
    expect(res.text).toContain('保留的场景文字');
    expect(res.text).toContain('value="2026-07-02T10:00"');
    expect(res.text).toContain('value="Q3"');
    expect(unmarked(res.text)).toContain(`<option value="${questionnaireId}" selected>`);
    expect((await allAssignments()).length).toBe(before);
  });

  test("references the service refuses (not an auditor, another bank's questionnaire, a garbled time) are shown too", async () => {
    const agent = await admin();
    const before = (await allAssignments()).length;
    const refs = await postCreate(
      agent,
      createForm({ auditorId: reviewer.id, questionnaireId: londonQuestionnaireId }),
    );
    expect(refs.status).toBe(422);
    expect(refs.text).toMatch(
      /name="auditorId" required>[\s\S]*?<small class="field-error">No active auditor\.<\/small>/,
    );
    expect(refs.text).toMatch(
      /name="questionnaireId" required>[\s\S]*?<small class="field-error">No questionnaire of this bank\.<\/small>/,
    );
    const garbled = await postCreate(agent, createForm({ windowStart: 'yesterday' }));
    expect(garbled.status).toBe(422);
    expect(garbled.text).toMatch(
      /name="windowStart" value="yesterday"[\s\S]*?<small class="field-error">Enter a date and time\.<\/small>/,
    );
    expect((await allAssignments()).length).toBe(before);
  });

  test('an unknown bank is a 404, not a form error', async () => {
    const agent = await admin();
    expect((await postCreate(agent, createForm({ bankId: '0123456789abcdef01234567' }))).status).toBe(404);
    expect((await agent.get('/admin/assignments?bankId=0123456789abcdef01234567')).status).toBe(404);
  });
});

describe('the CSV import', () => {
  const row = (branch: string, email: string, day: number, scenario = '开户') =>
    `${branch},${email},2026-Q3,2026-08-${String(day).padStart(2, '0')}T09:00:00+08:00,2026-08-${String(day).padStart(2, '0')}T17:00:00+08:00,${scenario}`;

  test('a file with bad rows writes nothing and shows each bad row', async () => {
    const agent = await admin();
    const before = (await allAssignments()).length;
    const res = await upload(
      agent,
      csv([HEADER, row('PA1', 'aud@pa.test', 3), row('NOPE', 'aud@pa.test', 4), row('PA2', 'ghost@pa.test', 5)]),
    );
    expect(res.status).toBe(422);
    expect(res.text).toContain('nothing was written');
    expect(res.text).toMatch(/Row 3<\/strong>: branchCode: No branch &quot;NOPE&quot; in this bank\./);
    expect(res.text).toMatch(/Row 4<\/strong>: auditorEmail: No active auditor &quot;ghost@pa.test&quot;\./);
    expect(res.text).not.toContain('Row 2<');
    expect(unmarked(res.text)).toContain(`<option value="${questionnaireId}" selected>`);
    expect((await allAssignments()).length).toBe(before);
  });

  test('without a questionnaire the error is next to its box and nothing is written', async () => {
    const agent = await admin();
    const before = (await allAssignments()).length;
    const res = await upload(agent, csv([HEADER, row('PA1', 'aud@pa.test', 6)]), { questionnaire: '' });
    expect(res.status).toBe(422);
    expect(res.text).toMatch(
      /name="questionnaireId" required>[\s\S]*?<small class="field-error">Please choose one\.<\/small>/,
    );
    expect((await allAssignments()).length).toBe(before);
  });

  test('a good file creates every row and says how many', async () => {
    const agent = await admin();
    const before = (await apiGet<Listed[]>(app, auditor.token, '/assignments')).length;
    const res = await upload(
      agent,
      csv([HEADER, row('PA1', 'aud@pa.test', 7, '理财'), row('PA2', 'AUD@pa.test', 8, '开卡')]),
    );
    expect(res.status).toBe(303);
    expect((await agent.get(res.headers.location)).text).toContain('Import finished: 2 assignments created.');
    const mine = await apiGet<Listed[]>(app, auditor.token, '/assignments');
    expect(mine.length).toBe(before + 2);
    expect(mine.filter((a) => a.scenario === '开卡')).toMatchObject([
      { branchCode: 'PA2', questionnaireId, windowStart: '2026-08-08T01:00:00.000Z' },
    ]);
  });
});

describe('the list', () => {
  test('filters by bank and by visit status; newest window first', async () => {
    const agent = await admin();
    const all = await allAssignments();
    const own = all.filter((a) => a.branchCode.startsWith('PA'));
    const byBank = rowIds((await agent.get(pagePath())).text);
    expect([...byBank].sort()).toEqual(own.map((a) => a.id).sort());
    const starts = byBank.map((id) => own.find((a) => a.id === id)?.windowStart ?? '');
    expect(starts).toEqual([...starts].sort().reverse());
    expect(rowIds((await agent.get(pagePath(londonBankId))).text)).toEqual(
      all.filter((a) => a.branchCode === 'PL1').map((a) => a.id),
    );

    const started = own[0];
    const visit = await request(app)
      .post('/api/v1/visits')
      .set(bearer(auditor.token))
      .send({
        assignmentId: started.id,
        visitedAt: new Date(Date.now() - 3600_000).toISOString(),
        confirmOutsideWindow: true, // the rounds here are of 2026-Q3
        durationMinutes: 20,
        staff: [],
        answers: [],
      });
    expect(visit.status).toBe(201);
    const drafts = await agent.get(`${pagePath()}&state=draft`);
    expect(rowIds(drafts.text)).toEqual([started.id]);
    expect(drafts.text).toContain(`href="/visits/${visit.body.id}">Draft</a>`);
    expect(rowIds((await agent.get(`${pagePath()}&state=not_started`)).text).sort()).toEqual(
      own
        .filter((a) => a.id !== started.id)
        .map((a) => a.id)
        .sort(),
    );
    expect(rowIds((await agent.get('/admin/assignments?state=approved')).text)).toEqual([]);
    expect((await agent.get('/admin/assignments?state=lost')).status).toBe(400);
  });

  test(`comes ${LIST_LIMIT} rows at a time, newest first, with the create form above the list`, async () => {
    const bigBank = await makeBankWith('PB', 'Asia/Shanghai');
    await makeBranch(app, adminToken, bigBank, 'PB1', 'North');
    const q = await createQuestionnaire(app, adminToken, bigBank);
    const start = Date.UTC(2026, 0, 1);
    const lines = Array.from({ length: LIST_LIMIT + 1 }, (_, i) => {
      const s = new Date(start + i * 3600_000);
      return `PB1,aud@pa.test,2026-Q1,${s.toISOString()},${new Date(s.getTime() + 1800_000).toISOString()},场景 ${i}`;
    });
    const agent = await admin();
    expect((await upload(agent, csv([HEADER, ...lines]), { bank: bigBank, questionnaire: q })).status).toBe(303);
    const page = await agent.get(pagePath(bigBank));
    // The form to create one comes before the long list (issue 20).
    expect(page.text.indexOf('id="new-assignment"')).toBeGreaterThan(0);
    expect(page.text.indexOf('id="new-assignment"')).toBeLessThan(page.text.indexOf('id="assignments"'));
    const ids = rowIds(page.text);
    expect(ids).toHaveLength(LIST_LIMIT);
    expect(unmarked(page.text)).toContain(`场景 ${LIST_LIMIT}<`);
    expect(unmarked(page.text)).not.toContain('场景 0<');
    // The next page: the rest, no row twice, filters kept; then the end of the list.
    const href = /id="assignments-pages">[\s\S]*?<a href="([^"]+)" rel="next"/.exec(page.text)?.[1] ?? '';
    const next = href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    expect(next).toContain(`bankId=${bigBank}`);
    const second = await agent.get(next);
    expect(second.status).toBe(200);
    const rest = rowIds(second.text);
    expect(rest).toHaveLength(1);
    expect(ids).not.toContain(rest[0]);
    expect(unmarked(second.text)).toContain('场景 0<');
    expect(second.text).toContain('End of the list.');
    expect(second.text).toContain('First page');
    // A bank with fewer rows has one page.
    expect((await agent.get(pagePath(londonBankId))).text).not.toContain('rel="next"');
    expect((await agent.get(`${pagePath(bigBank)}&cursor=nonsense`)).status).toBe(400);
  });
});

describe('access', () => {
  test.each(['aud@pa.test', 'rev@pa.test', 'mgr@pa.test', 'hr@pa.test'])(
    '%s gets 403 on the page and both forms, and writes nothing',
    async (email) => {
      const agent = await signIn(app, email, USER_PASSWORD, 'en');
      const token = csrfFrom((await agent.get('/')).text);
      const before = (await allAssignments()).length;
      expect((await agent.get(pagePath())).status).toBe(403);
      expect(
        (
          await agent
            .post('/admin/assignments')
            .type('form')
            .send({ _csrf: token, ...createForm() })
        ).status,
      ).toBe(403);
      const imp = await agent
        .post(`/admin/assignments/import?bankId=${bankId}&_csrf=${encodeURIComponent(token)}`)
        .field('questionnaireId', questionnaireId)
        .attach(
          'file',
          csv([HEADER, `PA1,aud@pa.test,2026-Q3,2026-09-01T09:00:00+08:00,2026-09-01T17:00:00+08:00,x`]),
          'rows.csv',
        );
      expect(imp.status).toBe(403);
      expect((await allAssignments()).length).toBe(before);
      expect((await agent.get('/')).text).not.toContain('href="/admin/assignments"');
    },
  );

  test('anonymous visitors are sent to sign in', async () => {
    const res = await request(app).get('/admin/assignments');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fassignments');
  });

  test('the admin navigation links to the page', async () => {
    expect((await (await admin()).get('/')).text).toContain('href="/admin/assignments"');
  });
});

describe('Chinese', () => {
  test('the page, its forms and its messages are in Chinese', async () => {
    const agent = await admin('zh');
    const page = await agent.get(pagePath());
    expect(page.status).toBe(200);
    for (const text of [
      '<h1>暗访任务</h1>',
      '为 银行 PA 新建任务',
      '为 银行 PA 导入任务',
      '窗口开始',
      '银行当地时间（Asia/Shanghai）',
      '未开始',
    ])
      expect(unmarked(page.text)).toContain(text);
    expect(page.text).not.toContain('Window start');
    const res = await postCreate(agent, createForm({ quarter: '三季度', windowEnd: '2026-07-01T08:00' }));
    expect(res.status).toBe(422);
    expect(res.text).toContain('格式应为 2026-Q3。');
    expect(res.text).toContain('必须晚于窗口开始时间。');
    const none = await agent.get('/admin/assignments');
    expect(none.text).toContain('请先在上方筛选中选择银行');
  });
});
