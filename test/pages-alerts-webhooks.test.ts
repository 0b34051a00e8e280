import type { Express } from 'express';
import { WebhookEndpoint } from '../server/webhooks/model';
import { followVisitChanges } from '../server/webhooks/service';
import { ADMIN, startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { hookReceiver, type HookReceiver } from './helpers/hook-receiver';
import { PASSWORD } from './helpers/visits';
import { csrfOf, signIn, unmarked, type Agent } from './helpers/web';

/** The alerts page (bank managers in scope, admins) and the admin webhook pages, driven like a browser. */
let app: Express;
let f: FeedbackWorld;
let hook: HookReceiver;
const agents: Record<string, Agent> = {};
let alertVisit: string;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'PA');
  hook = await hookReceiver();
  alertVisit = (
    await approvedVisit(f, {
      branchCode: 'S1',
      answers: ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a)),
    })
  ).id;
  await followVisitChanges();
  agents.manager = await signIn(app, 'pa-mgr@bank.test', PASSWORD);
  agents.north = await signIn(app, 'pa-north@bank.test', PASSWORD, 'en');
  agents.admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await hook.close();
  await stopTestApp();
});

test("a bank manager reads the bank's alerts in Chinese, times in the bank's zone with the zone named", async () => {
  const res = await agents.manager.get('/alerts');
  expect(res.status).toBe(200);
  expect(res.text).toContain('合规预警');
  expect(res.text).toContain('支行 S1');
  expect(res.text).toContain('题目 c1'); // the item's wording, not only its key
  expect(unmarked(res.text)).toContain('Asia/Shanghai');
  expect(res.text).toContain(`/visits/${alertVisit}`);
  expect(res.text).toContain('已发送');
});

test('out of scope: the North manager sees the empty state saying what happens', async () => {
  const res = await agents.north.get('/alerts');
  expect(res.status).toBe(200);
  expect(res.text).not.toContain(alertVisit);
  expect(res.text).toContain('No compliance alerts');
});

test('an HR user may not open the alerts page; a bank manager may not open the webhook pages', async () => {
  const hr = await signIn(app, 'pa-hr@bank.test', PASSWORD, 'en');
  expect((await hr.get('/alerts')).status).toBe(403);
  expect((await agents.manager.get('/admin/webhooks')).status).toBe(403);
});

test('the admin adds an endpoint (secret shown once), pings it and reads its deliveries', async () => {
  const empty = await agents.admin.get('/admin/webhooks');
  expect(empty.text).toContain('No webhook endpoints yet');
  const token = await csrfOf(agents.admin, '/admin/webhooks');
  const bad = await agents.admin
    .post('/admin/webhooks')
    .type('form')
    .send(`_csrf=${encodeURIComponent(token)}&url=${encodeURIComponent('http://10.0.0.8/x')}&events=visit.approved`);
  expect(bad.status).toBe(422);
  expect(bad.text).toMatch(/private address/);
  const form = [
    `_csrf=${encodeURIComponent(token)}`,
    `url=${encodeURIComponent(hook.url)}`,
    `bankId=${f.bankId}`,
    'events=visit.approved',
    'events=alert.violation',
    'description=Core%20banking',
  ].join('&');
  const created = await agents.admin.post('/admin/webhooks').type('form').send(form);
  expect(created.status).toBe(201);
  const secret = /whsec_[A-Za-z0-9+/=]+/.exec(created.text)?.[0];
  expect(secret).toBeDefined();
  const list = await agents.admin.get('/admin/webhooks');
  expect(list.text).toContain(hook.url);
  expect(list.text).not.toContain(secret as string);
  const e = await WebhookEndpoint.findOne({ url: hook.url }).lean();
  const detail = `/admin/webhooks/${String(e?._id)}`;
  expect((await agents.admin.get(detail)).text).toContain('Nothing sent to this endpoint yet');
  const pingToken = await csrfOf(agents.admin, detail);
  const ping = await agents.admin.post(`${detail}/ping`).type('form').send({ _csrf: pingToken });
  expect(ping.status).toBe(303);
  expect(hook.received.some((r) => r.body.includes('webhook.ping'))).toBe(true);
  expect((await agents.admin.get(detail)).text).toContain('Test ping: HTTP 204');
});
