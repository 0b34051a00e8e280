import type { Express } from 'express';
import { alpha as referenceAlpha } from 'krippendorff';
import request from 'supertest';
import { leniencyOf } from '../server/rules/calibration';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD } from './helpers/foundation';
import { postForm, signIn } from './helpers/web';
import { addVisit, ALL_GOOD, makeAuditor, makeResultsBank, Q, type BankFixture } from './helpers/results-fixtures';

/**
 * SPEC §12 through the API: a round for four auditors, answered once each (never a visit), a
 * reviewer's reference, the round's figures recomputed here with the `krippendorff` package; field
 * leniency on seeded harsh, lenient and fair auditors, recomputed from the raw visits.
 */

let app: Express;
let admin: string;
let f: BankFixture;
const auditors: { id: string; token: string }[] = [];
let outsider: { id: string; token: string };
let reviewer: string;
let manager: string;

const api = (token: string) => ({
  get: (path: string, query: Record<string, string> = {}) =>
    request(app).get(`/api/v1${path}`).query(query).set(bearer(token)),
  post: (path: string, body: object) => request(app).post(`/api/v1${path}`).set(bearer(token)).send(body),
  put: (path: string, body: object) => request(app).put(`/api/v1${path}`).set(bearer(token)).send(body),
});

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  const fx = { app, adminToken: admin };
  f = await makeResultsBank('CAL', [{ code: 'C1', region: 'R' }], [], await makeAuditor('cal-seed@test.local'));
  for (let i = 0; i < 4; i++) auditors.push(await makeUser(fx, { email: `cal${i}@test.local`, role: 'auditor' }));
  outsider = await makeUser(fx, { email: 'cal-out@test.local', role: 'auditor' });
  reviewer = (await makeUser(fx, { email: 'cal-rev@test.local', role: 'reviewer' })).token;
  manager = (
    await makeUser(fx, { email: 'cal-mgr@test.local', role: 'bank_manager', bankId: f.bankId, scope: { type: 'bank' } })
  ).token;
});
afterAll(stopTestApp);

const round = (ids = auditors.map((a) => a.id)) => ({
  questionnaireId: f.questionnaireId,
  version: 1,
  title: '理财咨询校准 2026-Q2',
  caseText: '客户到网点咨询一款 R3 理财产品；录音与照片见附件。',
  auditorIds: ids,
});
type Sheet = Record<string, 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5>;
const answersOf = (sheet: Sheet) => ({
  answers: Object.entries(sheet).map(([itemKey, value]) => ({ itemKey, value })),
});
// Four sheets that mostly agree; auditor 3 is harsh on the scale items, auditor 1 leaves out s2 (na).
const SHEETS: Sheet[] = [
  { ...ALL_GOOD, g2: 4, p2: 4 },
  { ...ALL_GOOD, g2: 4, p2: 5, s2: 'na' },
  { ...ALL_GOOD, g2: 5, p2: 4, f1: 'no' },
  { ...ALL_GOOD, g2: 2, p2: 2, g3: 'no' },
];
// Scores of SECTIONS_V1's items: yes/no 1/0, scale (v − 1)/4, na left out.
const score = (v: Sheet[string]) => (v === 'na' ? undefined : v === 'yes' ? 1 : v === 'no' ? 0 : (v - 1) / 4);
const ITEMS = ['g1', 'g2', 'g3', 'p1', 'p2', 's1', 's2', 'f1'];

describe('calibration rounds', () => {
  let id: string;

  test('an admin creates a round for at least three active auditors; anything else is refused by field', async () => {
    const res = await api(admin).post('/calibrations', round());
    expect(res.status).toBe(201);
    id = res.body.id;
    const two = await api(admin).post('/calibrations', round(auditors.slice(0, 2).map((a) => a.id)));
    expect(two.status).toBe(422);
    expect(JSON.stringify(two.body.error.details)).toContain('auditorIds');
    const notAuditor = await api(admin).post(
      '/calibrations',
      round([...auditors.slice(0, 2).map((a) => a.id), f.bankId]),
    );
    expect(notAuditor.status).toBe(422);
    expect(notAuditor.body.error.details).toEqual([{ field: 'auditorIds.2', message: 'not an active auditor' }]);
    const noVersion = await api(admin).post('/calibrations', { ...round(), version: 9 });
    expect(noVersion.status).toBe(422);
    expect((await api(reviewer).post('/calibrations', round())).status).toBe(403);
    expect((await api(auditors[0].token).post('/calibrations', round())).status).toBe(403);
  });

  test('invited auditors see the case, others 404; bank users never reach it', async () => {
    const seen = await api(auditors[0].token).get(`/calibrations/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ title: '理财咨询校准 2026-Q2', answered: false });
    expect(seen.body.auditors).toBeUndefined();
    expect((await api(outsider.token).get(`/calibrations/${id}`)).status).toBe(404);
    expect((await api(outsider.token).get('/calibrations')).body).toEqual([]);
    expect((await api(manager).get(`/calibrations/${id}`)).status).toBe(403);
    expect((await api(manager).get(`/calibrations/${id}/results`)).status).toBe(403);
  });

  test('each auditor answers once, checked like a visit, and no visit is created', async () => {
    const visitsBefore = await Visit.countDocuments({});
    const missing = await api(auditors[0].token).post(`/calibrations/${id}/answers`, answersOf({ g1: 'yes' }));
    expect(missing.status).toBe(422);
    expect(JSON.stringify(missing.body.error.details)).toContain('"g2\\" is required');
    const bad = await api(auditors[0].token).post(`/calibrations/${id}/answers`, answersOf({ ...SHEETS[0], g1: 'na' }));
    expect(bad.status).toBe(422);
    for (let i = 0; i < 4; i++)
      expect((await api(auditors[i].token).post(`/calibrations/${id}/answers`, answersOf(SHEETS[i]))).status).toBe(201);
    const again = await api(auditors[0].token).post(`/calibrations/${id}/answers`, answersOf(SHEETS[0]));
    expect(again.status).toBe(409);
    expect((await api(outsider.token).post(`/calibrations/${id}/answers`, answersOf(SHEETS[0]))).status).toBe(404);
    expect(await Visit.countDocuments({})).toBe(visitsBefore);
    expect((await api(auditors[0].token).get(`/calibrations/${id}`)).body.answered).toBe(true);
  });

  test('a reviewer sets the reference; the results equal a recomputation with the krippendorff package', async () => {
    expect((await api(admin).put(`/calibrations/${id}/reference`, answersOf(SHEETS[0]))).status).toBe(403);
    const ref = await api(reviewer).put(`/calibrations/${id}/reference`, answersOf(SHEETS[0]));
    expect(ref.status).toBe(200);
    const res = await api(reviewer).get(`/calibrations/${id}/results`);
    expect(res.status).toBe(200);
    const matrix = SHEETS.map((s) => ITEMS.map((k) => score(s[k])));
    expect(res.body.alpha).toBeCloseTo(
      referenceAlpha(matrix, (a, b) => (a - b) ** 2),
      10,
    );
    expect(res.body).toMatchObject({ answered: 4, invited: 4 });
    const item = (k: string) => res.body.items.find((i: { itemKey: string }) => i.itemKey === k);
    // g2: 4, 4, 5, 2 → "4" twice of four; g1: yes everywhere.
    expect(item('g2').agreement).toBe(0.5);
    expect(item('g1').agreement).toBe(1);
    const who = (i: number) => res.body.auditors.find((a: { auditorId: string }) => a.auditorId === auditors[i].id);
    // Bias by hand for auditor 3 (harsh): g2 0.25 − mean(0.75, 0.75, 1) = −0.5833…; p2 0.25 − mean(0.75, 1, 0.75)
    // = −0.5833…; g3 0 − 1 = −1; f1 1 − mean(1, 1, 0) = 0.3333…; the other 4 items 0 → −1.8333… / 8.
    expect(who(3).bias).toBeCloseTo(-(7 / 12 + 7 / 12 + 1 - 1 / 3) / 8, 10);
    // Reference = sheet 0: auditor 0 agrees on all 8 items, auditor 3 on 5 (g2, p2, g3 differ).
    expect(who(0).referenceAgreement).toBe(1);
    expect(who(3).referenceAgreement).toBe(5 / 8);
    expect(who(3).auditorCode).toMatch(/\S/);
  });
});

describe('field leniency', () => {
  test('a seeded harsh and a seeded lenient auditor are flagged, a fair one is not', async () => {
    const fair = await makeAuditor('fair@test.local');
    const fair2 = await makeAuditor('fair2@test.local');
    const harsh = await makeAuditor('harsh@test.local');
    const lenient = await makeAuditor('lenient@test.local');
    const g = await makeResultsBank(
      'LEN',
      Array.from({ length: 8 }, (_, i) => ({ code: `L${i}`, region: i < 4 ? 'East' : 'West' })),
      [],
      fair,
    );
    // Each branch: fair auditors around the branch's level; harsh answers "no" to half the items,
    // lenient answers everything "yes" at branches where the others found faults.
    const mid = { ...ALL_GOOD, g1: 'no', p1: 'no', f1: 'no' } as const;
    const low = { ...ALL_GOOD, g1: 'no', g3: 'no', p1: 'no', p2: 1, s2: 'no', f1: 'no' } as const;
    for (let i = 0; i < 8; i++) {
      const at = { branchCode: `L${i}`, region: i < 4 ? 'East' : 'West', quarter: Q };
      await addVisit({ ...g, auditorId: fair }, { ...at, answers: { ...mid } });
      await addVisit({ ...g, auditorId: fair2 }, { ...at, answers: { ...mid, g2: 4 } });
      if (i < 6) await addVisit({ ...g, auditorId: harsh }, { ...at, answers: { ...low } });
      if (i >= 2) await addVisit({ ...g, auditorId: lenient }, { ...at, answers: { ...ALL_GOOD } });
    }
    const res = await api(reviewer).get('/auditors/leniency', { quarter: Q });
    expect(res.status).toBe(200);
    const by = new Map(res.body.map((l: { auditorId: string }) => [l.auditorId, l]));
    expect(by.get(harsh)).toMatchObject({ flagged: true, visits: 6 });
    expect(by.get(lenient)).toMatchObject({ flagged: true, visits: 6 });
    expect(by.get(fair)).toMatchObject({ flagged: false, visits: 8 });
    expect(by.get(fair2)).toMatchObject({ flagged: false });
    // Independently, from the raw approved visits of the quarter (every bank).
    const raw = await Visit.find({ quarter: Q, status: { $in: ['approved', 'disputed'] } }).lean();
    const want = leniencyOf(
      raw.map((v) => ({
        auditorId: String(v.auditorId),
        branchCode: `${v.bankId}:${v.branchCode}`,
        total: v.scores?.total ?? null,
      })),
    );
    for (const w of want) {
      const got = by.get(w.auditorId) as { leniency: number | null; visits: number; flagged: boolean };
      expect({ id: w.auditorId, visits: got.visits, flagged: got.flagged }).toEqual({
        id: w.auditorId,
        visits: w.visits,
        flagged: w.flagged,
      });
      if (w.leniency === null) expect(got.leniency).toBeNull();
      else expect(got.leniency).toBeCloseTo(w.leniency, 9);
    }
    expect((await api(manager).get('/auditors/leniency', { quarter: Q })).status).toBe(403);
    expect((await api(auditors[0].token).get('/auditors/leniency', { quarter: Q })).status).toBe(403);
  });
});

describe('the case evidence', () => {
  test('an admin attaches a photo (checked by content); invited auditors download it, others cannot', async () => {
    const id = (await api(admin).post('/calibrations', { ...round(), title: '证据' })).body.id as string;
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from(
        '0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f3e8d80000000049454e44ae426082',
        'hex',
      ),
    ]);
    const up = await request(app)
      .post(`/api/v1/calibrations/${id}/attachments`)
      .set(bearer(admin))
      .attach('file', png, '录音截图.png');
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ contentType: 'image/png', size: png.length });
    const notImage = await request(app)
      .post(`/api/v1/calibrations/${id}/attachments`)
      .set(bearer(admin))
      .attach('file', Buffer.from('just text, named like a photo'), 'photo.png');
    expect(notImage.status).toBe(415);
    expect(
      (
        await request(app)
          .post(`/api/v1/calibrations/${id}/attachments`)
          .set(bearer(reviewer))
          .attach('file', png, 'a.png')
      ).status,
    ).toBe(403);
    const path = `/api/v1/calibrations/${id}/attachments/${up.body.id}`;
    const got = await request(app)
      .get(path)
      .set(bearer(auditors[1].token))
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(got.status).toBe(200);
    expect((got.body as Buffer).equals(png)).toBe(true);
    expect((await api(outsider.token).get(path)).status).toBe(404);
    expect((await api(auditors[1].token).get(`/calibrations/${id}`)).body.attachments).toEqual([
      expect.objectContaining({ id: up.body.id, contentType: 'image/png' }),
    ]);
    const web = await signIn(app, 'cal1@test.local', PASSWORD, 'en');
    expect((await web.get(`/calibration/${id}`)).text).toContain(`/calibration/${id}/attachments/${up.body.id}`);
    expect((await web.get(`/calibration/${id}/attachments/${up.body.id}`)).status).toBe(200);
  });
});

describe('calibration pages', () => {
  test('an auditor answers on the form (the answer controls of the visit form); the reviewer sees alpha and sets the reference', async () => {
    const ids = [...auditors.map((a) => a.id)];
    const id = (await api(admin).post('/calibrations', { ...round(ids), title: '网页校准' })).body.id as string;
    const web = await signIn(app, 'cal0@test.local', PASSWORD, 'en');
    const list = await web.get('/calibration');
    expect(list.text).toContain(`href="/calibration/${id}"`);
    expect(list.text).toContain('to answer');
    const form = await web.get(`/calibration/${id}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="a.g2" value="5"');
    expect(form.text).toContain('class="v-choice v-tone-yes"');
    expect(form.text).toContain('not visits');
    const fields = Object.fromEntries(Object.entries(SHEETS[0]).map(([k, v]) => [`a.${k}`, String(v)]));
    // One item left out: the form comes back with the message, nothing is stored.
    const { 'a.f1': _left, ...partial } = fields;
    const missing = await postForm(web, `/calibration/${id}`, `/calibration/${id}/answers`, partial);
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('f1');
    const sent = await postForm(
      web,
      `/calibration/${id}/answers`.replace('/answers', ''),
      `/calibration/${id}/answers`,
      fields,
    );
    expect(sent.status).toBe(303);
    expect((await web.get(`/calibration/${id}`)).text).toContain('Your answers are in');
    for (let i = 1; i < 3; i++) await api(auditors[i].token).post(`/calibrations/${id}/answers`, answersOf(SHEETS[i]));

    const rev = await signIn(app, 'cal-rev@test.local', PASSWORD, 'zh');
    const overview = await rev.get('/calibration');
    const want = (await api(reviewer).get(`/calibrations/${id}/results`)).body.alpha as number;
    expect(overview.text).toContain(want.toFixed(3));
    expect(overview.text).toContain('各暗访员实地评分宽严度');
    const saved = await postForm(rev, `/calibration/${id}`, `/calibration/${id}/reference`, fields);
    expect(saved.status).toBe(303);
    const page = await rev.get(`/calibration/${id}`);
    expect(page.text).toContain('与参考答案一致');
    expect(page.text).toContain('100.0%');
    // Bank users never reach calibration pages.
    const mgr = await signIn(app, 'cal-mgr@test.local', PASSWORD, 'en');
    expect((await mgr.get('/calibration')).status).toBe(403);
  });
});
