import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { Express } from 'express';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD } from './helpers/foundation';
import { signIn, unmarked, type Agent } from './helpers/web';
import { addVisit, ALL_GOOD, makeResultsBank, PREV, Q, type BankFixture } from './helpers/results-fixtures';

/**
 * Issue 18: HR sees the visits each staff score rests on — when (bank's zone, named), where, the
 * visit's total, its dispute state — with the auditor only as a pseudonym: never the auditor's
 * name, e-mail or user id, on the page, in the API or in the exports. Another bank's HR gets 404.
 */

let app: Express;
let f: BankFixture;
let other: BankFixture;
let auditor: { id: string; code: string };
const AUDITOR_NAME = '王晓明审计';
const AUDITOR_EMAIL = 'wang.xiaoming@firm.test';
let hr: { id: string; token: string };
let northHr: { id: string; token: string };
let otherHr: { id: string; token: string };
let hrWeb: Agent;
let otherWeb: Agent;
const visitIds: Record<string, string> = {};

const SOMEWHAT = { ...ALL_GOOD, g1: 'no', p2: 3 } as const;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  const fx = { app, adminToken: admin };
  const a = await makeUser(fx, { email: AUDITOR_EMAIL, role: 'auditor', name: AUDITOR_NAME });
  const me = await request(app).get(`/api/v1/users/${a.id}`).set(bearer(admin));
  auditor = { id: a.id, code: me.body.auditorCode as string };
  f = await makeResultsBank(
    'HSV',
    [
      { code: 'S1', region: 'North', name: '北城支行' },
      { code: 'S2', region: 'South', name: '南湖支行' },
    ],
    [
      { employeeId: 'E1', branchCode: 'S1', name: '李娜' },
      { employeeId: 'E2', branchCode: 'S2', name: '周杰' },
    ],
    auditor.id,
  );
  other = await makeResultsBank(
    'HSO',
    [{ code: 'O1', region: 'East' }],
    [{ employeeId: 'X1', branchCode: 'O1' }],
    a.id,
  );
  visitIds.n1 = await addVisit(f, {
    branchCode: 'S1',
    region: 'North',
    quarter: Q,
    staffIds: ['E1'],
    answers: ALL_GOOD,
  });
  visitIds.n2 = await addVisit(f, {
    branchCode: 'S1',
    region: 'North',
    quarter: Q,
    staffIds: ['E1'],
    answers: SOMEWHAT,
  });
  // E1 also identified at a branch of another region (covering for a colleague).
  visitIds.s1 = await addVisit(f, {
    branchCode: 'S2',
    region: 'South',
    quarter: Q,
    staffIds: ['E1', 'E2'],
    answers: SOMEWHAT,
  });
  // Neither counts for 2026-Q2: submitted only, and the previous quarter.
  await addVisit(f, {
    branchCode: 'S1',
    region: 'North',
    quarter: Q,
    staffIds: ['E1'],
    answers: ALL_GOOD,
    status: 'submitted',
  });
  await addVisit(f, { branchCode: 'S1', region: 'North', quarter: PREV, staffIds: ['E1'], answers: ALL_GOOD });
  await addVisit(other, { branchCode: 'O1', region: 'East', quarter: Q, staffIds: ['X1'], answers: ALL_GOOD });
  hr = await makeUser(fx, { email: 'hsv-hr@bank.test', role: 'hr', bankId: f.bankId, scope: { type: 'bank' } });
  northHr = await makeUser(fx, {
    email: 'hsv-north-hr@bank.test',
    role: 'hr',
    bankId: f.bankId,
    scope: { type: 'region', region: 'North' },
  });
  otherHr = await makeUser(fx, {
    email: 'hso-hr@bank.test',
    role: 'hr',
    bankId: other.bankId,
    scope: { type: 'bank' },
  });
  hrWeb = await signIn(app, 'hsv-hr@bank.test', PASSWORD, 'en');
  otherWeb = await signIn(app, 'hso-hr@bank.test', PASSWORD, 'en');
});
afterAll(stopTestApp);

const listed = (token: string, employeeId: string, query: Record<string, string> = {}) =>
  request(app)
    .get(`/api/v1/staff/${employeeId}/visits`)
    .query({ bankId: f.bankId, quarter: Q, ...query })
    .set(bearer(token));

/** Nothing that identifies the auditor: name, e-mail (or its local part), user id. */
function expectNoAuditorIdentity(text: string): void {
  expect(text).not.toContain(AUDITOR_NAME);
  expect(text).not.toContain(AUDITOR_EMAIL);
  expect(text).not.toContain('wang.xiaoming');
  expect(text).not.toContain(auditor.id);
}

describe('GET /api/v1/staff/:employeeId/visits', () => {
  test("the visits a staff score rests on: the quarter's counted ones, in the bank's zone, the auditor as a pseudonym", async () => {
    const res = await listed(hr.token, 'E1');
    expect(res.status).toBe(200);
    const raw = await Visit.find({ _id: { $in: [visitIds.n1, visitIds.n2, visitIds.s1] } }).lean();
    const total = (id: string) => raw.find((v) => String(v._id) === id)?.scores?.total;
    expect(res.body.map((v: { visitId: string }) => v.visitId).sort()).toEqual(
      [visitIds.n1, visitIds.n2, visitIds.s1].sort(),
    );
    for (const v of res.body) {
      // mid-quarter fixture time 2026-05-10T04:00Z is 12:00 in Asia/Shanghai
      expect(v.visitedAt).toBe('2026-05-10T12:00:00+08:00');
      expect(v.total).toBe(total(v.visitId));
      expect(v.auditorCode).toBe(auditor.code);
      expect(v.disputed).toBe(false);
      expect(v).not.toHaveProperty('auditorId');
    }
    expect(res.body.find((v: { visitId: string }) => v.visitId === visitIds.s1)).toMatchObject({
      branchCode: 'S2',
      branchName: '南湖支行',
    });
    expect(auditor.code).toMatch(/\S/);
    expectNoAuditorIdentity(JSON.stringify(res.body));
    // As many as the scorecard's n, and their mean is its total.
    const card = (
      await request(app).get('/api/v1/staff/scorecards').query({ quarter: Q }).set(bearer(hr.token))
    ).body.find((r: { employeeId: string }) => r.employeeId === 'E1');
    expect(card.n).toBe(3);
    expect(card.total).toBeCloseTo(res.body.reduce((s: number, v: { total: number }) => s + v.total, 0) / 3, 10);
  });

  test("cut to the caller's scope like the score; another bank, an unknown member, other roles: 404 / 403", async () => {
    const north = await listed(northHr.token, 'E1');
    expect(north.status).toBe(200);
    expect(north.body.map((v: { visitId: string }) => v.visitId).sort()).toEqual([visitIds.n1, visitIds.n2].sort());
    expect((await listed(northHr.token, 'E2')).status).toBe(404);
    expect((await listed(otherHr.token, 'E1')).status).toBe(404);
    expect((await listed(otherHr.token, 'E1', { bankId: other.bankId })).status).toBe(404);
    expect((await listed(hr.token, 'NOPE')).status).toBe(404);
    expect((await listed(hr.token, 'X1', { bankId: other.bankId })).status).toBe(404);
    const a = await tokenFor(app, AUDITOR_EMAIL, PASSWORD);
    expect((await listed(a, 'E1')).status).toBe(403);
    expect((await listed(hr.token, 'E1', { quarter: PREV })).body).toHaveLength(1);
    expect((await listed(hr.token, 'E2', { quarter: '2025-Q1' })).body).toEqual([]);
  });
});

describe('the HR pages', () => {
  test('the scorecards link each n to the visits; the page lists them with zone, branch, total and pseudonym only', async () => {
    const list = await hrWeb.get(`/hr/scorecards?quarter=${Q}`);
    expect(list.status).toBe(200);
    expect(list.text).toContain(`href="/hr/scorecards/E1?quarter&#x3D;${Q}"`);
    const res = await hrWeb.get(`/hr/scorecards/E1?quarter=${Q}`);
    expect(res.status).toBe(200);
    const html = unmarked(res.text);
    expect(html).toContain('Visit time (Asia/Shanghai)');
    expect(html.match(/2026-05-10 12:00/g)).toHaveLength(3);
    expect(html).toContain('S2 · 南湖支行');
    expect(html).toContain(auditor.code);
    expect(html).not.toContain('small-sample-warning');
    for (const id of [visitIds.n1, visitIds.n2, visitIds.s1]) expect(html).toContain(`href="/visits/${id}"`);
    expectNoAuditorIdentity(html);
  });

  test('one visit is marked too few; an empty quarter says what to do; another bank and unknown members get 404', async () => {
    const e2 = unmarked((await hrWeb.get(`/hr/scorecards/E2?quarter=${Q}`)).text);
    expect(e2).toContain('Only 1 visit(s): too few to judge this person on their own');
    const empty = unmarked((await hrWeb.get('/hr/scorecards/E2?quarter=2025-Q1')).text);
    expect(empty).toContain('No approved visit in 2025-Q1 identified this staff member');
    expect((await otherWeb.get(`/hr/scorecards/E1?quarter=${Q}`)).status).toBe(404);
    expect((await hrWeb.get(`/hr/scorecards/NOPE?quarter=${Q}`)).status).toBe(404);
    const other404 = await otherWeb.get(`/hr/scorecards/E1?quarter=${Q}&bankId=${f.bankId}`);
    expect(other404.status).toBe(404);
    expectNoAuditorIdentity(other404.text);
  });
});

describe('the exports list the visits too', () => {
  const binary = (r: request.Request) =>
    r.buffer(true).parse((res, cb) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => cb(null, Buffer.concat(parts)));
    });

  test('CSV (API): a visits column per scorecard (zone named, pseudonym only)', async () => {
    const res = await binary(
      request(app).get('/api/v1/staff/scorecards.csv').query({ quarter: Q }).set(bearer(hr.token)),
    );
    expect(res.status).toBe(200);
    const text = (res.body as Buffer).toString('utf8');
    expectNoAuditorIdentity(text);
    const rows = parse(res.body as Buffer, { bom: true, columns: true }) as Record<string, string>[];
    const e1 = rows.find((r) => r.employeeId === 'E1')?.visits.split('; ') ?? [];
    expect(e1).toHaveLength(3);
    for (const line of e1)
      expect(line).toMatch(new RegExp(`^2026-05-10 12:00 Asia/Shanghai · S[12] · \\d+\\.\\d · ${auditor.code}$`));
    expect(rows.find((r) => r.employeeId === 'E2')?.visits.split('; ')).toHaveLength(1);
  });

  test("CSV (the page's download): the same visits under a header in the page's language", async () => {
    const res = await binary(hrWeb.get(`/hr/scorecards.csv?quarter=${Q}`));
    expect(res.status).toBe(200);
    expectNoAuditorIdentity((res.body as Buffer).toString('utf8'));
    const rows = parse(res.body as Buffer, { bom: true, columns: true }) as Record<string, string>[];
    // Signed in in English: the column is named in words, not by its machine name.
    expect(Object.keys(rows[0] ?? {})).toContain('Visits the score rests on');
    expect(Object.keys(rows[0] ?? {})).not.toContain('visits');
    const e1 = Object.values(rows.find((r) => Object.values(r).includes('E1')) ?? {});
    expect(e1.some((cell) => cell.split('; ').length === 3 && cell.includes(auditor.code))).toBe(true);
  });

  test('XLSX (API): a second sheet with one row per staff member and visit', async () => {
    const res = await binary(
      request(app).get('/api/v1/staff/scorecards.xlsx').query({ quarter: Q }).set(bearer(northHr.token)),
    );
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet(`Visits ${Q}`);
    expect(sheet).toBeDefined();
    const rows = [];
    for (let r = 1; r <= (sheet?.rowCount ?? 0); r++) rows.push((sheet?.getRow(r).values as unknown[]).slice(1));
    expect(rows[0]).toEqual([
      'employeeId',
      'name',
      'visitedAt',
      'timezone',
      'branchCode',
      'branchName',
      'total',
      'auditor',
      'disputed',
    ]);
    // The region's HR: E1's two visits at S1 only.
    expect(rows.slice(1)).toHaveLength(2);
    for (const row of rows.slice(1))
      expect(row.slice(0, 6)).toEqual(['E1', '李娜', '2026-05-10 12:00', 'Asia/Shanghai', 'S1', '北城支行']);
    expect(rows.slice(1).map((r) => r[7])).toEqual([auditor.code, auditor.code]);
    expectNoAuditorIdentity(JSON.stringify(rows));
  });
});
