import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { CalibrationRound } from '../server/calibration/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD } from './helpers/foundation';
import { csrfOf, postForm, signIn, unmarked, type Agent } from './helpers/web';
import { pngImage } from './helpers/visit-pages';
import { makeAuditor, makeResultsBank, type BankFixture } from './helpers/results-fixtures';

/**
 * SPEC §12 / issue 18: the admin creates a calibration round on a web form (questionnaire version,
 * case, auditors, due date) that calls the same service as POST /api/v1/calibrations; every refusal
 * is named under its field in the page's language and nothing is stored.
 */

let app: Express;
let f: BankFixture;
let adminToken: string;
let adminZh: Agent;
let adminEn: Agent;
const auditors: { id: string; token: string }[] = [];

beforeAll(async () => {
  app = await startTestApp();
  adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
  const fx = { app, adminToken };
  f = await makeResultsBank('CNR', [{ code: 'C1', region: 'R' }], [], await makeAuditor('cnr-seed@test.local'));
  for (let i = 0; i < 3; i++)
    auditors.push(await makeUser(fx, { email: `cnr${i}@test.local`, role: 'auditor', name: `校准员${i}` }));
  await makeUser(fx, { email: 'cnr-rev@test.local', role: 'reviewer' });
  adminZh = await signIn(app, ADMIN.email, ADMIN.password, 'zh');
  adminEn = await signIn(app, ADMIN.email, ADMIN.password, 'en');
});
afterAll(stopTestApp);

const future = () => DateTime.now().setZone('Asia/Shanghai').plus({ days: 20 }).toFormat('yyyy-MM-dd');
const fieldsOf = (extra: Record<string, string> = {}): Record<string, string> => ({
  questionnaire: `${f.questionnaireId}:1`,
  title: '开户校准',
  caseText: '客户携带身份证到柜台开立借记卡，柜员未询问开户用途。',
  ...Object.fromEntries(auditors.map((a) => [`auditor.${a.id}`, '1'])),
  dueDate: future(),
  ...extra,
});

test('the form offers every questionnaire version and the active auditors; only admins reach it', async () => {
  const list = await adminEn.get('/calibration');
  expect(list.text).toContain('href="/calibration/new"');
  const res = await adminEn.get('/calibration/new');
  expect(res.status).toBe(200);
  const html = unmarked(res.text);
  expect(html).toContain(`value="${f.questionnaireId}:2"`);
  expect(html).toContain(`value="${f.questionnaireId}:1"`);
  expect(html).toContain('CNR · 标准问卷 · v2');
  for (const a of auditors) expect(html).toContain(`name="auditor.${a.id}"`);
  const reviewer = await signIn(app, 'cnr-rev@test.local', PASSWORD, 'en');
  expect((await reviewer.get('/calibration/new')).status).toBe(403);
  expect((await reviewer.get('/calibration')).text).not.toContain('href="/calibration/new"');
  const auditor = await signIn(app, 'cnr0@test.local', PASSWORD, 'en');
  expect((await auditor.get('/calibration/new')).status).toBe(403);
});

test('refusals are named under their fields in the page language, and nothing is stored', async () => {
  const before = await CalibrationRound.countDocuments({});
  const empty = await postForm(adminZh, '/calibration/new', '/calibration/new', {
    questionnaire: '',
    title: '',
    caseText: '',
    dueDate: '',
  });
  expect(empty.status).toBe(422);
  const zh = unmarked(empty.text);
  for (const text of ['请选择问卷版本。', '请填写轮次标题', '请填写供暗访员评分的案例', '请至少选择 3 名在职暗访员。'])
    expect(zh).toContain(text);
  expect(zh).toContain('请修改标出的字段。');

  const { [`auditor.${auditors[2].id}`]: _dropped, ...two } = fieldsOf();
  const en = unmarked((await postForm(adminEn, '/calibration/new', '/calibration/new', two)).text);
  expect(en).toContain('Choose at least 3 active auditors.');
  const past = await postForm(adminEn, '/calibration/new', '/calibration/new', fieldsOf({ dueDate: '2020-01-01' }));
  expect(past.status).toBe(422);
  expect(unmarked(past.text)).toContain('Choose a date that has not passed yet.');
  // What was typed stays on the form.
  expect(en).toContain('客户携带身份证到柜台开立借记卡');
  expect(en).toContain(`name="auditor.${auditors[0].id}" value="1" checked`);

  const noVersion = await postForm(
    adminEn,
    '/calibration/new',
    '/calibration/new',
    fieldsOf({ questionnaire: `${f.questionnaireId}:9` }),
  );
  expect(noVersion.status).toBe(422);
  expect(unmarked(noVersion.text)).toContain('Choose a questionnaire version.');
  expect(await CalibrationRound.countDocuments({})).toBe(before);
});

test('a valid form creates the round through the service: due at the end of that day in the bank zone', async () => {
  const day = future();
  const res = await postForm(adminEn, '/calibration/new', '/calibration/new', fieldsOf({ dueDate: day }));
  expect(res.status).toBe(303);
  const id = /\/calibration\/([a-f0-9]{24})$/.exec(res.headers.location as string)?.[1] ?? '';
  const round = await request(app).get(`/api/v1/calibrations/${id}`).set(bearer(adminToken));
  expect(round.status).toBe(200);
  expect(round.body).toMatchObject({
    questionnaireId: f.questionnaireId,
    version: 1,
    bankId: f.bankId,
    title: '开户校准',
    dueAt: DateTime.fromISO(`${day}T23:59`, { zone: 'Asia/Shanghai' }).toUTC().toISO(),
  });
  expect(round.body.auditors.map((a: { auditorId: string }) => a.auditorId).sort()).toEqual(
    auditors.map((a) => a.id).sort(),
  );
  const auditor = await signIn(app, 'cnr1@test.local', PASSWORD, 'en');
  expect(unmarked((await auditor.get('/calibration')).text)).toContain(
    `Answers expected by ${day} 23:59 (Asia/Shanghai)`,
  );
  expect(unmarked((await auditor.get(`/calibration/${id}`)).text)).toContain(`${day} 23:59`);
});

test('the API takes the same due date and refuses a past one by field', async () => {
  const body = {
    questionnaireId: f.questionnaireId,
    version: 1,
    title: 'API',
    caseText: '案例',
    auditorIds: auditors.map((a) => a.id),
  };
  const past = await request(app)
    .post('/api/v1/calibrations')
    .set(bearer(adminToken))
    .send({ ...body, dueAt: '2021-03-01T18:00:00+08:00' });
  expect(past.status).toBe(422);
  expect(past.body.error.details).toEqual([{ field: 'dueAt', message: 'must be in the future' }]);
  const none = await request(app).post('/api/v1/calibrations').set(bearer(adminToken)).send(body);
  expect(none.status).toBe(201);
  expect(
    (await request(app).get(`/api/v1/calibrations/${none.body.id}`).set(bearer(adminToken))).body.dueAt,
  ).toBeNull();
});

test("the admin attaches the case's evidence on the round page (checked by content); others cannot", async () => {
  const res = await postForm(adminEn, '/calibration/new', '/calibration/new', fieldsOf({ title: '证据上传' }));
  const id = /\/calibration\/([a-f0-9]{24})$/.exec(res.headers.location as string)?.[1] ?? '';
  const page = unmarked((await adminEn.get(`/calibration/${id}`)).text);
  expect(page).toContain('id="case-upload"');
  const token = await csrfOf(adminEn, `/calibration/${id}`);
  const up = await adminEn
    .post(`/calibration/${id}/attachments?_csrf=${token}`)
    .attach('file', pngImage(64, 48, 3), '柜台照片.png');
  expect(up.status).toBe(303);
  const round = await request(app).get(`/api/v1/calibrations/${id}`).set(bearer(adminToken));
  expect(round.body.attachments).toEqual([
    expect.objectContaining({ filename: '柜台照片.png', contentType: 'image/png' }),
  ]);
  const fake = await adminEn
    .post(`/calibration/${id}/attachments?_csrf=${token}`)
    .attach('file', Buffer.from('not a photo at all'), 'photo.png');
  expect(fake.status).toBe(303);
  expect(unmarked((await adminEn.get(`/calibration/${id}`)).text)).toContain('The file was not attached (415)');
  expect((await request(app).get(`/api/v1/calibrations/${id}`).set(bearer(adminToken))).body.attachments).toHaveLength(
    1,
  );
  const auditor = await signIn(app, 'cnr0@test.local', PASSWORD, 'en');
  expect(unmarked((await auditor.get(`/calibration/${id}`)).text)).not.toContain('id="case-upload"');
  const auditorToken = await csrfOf(auditor, `/calibration/${id}`);
  const refused = await auditor
    .post(`/calibration/${id}/attachments?_csrf=${auditorToken}`)
    .attach('file', pngImage(64, 48, 4), 'a.png');
  expect(refused.status).toBe(403);
});
