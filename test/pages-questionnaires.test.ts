import type { Express } from 'express';
import request from 'supertest';
import * as strings from '../server/i18n/questionnaires';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { createBank, createQuestionnaire, USER_PASSWORD, userWithToken } from './helpers/questionnaires';

let app: Express;
let adminToken: string;
let bankId: string;

beforeAll(async () => {
  app = await startTestApp();
  adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
  bankId = await createBank(app, adminToken, 'PQ');
  await userWithToken(app, adminToken, { email: 'rev@pq.test', role: 'reviewer' });
  await userWithToken(app, adminToken, { email: 'mgr@pq.test', role: 'bank_manager', bankId, scope: { type: 'bank' } });
});
afterAll(stopTestApp);

const csrfOf = (html: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1];
};

async function signIn(email: string, password: string) {
  const agent = request.agent(app);
  const login = await agent.get('/login');
  const res = await agent
    .post('/login')
    .type('form')
    .send({ email, password, _csrf: csrfOf(login.text), next: '/' });
  expect(res.status).toBe(303);
  await agent.get('/lang/en'); // the language is remembered in a cookie, so flashes are English too
  return agent;
}

/** A full editor form: one row per section filled, plus blank rows as the page offers them. */
function form(csrf: string, extra: Record<string, string> = {}): Record<string, string> {
  const f: Record<string, string> = {
    _csrf: csrf,
    bankId,
    name: '页面问卷',
    'w.greeting': '',
    'w.product_knowledge': '30',
    'w.sales_compliance': '',
    'w.follow_up': '',
  };
  const row = (section: string, n: number, key: string, type = 'yes_no', more: Record<string, string> = {}) => {
    Object.assign(f, {
      [`i.${section}.${n}.key`]: key,
      [`i.${section}.${n}.zh`]: key ? `中文 ${key}` : '',
      [`i.${section}.${n}.en`]: key ? `English ${key}` : '',
      [`i.${section}.${n}.type`]: type,
      [`i.${section}.${n}.weight`]: '',
      [`i.${section}.${n}.required`]: '1',
      ...more,
    });
  };
  row('greeting', 0, 'g1');
  row('greeting', 1, 'g2', 'scale', { 'i.greeting.1.weight': '2' });
  row('greeting', 2, '');
  row('product_knowledge', 0, 'p1');
  row('sales_compliance', 0, 'c1', 'yes_no', { 'i.sales_compliance.0.critical': '1' });
  row('sales_compliance', 1, 'c2', 'yes_no', { 'i.sales_compliance.1.na': '1' });
  row('follow_up', 0, 'f1');
  delete f['i.follow_up.0.required']; // unchecked box: not required
  return { ...f, ...extra };
}

const api = (path: string) => request(app).get(`/api/v1/questionnaires${path}`).set(bearer(adminToken));
const countAll = async (): Promise<number> => (await api('')).body.length as number;

describe('admin pages', () => {
  test('an admin creates a questionnaire through the form', async () => {
    const agent = await signIn(ADMIN.email, ADMIN.password);
    const newPage = await agent.get('/admin/questionnaires/new');
    expect(newPage.status).toBe(200);
    expect(newPage.text).toContain('name="i.sales_compliance.0.key"');

    const res = await agent
      .post('/admin/questionnaires')
      .type('form')
      .send(form(csrfOf(newPage.text)));
    expect(res.status).toBe(303);
    const id = /^\/admin\/questionnaires\/([a-f0-9]{24})$/.exec(res.headers.location)?.[1] as string;
    expect(id).toBeDefined();

    const q = (await api(`/${id}`)).body;
    expect(q).toMatchObject({ bankId, name: '页面问卷', version: 1 });
    expect(q.sections.map((s: { weight: number }) => s.weight)).toEqual([25, 30, 25, 25]);
    // the blank row is dropped; empty weight → 1; ticked boxes → true, unticked → false
    expect(q.sections[0].items).toEqual([
      {
        key: 'g1',
        text: { zh: '中文 g1', en: 'English g1' },
        type: 'yes_no',
        weight: 1,
        critical: false,
        allowNA: false,
        required: true,
        evidenceOnFail: false,
      },
      {
        key: 'g2',
        text: { zh: '中文 g2', en: 'English g2' },
        type: 'scale',
        weight: 2,
        critical: false,
        allowNA: false,
        required: true,
        evidenceOnFail: false,
      },
    ]);
    expect(q.sections[2].items.map((i: { critical: boolean; allowNA: boolean }) => [i.critical, i.allowNA])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(q.sections[3].items[0].required).toBe(false);

    const shown = await agent.get(res.headers.location);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain('Questionnaire created (version 1).');
    expect(shown.text).toContain('value="g2"');
    expect(shown.text).toContain('Save as version 2');

    const list = await agent.get('/admin/questionnaires');
    expect(list.status).toBe(200);
    expect(list.text).toContain(`/admin/questionnaires/${id}`);
    expect(list.text).toContain('页面问卷');
    expect(list.text).toContain('v1');
  });

  test('a broken form is shown again with the messages at their rows and the input kept; nothing is created', async () => {
    const agent = await signIn(ADMIN.email, ADMIN.password);
    const csrf = csrfOf((await agent.get('/admin/questionnaires/new')).text);
    const before = await countAll();
    const res = await agent
      .post('/admin/questionnaires')
      .type('form')
      .send(
        form(csrf, {
          'i.greeting.1.weight': '0',
          'i.follow_up.0.key': 'g1',
          'w.sales_compliance': 'abc',
        }),
      );
    expect(res.status).toBe(422);
    expect(res.text).toContain('Weight: must be greater than 0');
    expect(res.text).toContain('Key: this key is already used by another item');
    expect(res.text).toContain('must be a number');
    expect(res.text).toContain('value="abc"');
    expect(res.text).toContain('value="English g2"');
    expect(await countAll()).toBe(before);
  });

  test('editing saves a new version and says so; the old version stays readable', async () => {
    const id = await createQuestionnaire(app, adminToken, bankId, '编辑前');
    const agent = await signIn(ADMIN.email, ADMIN.password);
    const page = await agent.get(`/admin/questionnaires/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Version history');

    const { bankId: _ignored, ...f } = form(csrfOf(page.text), { name: '编辑后' });
    const res = await agent.post(`/admin/questionnaires/${id}`).type('form').send(f);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/questionnaires/${id}`);
    const after = await agent.get(res.headers.location);
    expect(after.text).toContain('Saved as version 2.');
    expect(after.text).toContain(`/admin/questionnaires/${id}/versions/1`);

    expect((await api(`/${id}`)).body).toMatchObject({ version: 2, name: '编辑后' });
    const v1 = (await api(`/${id}/versions/1`)).body;
    expect(v1.name).toBe('编辑前');
    expect(v1.sections[0].items[0].key).toBe('g_greet');

    const old = await agent.get(`/admin/questionnaires/${id}/versions/1`);
    expect(old.status).toBe(200);
    expect(old.text).toContain('g_greet');
    expect(old.text).toContain('An earlier version (current: v2)');
  });

  test('a form without the CSRF token is refused', async () => {
    const agent = await signIn(ADMIN.email, ADMIN.password);
    const before = await countAll();
    const { _csrf: _t, ...f } = form('x');
    const res = await agent.post('/admin/questionnaires').type('form').send(f);
    expect(res.status).toBe(403);
    expect(await countAll()).toBe(before);
  });

  test.each(['rev@pq.test', 'mgr@pq.test'])('%s (not an admin) gets 403 on every questionnaire page', async (email) => {
    const id = await createQuestionnaire(app, adminToken, bankId);
    const agent = await signIn(email, USER_PASSWORD);
    const home = await agent.get('/');
    expect(home.text).not.toContain('href="/admin/questionnaires"');
    for (const path of [
      '/admin/questionnaires',
      '/admin/questionnaires/new',
      `/admin/questionnaires/${id}`,
      `/admin/questionnaires/${id}/versions/1`,
    ]) {
      expect((await agent.get(path)).status).toBe(403);
    }
    const csrf = csrfOf(home.text);
    const before = await countAll();
    expect((await agent.post('/admin/questionnaires').type('form').send(form(csrf))).status).toBe(403);
    const { bankId: _b, ...edit } = form(csrf);
    expect((await agent.post(`/admin/questionnaires/${id}`).type('form').send(edit)).status).toBe(403);
    expect(await countAll()).toBe(before);
    expect((await api(`/${id}`)).body.version).toBe(1);
  });

  test('every page string exists in Chinese and English, and no page shows a raw key', async () => {
    expect(Object.keys(strings.zh).sort()).toEqual(Object.keys(strings.en).sort());
    const id = await createQuestionnaire(app, adminToken, bankId);
    const agent = await signIn(ADMIN.email, ADMIN.password);
    for (const lang of ['zh', 'en']) {
      await agent.get(`/lang/${lang}`);
      for (const path of [
        '/admin/questionnaires',
        '/admin/questionnaires/new',
        `/admin/questionnaires/${id}`,
        `/admin/questionnaires/${id}/versions/1`,
      ]) {
        const res = await agent.get(path);
        expect(res.status).toBe(200);
        expect(res.text).not.toMatch(/\bquestionnaires\.[a-z_]+/);
      }
    }
  });

  test('anonymous visitors are sent to sign in', async () => {
    const res = await request(app).get('/admin/questionnaires');
    expect(res.status).toBe(303);
    expect(res.headers.location).toContain('/login');
  });
});
