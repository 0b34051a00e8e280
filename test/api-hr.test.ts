import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { Express } from 'express';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import {
  ANSWERS,
  api,
  approvedVisit,
  dispute,
  feedbackWorld,
  resolve,
  SETUP_TIMEOUT_MS,
  type FeedbackWorld,
} from './helpers/feedback';
import type { Actor } from './helpers/visits';

let app: Express;
let f: FeedbackWorld;
let northHr: Actor;
let v1: string;
let v2: string;

const Q = '2026-Q4'; // visits made "now"
const PREV = '2026-Q3';
const withAnswers = (changes: Record<string, string | number>) =>
  ANSWERS.map((a) => (a.itemKey in changes ? { ...a, value: changes[a.itemKey] } : a));

/**
 * Staff scores by hand (visit totals from helpers/feedback.ts; section weights 25/25/30/20):
 *   V1 N1 [E1]     ANSWERS                     greeting 91.666…, product 50, compliance 50,  follow-up 100, total 70.41666…
 *   V2 N1 [E1, E2] c2 yes                      compliance 100, total (2291.666… + 1250 + 3000 + 2000)/100 = 85.41666…
 *   V3 S1 [E3]     g2 2                        greeting 100·(2 + 0.25)/3 = 75, total (1875 + 1250 + 1500 + 2000)/100 = 66.25
 *   V4 N1 [E1]     submitted only              not counted
 *   V0 N1 [E1]     2026-Q3, c1 no (critical)   compliance 0, total 5541.666…/100 = 55.41666…
 * E1 in 2026-Q4: n 2, compliance (50 + 100)/2 = 75, total (70.41666… + 85.41666…)/2 = 77.91666…, previous 55.41666…, change +22.5
 * E2: n 1, total 85.41666…; E3: n 1, total 66.25. V2 has an open dispute → E1 and E2 disputed 1, E3 0.
 */
beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'HR');
  northHr = await f.w.user('north-hr@hr.test', 'hr', { bankId: f.bankId, scope: { type: 'region', region: 'North' } });
  await approvedVisit(f, {
    branchCode: 'N1',
    staff: ['E1'],
    visitedAt: '2026-08-15T10:00:00+08:00',
    answers: withAnswers({ c1: 'no' }),
  });
  v1 = (await approvedVisit(f, { branchCode: 'N1', staff: ['E1'] })).id;
  v2 = (await approvedVisit(f, { branchCode: 'N1', staff: ['E1', 'E2'], answers: withAnswers({ c2: 'yes' }) })).id;
  await approvedVisit(f, { branchCode: 'S1', staff: ['E3'], answers: withAnswers({ g2: 2 }) });
  await approvedVisit(f, { branchCode: 'N1', staff: ['E1'], submitOnly: true });
  await approvedVisit(f, { bank: 'other', staff: ['Z9'] });
  expect((await dispute(f, f.manager, v2, 'g1')).status).toBe(201);
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const cards = (who: Actor | null, q = `?bankId=${f.bankId}&quarter=${Q}`) => api(f).get(who, `/staff/scorecards${q}`);
const byId = (rows: { employeeId: string }[]) =>
  Object.fromEntries(rows.map((r) => [r.employeeId, r])) as Record<string, any>;
const binary = (r: request.Request) =>
  r.buffer(true).parse((res, cb) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => cb(null, Buffer.concat(parts)));
  });

describe('GET /api/v1/staff/scorecards', () => {
  test('per staff member: n, sections, total from approved visits only, with trend and dispute state', async () => {
    const res = await cards(f.hr);
    expect(res.status).toBe(200);
    const rows = byId(res.body);
    expect(Object.keys(rows).sort()).toEqual(['E1', 'E2', 'E3']);
    const e1 = rows.E1;
    expect(e1).toMatchObject({ employeeId: 'E1', name: '员工 E1', branchCode: 'N1', n: 2, disputed: 1 });
    expect(e1.sections.greeting).toBeCloseTo(91.666666667, 8);
    expect(e1.sections.product_knowledge).toBe(50);
    expect(e1.sections.sales_compliance).toBe(75);
    expect(e1.sections.follow_up).toBe(100);
    expect(e1.total).toBeCloseTo(77.916666667, 8);
    expect(e1.previous.total).toBeCloseTo(55.416666667, 8);
    expect(e1.change).toBeCloseTo(22.5, 8);
    // SPEC §11: sd of 70.41666… and 85.41666… = 15/√2; interval 77.91666… ± 12.7062047 · 7.5
    expect(e1.sd).toBeCloseTo(15 / Math.SQRT2, 9);
    expect(e1.ci95[0]).toBeCloseTo(77.916666667 - 12.7062047362 * 7.5, 6);
    expect(e1.ci95[1]).toBeCloseTo(77.916666667 + 12.7062047362 * 7.5, 6);
    expect(e1).toMatchObject({ smallSample: true, changeTest: { p: null, significant: null } });
    expect(rows.E2).toMatchObject({ n: 1, disputed: 1, previous: null, change: null });
    expect(rows.E2).toMatchObject({ sd: null, ci95: null, smallSample: true, changeTest: null });
    expect(rows.E2.total).toBeCloseTo(85.416666667, 8);
    expect(rows.E3).toMatchObject({ branchCode: 'S1', n: 1, total: 66.25, disputed: 0 });
    expect(rows.E3.sections.greeting).toBe(75);
    // HR may leave bankId out (their own bank).
    expect(byId((await cards(f.hr, `?quarter=${Q}`)).body).E1.n).toBe(2);
  });

  test('HR sees its own bank and scope only; admin names a bank; everyone else 403', async () => {
    expect((await cards(f.hr, `?bankId=${f.otherBankId}&quarter=${Q}`)).status).toBe(404);
    expect((await cards(f.otherHr)).status).toBe(404);
    expect(Object.keys(byId((await cards(northHr)).body)).sort()).toEqual(['E1', 'E2']);
    expect(Object.keys(byId((await cards(f.admin)).body)).sort()).toEqual(['E1', 'E2', 'E3']);
    expect(Object.keys(byId((await cards(f.otherHr, `?quarter=${Q}`)).body))).toEqual(['Z9']);
    expect((await cards(f.admin, `?quarter=${Q}`)).status).toBe(400);
    for (const who of [f.auditor, f.reviewer, f.manager]) {
      expect((await cards(who)).status).toBe(403);
      expect((await api(f).get(who, `/staff/scorecards.csv?bankId=${f.bankId}&quarter=${Q}`)).status).toBe(403);
      expect((await api(f).get(who, `/staff/scorecards.xlsx?bankId=${f.bankId}&quarter=${Q}`)).status).toBe(403);
    }
    expect((await cards(null)).status).toBe(401);
    expect((await cards(f.hr, '?quarter=2026-5')).status).toBe(400);
  });

  test('CSV (Accept: text/csv and .csv): UTF-8 with BOM, parsed back', async () => {
    const viaAccept = await binary(
      request(app)
        .get(`/api/v1/staff/scorecards?bankId=${f.bankId}&quarter=${Q}`)
        .set(bearer(f.hr.token))
        .set('Accept', 'text/csv'),
    );
    const viaPath = await binary(
      request(app).get(`/api/v1/staff/scorecards.csv?bankId=${f.bankId}&quarter=${Q}`).set(bearer(f.hr.token)),
    );
    for (const res of [viaAccept, viaPath]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toContain(`scorecards-HR1-${Q}.csv`);
    }
    const raw = viaPath.body as Buffer;
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect((viaAccept.body as Buffer).equals(raw)).toBe(true);
    const rows = parse(raw, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.employeeId).sort()).toEqual(['E1', 'E2', 'E3']);
    const e1 = rows.find((r) => r.employeeId === 'E1');
    // 77.91666… → 77.9; 55.41666… → 55.4; 91.666… → 91.7 (one decimal, half away from zero)
    expect(e1).toEqual({
      quarter: Q,
      employeeId: 'E1',
      name: '员工 E1',
      branchCode: 'N1',
      n: '2',
      greeting: '91.7',
      product_knowledge: '50',
      sales_compliance: '75',
      follow_up: '100',
      total: '77.9',
      previousTotal: '55.4',
      change: '22.5',
      disputed: '1',
      // SPEC §11: totals 70.41666… and 85.41666…: sd 15/√2, half-width t(0.975, 1) · 7.5 = 12.7062 · 7.5 = 95.2965
      ci95Low: '-17.4',
      ci95High: '173.2',
      smallSample: 'yes',
      // the previous quarter had one visit: too little data for a test
      changeP: '',
      changeSignificant: '',
      // the two visits the score rests on (V1, V2): when in the bank's zone, where, total, the auditor's pseudonym
      visits: expect.stringMatching(
        /^\d{4}-\d\d-\d\d \d\d:\d\d Asia\/Shanghai · N1 · 70\.4 · A-\w+; \d{4}-\d\d-\d\d \d\d:\d\d Asia\/Shanghai · N1 · 85\.4 · A-\w+$/,
      ),
    });
    // 66.25 → 66.3 (half away from zero); no previous quarter → empty cells
    expect(rows.find((r) => r.employeeId === 'E3')).toMatchObject({
      total: '66.3',
      greeting: '75',
      previousTotal: '',
      change: '',
      disputed: '0',
    });
  });

  test('XLSX parsed back with exceljs', async () => {
    const res = await binary(
      request(app).get(`/api/v1/staff/scorecards.xlsx?bankId=${f.bankId}&quarter=${Q}`).set(bearer(f.hr.token)),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.body as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0];
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(header).toEqual([
      'quarter',
      'employeeId',
      'name',
      'branchCode',
      'n',
      'greeting',
      'product_knowledge',
      'sales_compliance',
      'follow_up',
      'total',
      'previousTotal',
      'change',
      'disputed',
      'ci95Low',
      'ci95High',
      'smallSample',
      'changeP',
      'changeSignificant',
      'visits',
    ]);
    const rows: Record<string, unknown>[] = [];
    for (let r = 2; r <= sheet.rowCount; r++) {
      const values = (sheet.getRow(r).values as unknown[]).slice(1);
      rows.push(Object.fromEntries(header.map((h, i) => [h as string, values[i] ?? null])));
    }
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.employeeId === 'E1')).toEqual({
      quarter: Q,
      employeeId: 'E1',
      name: '员工 E1',
      branchCode: 'N1',
      n: 2,
      greeting: 91.7,
      product_knowledge: 50,
      sales_compliance: 75,
      follow_up: 100,
      total: 77.9,
      previousTotal: 55.4,
      change: 22.5,
      disputed: 1,
      ci95Low: -17.4,
      ci95High: 173.2,
      smallSample: 'yes',
      changeP: null,
      changeSignificant: null,
      visits: expect.stringContaining('Asia/Shanghai · N1 · 85.4 · '),
    });
    expect(sheet.getColumn(10).numFmt).toBe('0.0');
  });
});

describe('review links', () => {
  const link = (who: Actor, employeeId: string, body: Record<string, unknown>) =>
    api(f).post(who, `/staff/${employeeId}/reviews`, body);
  const body = (extra: Record<string, unknown> = {}) => ({
    bankId: f.bankId,
    quarter: Q,
    reviewRef: 'HR-2026-Q4-0001',
    note: '季度绩效面谈',
    ...extra,
  });

  test('403 for every role but hr; 404 for another bank, an unknown or invisible staff member; 422 with nothing to link', async () => {
    for (const who of [f.admin, f.manager, f.auditor, f.reviewer])
      expect((await link(who, 'E1', body())).status).toBe(403);
    expect((await link(f.otherHr, 'E1', body())).status).toBe(404);
    expect((await link(f.hr, 'Z9', body())).status).toBe(404); // another bank's staff
    expect((await link(f.hr, 'NOBODY', body())).status).toBe(404);
    expect((await link(northHr, 'E3', body())).status).toBe(404); // S1 is outside the North scope
    const none = await link(f.hr, 'E2', body({ quarter: PREV }));
    expect(none.status).toBe(422);
    expect(none.body.error.code).toBe('no_scorecard');
    const missing = await link(f.hr, 'E1', { bankId: f.bankId, quarter: Q });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: { field: string }) => d.field)).toEqual(['reviewRef']);
  });

  test('the snapshot is stored and never changes, even after a later overturned dispute changes the scorecard', async () => {
    const res = await link(f.hr, 'E1', body());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      employeeId: 'E1',
      quarter: Q,
      reviewRef: 'HR-2026-Q4-0001',
      note: '季度绩效面谈',
      name: '员工 E1',
    });
    const snap = res.body.snapshot;
    expect(snap).toMatchObject({ n: 2, disputed: 1 });
    expect(snap.total).toBeCloseTo(77.916666667, 8);
    expect(snap.sections.sales_compliance).toBe(75);
    expect(snap.previousTotal).toBeCloseTo(55.416666667, 8);
    // SPEC §11 as linked: two visits (70.41666…, 85.41666…), sd 15/√2, half-width t(0.975, 1) · 15/√2/√2 = 12.7062 · 7.5
    expect(snap.smallSample).toBe(true);
    expect(snap.ci95[0]).toBeCloseTo(77.916666667 - 12.706204736 * 7.5, 6);
    expect(snap.ci95[1]).toBeCloseTo(77.916666667 + 12.706204736 * 7.5, 6);

    // The same review linked twice to the same scorecard is refused.
    const again = await link(f.hr, 'E1', body());
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('review_already_linked');

    // A later dispute overturns V1's c2 (no → yes): V1 total 70.41666… → 85.41666…
    const d = (await dispute(f, f.manager, v1, 'c2')).body;
    expect((await resolve(f, f.reviewer, d.id, { decision: 'overturned', value: 'yes', note: '改判' })).status).toBe(
      200,
    );
    // E1's scorecard now: compliance (100 + 100)/2 = 100, total (85.41666… + 85.41666…)/2 = 85.41666…
    const e1 = byId((await cards(f.hr)).body).E1;
    expect(e1.sections.sales_compliance).toBe(100);
    expect(e1.total).toBeCloseTo(85.416666667, 8);

    const links = await api(f).get(f.hr, `/staff/E1/reviews?bankId=${f.bankId}`);
    expect(links.status).toBe(200);
    expect(links.body).toHaveLength(1);
    expect(links.body[0].id).toBe(res.body.id);
    expect(links.body[0].snapshot).toEqual(snap);
  });

  test('GET review links: hr of the bank and admin; others 403 or 404', async () => {
    expect((await api(f).get(f.hr, '/staff/E1/reviews')).body).toHaveLength(1);
    expect((await api(f).get(f.admin, `/staff/E1/reviews?bankId=${f.bankId}`)).body).toHaveLength(1);
    expect((await api(f).get(f.otherHr, `/staff/E1/reviews?bankId=${f.bankId}`)).status).toBe(404);
    expect((await api(f).get(f.otherHr, '/staff/E1/reviews')).status).toBe(404);
    for (const who of [f.auditor, f.manager, f.reviewer])
      expect((await api(f).get(who, `/staff/E1/reviews?bankId=${f.bankId}`)).status).toBe(403);
    expect((await api(f).get(f.hr, `/staff/E1/reviews?quarter=${PREV}`)).body).toEqual([]);
  });

  test('the dispute state follows the disputes: resolving V2 clears it', async () => {
    const open = (await api(f).get(f.reviewer, `/disputes?visitId=${v2}&status=open`)).body;
    expect(open).toHaveLength(1);
    await resolve(f, f.reviewer, open[0].id, { decision: 'upheld', note: '维持' });
    const rows = byId((await cards(f.hr)).body);
    expect(rows.E1.disputed).toBe(0);
    expect(rows.E2.disputed).toBe(0);
  });
});
