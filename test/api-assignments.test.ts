import ExcelJS from 'exceljs';
import type { Express } from 'express';
import request from 'supertest';
import { Assignment } from '../server/assignments/model';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, insertQuestionnaire, VisitWorld, type Actor } from './helpers/visits';

let app: Express;
let w: VisitWorld;
let bankId: string;
let otherBankId: string;
let questionnaireId: string;
let otherQuestionnaireId: string;
let auditor: Actor;
let auditor2: Actor;
let reviewer: Actor;
let manager: Actor;
let hr: Actor;

const WINDOW = { windowStart: '2026-07-01T09:00:00+08:00', windowEnd: '2026-07-31T18:00:00+08:00' };
const csvOf = (lines: string[]) =>
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  bankId = await w.bank('AB1');
  otherBankId = await w.bank('AB2');
  await w.branch(bankId, 'N1', 'North');
  await w.branch(bankId, 'S1', 'South');
  await w.branch(otherBankId, 'Z1', 'Zed');
  questionnaireId = await insertQuestionnaire(bankId);
  otherQuestionnaireId = await insertQuestionnaire(otherBankId);
  auditor = await w.user('aud1@firm.test', 'auditor');
  auditor2 = await w.user('aud2@firm.test', 'auditor');
  reviewer = await w.user('rev@firm.test', 'reviewer');
  manager = await w.user('mgr@bank.test', 'bank_manager', { bankId, scope: { type: 'bank' } });
  hr = await w.user('hr@bank.test', 'hr', { bankId });
});
afterAll(stopTestApp);

const valid = () => ({
  bankId,
  branchCode: 'N1',
  auditorId: auditor.id,
  questionnaireId,
  quarter: '2026-Q3',
  ...WINDOW,
  scenario: '咨询理财产品',
});

describe('POST /api/v1/assignments', () => {
  test('admin creates an assignment; the response carries the fields of the list rows', async () => {
    const res = await request(app).post('/api/v1/assignments').set(bearer(w.adminToken)).send(valid());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      bankId,
      branchCode: 'N1',
      branchName: '支行 N1',
      region: 'North',
      auditorId: auditor.id,
      questionnaireId,
      quarter: '2026-Q3',
      windowStart: '2026-07-01T01:00:00.000Z',
      windowEnd: '2026-07-31T10:00:00.000Z',
      scenario: '咨询理财产品',
    });
    expect(res.body.id).toMatch(/^[a-f0-9]{24}$/);
    expect(res.body.visitId).toBeUndefined();
  });

  test('401 without a token, 403 for every role but admin', async () => {
    expect((await request(app).post('/api/v1/assignments').send(valid())).status).toBe(401);
    for (const a of [auditor, reviewer, manager, hr]) {
      expect((await request(app).post('/api/v1/assignments').set(bearer(a.token)).send(valid())).status).toBe(403);
    }
  });

  test('422 names each broken reference: branch of another bank, non-auditor, questionnaire of another bank', async () => {
    const res = await request(app)
      .post('/api/v1/assignments')
      .set(bearer(w.adminToken))
      .send({ ...valid(), branchCode: 'Z1', auditorId: reviewer.id, questionnaireId: otherQuestionnaireId });
    expect(res.status).toBe(422);
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['auditorId', 'branchCode', 'questionnaireId']);
  });

  test('422 for an unknown bank, a reversed window, a bad quarter and a time without offset', async () => {
    const unknownBank = await request(app)
      .post('/api/v1/assignments')
      .set(bearer(w.adminToken))
      .send({ ...valid(), bankId: '0123456789abcdef01234567' });
    expect(unknownBank.status).toBe(422);
    expect(unknownBank.body.error.details.map((d: { field: string }) => d.field)).toContain('bankId');
    const bad = await request(app)
      .post('/api/v1/assignments')
      .set(bearer(w.adminToken))
      .send({ ...valid(), quarter: '2026-Q5', windowStart: WINDOW.windowEnd, windowEnd: WINDOW.windowStart });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['quarter', 'windowEnd']);
    const noOffset = await request(app)
      .post('/api/v1/assignments')
      .set(bearer(w.adminToken))
      .send({ ...valid(), windowStart: '2026-07-01T09:00:00' });
    expect(noOffset.status).toBe(422);
    expect(noOffset.body.error.details[0].field).toBe('windowStart');
    const extra = await request(app)
      .post('/api/v1/assignments')
      .set(bearer(w.adminToken))
      .send({ ...valid(), visitId: 'x' });
    expect(extra.status).toBe(422);
  });
});

describe('GET /api/v1/assignments', () => {
  let own: string;
  let others: string;
  beforeAll(async () => {
    own = await w.assignment({ ...valid(), branchCode: 'S1', quarter: '2026-Q4' });
    others = await w.assignment({ ...valid(), auditorId: auditor2.id });
    await w.assignment({
      ...valid(),
      bankId: otherBankId,
      branchCode: 'Z1',
      questionnaireId: otherQuestionnaireId,
      auditorId: auditor2.id,
    });
  });

  test('an auditor sees only their own assignments, in the documented row shape', async () => {
    const res = await request(app).get('/api/v1/assignments').set(bearer(auditor.token));
    expect(res.status).toBe(200);
    const ids = res.body.map((r: { id: string }) => r.id);
    expect(ids).toContain(own);
    expect(ids).not.toContain(others);
    expect(res.body.every((r: { auditorId: string }) => r.auditorId === auditor.id)).toBe(true);
    const row = res.body.find((r: { id: string }) => r.id === own);
    for (const k of [
      'id',
      'branchCode',
      'branchName',
      'quarter',
      'windowStart',
      'windowEnd',
      'scenario',
      'questionnaireId',
    ])
      expect(row).toHaveProperty(k);
    expect(row.branchName).toBe('支行 S1');
  });

  test('an auditor filtering by another auditor still sees only their own', async () => {
    const res = await request(app).get(`/api/v1/assignments?auditorId=${auditor2.id}`).set(bearer(auditor.token));
    expect(res.body.map((r: { id: string }) => r.id)).not.toContain(others);
  });

  test('admin sees all, filtered by bankId and quarter', async () => {
    const all = await request(app).get('/api/v1/assignments').set(bearer(w.adminToken));
    expect(all.body.length).toBeGreaterThanOrEqual(4);
    const otherBank = await request(app).get(`/api/v1/assignments?bankId=${otherBankId}`).set(bearer(w.adminToken));
    expect(otherBank.body).toHaveLength(1);
    expect(otherBank.body[0].branchCode).toBe('Z1');
    const q4 = await request(app).get(`/api/v1/assignments?bankId=${bankId}&quarter=2026-Q4`).set(bearer(w.adminToken));
    expect(q4.body.map((r: { id: string }) => r.id)).toEqual([own]);
  });

  test('pages: earliest window first, limit and cursor, the next page in X-Next-Cursor; an auditor pages only their own', async () => {
    const pager = await w.user('apager@firm.test', 'auditor');
    const starts = ['2026-08-01T09:00:00+08:00', '2026-08-02T09:00:00+08:00'];
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push(
        await w.assignment({
          ...valid(),
          auditorId: pager.id,
          windowStart: starts[i % 2],
          windowEnd: '2026-08-31T18:00:00+08:00',
        }),
      );
    const whole = (await request(app).get('/api/v1/assignments').set(bearer(pager.token))).body.map(
      (r: { id: string }) => r.id,
    );
    expect([...whole].sort()).toEqual([...made].sort());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(app)
        .get(`/api/v1/assignments?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(pager.token));
      expect(res.status).toBe(200);
      expect(res.body.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.map((r: { id: string }) => r.id));
      cursor = res.headers['x-next-cursor'];
    } while (cursor);
    expect(seen).toEqual(whole);
    const admin = await request(app).get(`/api/v1/assignments?limit=1&auditorId=${pager.id}`).set(bearer(w.adminToken));
    expect(admin.body.map((r: { id: string }) => r.id)).toEqual([whole[0]]);
    expect(admin.headers.link).toContain('rel="next"');
    expect((await request(app).get('/api/v1/assignments?cursor=abc').set(bearer(pager.token))).status).toBe(400);
  });

  test('401 without a token; 403 for reviewer and bank users; 400 for a bad filter', async () => {
    expect((await request(app).get('/api/v1/assignments')).status).toBe(401);
    for (const a of [reviewer, manager, hr])
      expect((await request(app).get('/api/v1/assignments').set(bearer(a.token))).status).toBe(403);
    expect((await request(app).get('/api/v1/assignments?quarter=Q3').set(bearer(w.adminToken))).status).toBe(400);
  });

  test('the row carries visitId once the auditor has started the visit', async () => {
    const visit = await request(app)
      .post('/api/v1/visits')
      .set(bearer(auditor.token))
      .send({ assignmentId: own, visitedAt: '2026-07-02T10:00:00+08:00', durationMinutes: 30, answers: ANSWERS });
    expect(visit.status).toBe(201);
    const res = await request(app).get('/api/v1/assignments').set(bearer(auditor.token));
    const row = res.body.find((r: { id: string }) => r.id === own);
    expect(row.visitId).toBe(visit.body.id);
    expect(row.visitStatus).toBe('draft');
  });

  test('GET one: owner and admin; another auditor gets 404', async () => {
    expect((await request(app).get(`/api/v1/assignments/${own}`).set(bearer(auditor.token))).status).toBe(200);
    expect((await request(app).get(`/api/v1/assignments/${own}`).set(bearer(w.adminToken))).status).toBe(200);
    expect((await request(app).get(`/api/v1/assignments/${own}`).set(bearer(auditor2.token))).status).toBe(404);
    expect((await request(app).get(`/api/v1/assignments/${own}`)).status).toBe(401);
    for (const a of [reviewer, manager, hr])
      expect((await request(app).get(`/api/v1/assignments/${own}`).set(bearer(a.token))).status).toBe(403);
  });
});

describe('POST /api/v1/assignments/import', () => {
  const header = 'branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario';
  const url = () => `/api/v1/assignments/import?bankId=${bankId}&questionnaireId=${questionnaireId}`;

  test('creates every row of a valid CSV', async () => {
    const before = await Assignment.countDocuments({ bankId });
    const file = csvOf([
      header,
      `N1,aud1@firm.test,2026-Q3,${WINDOW.windowStart},${WINDOW.windowEnd},开户`,
      `S1,AUD2@firm.test,2026-Q3,${WINDOW.windowStart},${WINDOW.windowEnd},"理财, 转账"`,
    ]);
    const res = await request(app).post(url()).set(bearer(w.adminToken)).attach('file', file, 'a.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2, updated: 0, errors: [] });
    expect(await Assignment.countDocuments({ bankId })).toBe(before + 2);
    const s1 = await Assignment.findOne({ bankId, branchCode: 'S1', scenario: '理财, 转账' }).lean();
    expect(String(s1?.auditorId)).toBe(auditor2.id);
    expect(s1?.region).toBe('South');
  });

  test('one bad row rejects the whole file and reports every bad row by number', async () => {
    const before = await Assignment.countDocuments({});
    const file = csvOf([
      header,
      `N1,aud1@firm.test,2026-Q3,${WINDOW.windowStart},${WINDOW.windowEnd},ok`,
      `Z1,aud1@firm.test,2026-Q3,${WINDOW.windowStart},${WINDOW.windowEnd},other bank's branch`,
      `N1,rev@firm.test,2026-Q3,${WINDOW.windowStart},${WINDOW.windowEnd},not an auditor`,
      `N1,aud1@firm.test,2026-Q3,${WINDOW.windowEnd},${WINDOW.windowStart},reversed`,
    ]);
    const res = await request(app).post(url()).set(bearer(w.adminToken)).attach('file', file, 'a.csv');
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(0);
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([3, 4, 5]);
    expect(await Assignment.countDocuments({})).toBe(before);
  });

  test('reads XLSX too', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('s');
    ws.addRow(header.split(','));
    ws.addRow(['S1', 'aud1@firm.test', '2026-Q3', WINDOW.windowStart, WINDOW.windowEnd, 'xlsx']);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const res = await request(app).post(url()).set(bearer(w.adminToken)).attach('file', buf, 'a.xlsx');
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(1);
    expect(await Assignment.exists({ scenario: 'xlsx', branchCode: 'S1' })).toBeTruthy();
  });

  test('422 for a questionnaire of another bank, 400 without the query parameters, 403 for non-admins', async () => {
    const file = csvOf([header]);
    const wrong = await request(app)
      .post(`/api/v1/assignments/import?bankId=${bankId}&questionnaireId=${otherQuestionnaireId}`)
      .set(bearer(w.adminToken))
      .attach('file', file, 'a.csv');
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].field).toBe('questionnaireId');
    expect(
      (await request(app).post('/api/v1/assignments/import').set(bearer(w.adminToken)).attach('file', file, 'a.csv'))
        .status,
    ).toBe(400);
    expect((await request(app).post(url()).set(bearer(auditor.token)).attach('file', file, 'a.csv')).status).toBe(403);
    expect((await request(app).post(url()).attach('file', file, 'a.csv')).status).toBe(401);
  });
});

test('the OpenAPI document lists the routes and says where the import takes bankId and questionnaireId', async () => {
  const doc = (await request(app).get('/api/v1/openapi.json')).body;
  const imp = doc.paths['/api/v1/assignments/import'].post;
  expect(imp.summary).toMatch(/bankId.*questionnaireId/);
  expect(
    imp.parameters
      .filter((p: { in: string }) => p.in === 'query')
      .map((p: { name: string }) => p.name)
      .sort(),
  ).toEqual(['bankId', 'questionnaireId']);
  for (const path of [
    '/api/v1/visits',
    '/api/v1/visits/{visitId}',
    '/api/v1/visits/{visitId}/submit',
    '/api/v1/visits/{visitId}/review',
    '/api/v1/visits/{visitId}/attachments',
    '/api/v1/visits/{visitId}/attachments/{attachmentId}',
    '/api/v1/review/queue',
  ]) {
    expect(doc.paths[path]).toBeDefined();
  }
});
