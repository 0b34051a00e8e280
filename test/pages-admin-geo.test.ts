import type { Express } from 'express';
import { ADMIN, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { apiGet, makeBank, postForm, signIn, unmarked } from './helpers/web';

/**
 * SPEC §9 on the admin pages: a branch's position (lat, lng) on the branch form and the bank's
 * geofence on the bank forms, through the same services and schema as the API; a wrong value is
 * named under its own field, in the page's language, and nothing is written.
 */
let app: Express;
let adminToken: string;
let bankId: string;

beforeAll(async () => {
  app = await startTestApp();
  adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
  bankId = (await makeBank(app, adminToken, 'GEO')).id;
}, 120_000);
afterAll(stopTestApp);

const admin = (lang: 'en' | 'zh') => signIn(app, ADMIN.email, ADMIN.password, lang);
/** The message under a field: the error <small> of the same label, never a later field's. */
const errorUnder = (html: string, name: string) =>
  new RegExp(
    `name="${name}"[^>]*>\\s*(?:<small class="muted">[^<]*</small>\\s*)?<small class="field-error">([^<]*)</small>`,
  ).exec(html)?.[1];
interface Branch {
  code: string;
  lat?: number;
  lng?: number;
}
const branches = () => apiGet<Branch[]>(app, adminToken, `/banks/${bankId}/branches`);
const bankPath = () => `/admin/banks/${bankId}`;
const branchForm = (fields: Record<string, string>) => ({ name: '静安支行', region: 'North', city: '上海', ...fields });

test('a branch created on the form keeps its position, shown in the list', async () => {
  const agent = await admin('en');
  const res = await postForm(
    agent,
    bankPath(),
    `${bankPath()}/branches`,
    branchForm({ code: 'G1', lat: '31.2304', lng: ' 121.4737 ' }),
  );
  expect(res.status).toBe(303);
  expect((await branches()).find((b) => b.code === 'G1')).toMatchObject({ lat: 31.2304, lng: 121.4737 });
  const page = unmarked((await agent.get(bankPath())).text);
  expect(page).toContain('31.2304, 121.4737');
  // Without a position: created, and the list says it is not set.
  expect(
    (await postForm(agent, bankPath(), `${bankPath()}/branches`, branchForm({ code: 'G2', lat: '', lng: '' }))).status,
  ).toBe(303);
  const g2 = (await branches()).find((b) => b.code === 'G2');
  expect(g2?.lat).toBeUndefined();
  expect(unmarked((await agent.get(bankPath())).text)).toMatch(
    /G2<\/td><td>静安支行<\/td><td>上海<\/td><td><span class="muted">not set<\/span>/,
  );
});

test.each([
  ['en', { lat: '95', lng: '121' }, 'lat', 'Must be at most 90.'],
  ['zh', { lat: '95', lng: '121' }, 'lat', '不能大于 90。'],
  ['en', { lat: '31.2', lng: '' }, 'lng', 'Give both latitude and longitude, or neither.'],
  ['zh', { lat: '31.2', lng: '' }, 'lng', '纬度和经度须同时填写，或都不填。'],
  ['en', { lat: 'north', lng: '121' }, 'lat', 'Enter a number.'],
  ['zh', { lat: '31', lng: '-181' }, 'lng', '不能小于 -180。'],
] as const)('%s: a wrong position %j is named under %s, nothing is created', async (lang, position, field, message) => {
  const agent = await admin(lang);
  const code = `BAD${Math.floor(Math.random() * 1e6)}`;
  const res = await postForm(agent, bankPath(), `${bankPath()}/branches`, branchForm({ code, ...position }));
  expect(res.status).toBe(422);
  expect(errorUnder(res.text, field)).toBe(message);
  expect(res.text).toContain(`value="${code}"`); // what was typed stays
  expect((await branches()).some((b) => b.code === code)).toBe(false);
});

test('the geofence on the new-bank form and the settings form', async () => {
  const agent = await admin('en');
  const created = await postForm(agent, '/admin/banks', '/admin/banks', {
    code: 'GEO2',
    name: '围栏银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    reportRecipients: '',
    geofenceMeters: '450',
  });
  expect(created.status).toBe(303);
  const id = String(created.headers.location).split('/').pop() as string;
  expect((await apiGet<{ geofenceMeters: number }>(app, adminToken, `/banks/${id}`)).geofenceMeters).toBe(450);
  const page = await agent.get(`/admin/banks/${id}`);
  expect(page.text).toMatch(/name="geofenceMeters" value="450"/);
  expect(unmarked(page.text)).toContain('geofence 450 m');
  const settings = (geofenceMeters: string) =>
    postForm(agent, `/admin/banks/${id}`, `/admin/banks/${id}`, {
      name: '围栏银行',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      geofenceMeters,
    });
  expect((await settings('800')).status).toBe(303);
  expect((await apiGet<{ geofenceMeters: number }>(app, adminToken, `/banks/${id}`)).geofenceMeters).toBe(800);
  const tooSmall = await settings('5');
  expect(tooSmall.status).toBe(422);
  expect(errorUnder(tooSmall.text, 'geofenceMeters')).toBe('Must be at least 10.');
  const zh = await admin('zh');
  const word = await postForm(zh, `/admin/banks/${id}`, `/admin/banks/${id}`, {
    name: '围栏银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    geofenceMeters: '三百',
  });
  expect(word.status).toBe(422);
  expect(errorUnder(word.text, 'geofenceMeters')).toBe('请输入数字。');
  const half = await settings('300.5');
  expect(errorUnder(half.text, 'geofenceMeters')).toBe('Enter a whole number.');
  expect((await apiGet<{ geofenceMeters: number }>(app, adminToken, `/banks/${id}`)).geofenceMeters).toBe(800);
});
