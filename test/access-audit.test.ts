import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { generate } from 'otplib';
import request from 'supertest';
import { AUDIT_ACTIONS, auditHealth, retryWaitingEntries } from '../server/audit/service';
import { AuditEntry } from '../server/audit/model';
import { setAuditWriterForTests } from '../server/audit/recorder';
import { config, setConfig } from '../server/platform/config';
import { PasswordReset } from '../server/users/model';
import { resetLinkToSend } from '../server/users/service';
import { until } from './helpers/faults';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csrfFrom, signIn, unmarked } from './helpers/web';
import { buildWorld, PASSWORD, type World } from './helpers/world';
import { routeTable } from './helpers/world-routes';

/**
 * The audit log (SPEC §14): an entry for every kind of event, with actor, time, address, target and
 * before/after; read (and exported as CSV) by admins entirely and by a whole-bank manager for their
 * own bank's users only; never edited or deleted through the product; and a failed write neither
 * fails the action nor is lost: it waits in the spool, is retried, and is reported.
 */
let app: Express;
let w: World;
let admin: string;
const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-audit-spool-'));

beforeAll(async () => {
  setConfig({ ...config(), DATA_DIR: spoolDir });
  app = await startTestApp();
  w = await buildWorld(app, { reports: true });
  admin = w.who.admin.token;
  await everyKindOfEvent();
}, 300_000);
afterAll(async () => {
  setAuditWriterForTests(null);
  await stopTestApp();
  fs.rmSync(spoolDir, { recursive: true, force: true });
});

const api = (token: string) => ({
  get: (p: string) => request(app).get(`/api/v1${p}`).set(bearer(token)),
  post: (p: string, body: object = {}) => request(app).post(`/api/v1${p}`).set(bearer(token)).send(body),
});

/** Everything the log must record that building the world did not do already. */
async function everyKindOfEvent(): Promise<void> {
  const a = api(admin);
  // signing in and out on the web, a failure, a sign-out
  const browser = await signIn(app, w.who.reviewer.email, PASSWORD);
  await browser
    .post('/logout')
    .type('form')
    .send({ _csrf: csrfFrom((await browser.get('/account')).text) });
  await request(app).post('/api/v1/auth/token').send({ email: w.who.hrA.email, password: 'Wrong-password-1' });
  // a second factor: set up, passed, refused, turned off; an admin's reset of another user's
  const auditor = await tokenFor(app, w.who.auditor2.email, PASSWORD);
  const { secret } = (await api(auditor).post('/auth/mfa/enroll')).body;
  const now = Math.floor(Date.now() / 1000);
  await api(auditor)
    .post('/auth/mfa/verify', { code: await generate({ secret, epoch: now - 30 }) })
    .expect(200);
  await request(app)
    .post('/api/v1/auth/token')
    .send({ email: w.who.auditor2.email, password: PASSWORD, totp: '000000' });
  const second = await request(app)
    .post('/api/v1/auth/token')
    .send({ email: w.who.auditor2.email, password: PASSWORD, totp: await generate({ secret, epoch: now }) });
  expect(second.status).toBe(200);
  await api(second.body.token)
    .post('/auth/mfa/disable', { code: await generate({ secret, epoch: now + 30 }) })
    .expect(204);
  const spare = await tokenFor(app, w.spare.email, PASSWORD);
  const spareSecret = (await api(spare).post('/auth/mfa/enroll')).body.secret;
  await api(spare)
    .post('/auth/mfa/verify', { code: await generate({ secret: spareSecret }) })
    .expect(200);
  await request(app).delete(`/api/v1/users/${w.spare.id}/mfa`).set(bearer(admin)).expect(204);
  // passwords: a change, a reset asked for and used
  const changer = await tokenFor(app, w.who.hrB.email, PASSWORD);
  await api(changer).post('/auth/password', { current: PASSWORD, password: 'Changed-pass-2026' }).expect(204);
  await request(app).post('/api/v1/auth/password-reset').send({ email: w.who.hrB.email }).expect(202);
  await until('the reset link', async () => (await PasswordReset.countDocuments({})) > 0, 10_000);
  const link = await resetLinkToSend(String((await PasswordReset.findOne({}).lean())!._id));
  await request(app)
    .post('/api/v1/auth/password-reset/confirm')
    .send({ token: link!.token, password: 'Reset-pass-2026x' })
    .expect(204);
  // tokens and sessions: one revoked, a web session ended by its owner
  const extra = await tokenFor(app, w.who.managerB.email, PASSWORD);
  await request(app).delete('/api/v1/auth/token').set(bearer(extra)).expect(204);
  await signIn(app, w.who.managerB.email, PASSWORD);
  const sessions = (await api(w.who.managerB.token).get('/auth/sessions')).body as { id: string; kind: string }[];
  const web = sessions.find((s) => s.kind === 'web') as { id: string };
  await request(app)
    .delete(`/api/v1/auth/sessions/${encodeURIComponent(web.id)}`)
    .set(bearer(w.who.managerB.token))
    .expect(204);
  // users, a bank's sign-in settings
  await request(app)
    .patch(`/api/v1/users/${w.who.regionA.id}`)
    .set(bearer(admin))
    .send({ scope: { type: 'region', region: 'South' } })
    .expect(200);
  await request(app)
    .patch(`/api/v1/users/${w.who.regionA.id}`)
    .set(bearer(admin))
    .send({ scope: { type: 'region', region: 'North' } })
    .expect(200);
  await request(app)
    .put(`/api/v1/banks/${w.bankId.A}/sso`)
    .set(bearer(admin))
    .send({
      issuer: 'https://login.bank-a.example.cn',
      clientId: 'msa',
      clientSecret: 'a-secret-value',
      required: false,
    })
    .expect(200);
  // an import of assignments
  const file = `branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario\r\nWAN2,${w.who.auditor.email},${w.quarter},2026-01-01T00:00:00Z,2099-12-31T00:00:00Z,开户\r\n`;
  await request(app)
    .post('/api/v1/assignments/import')
    .query({ bankId: w.bankId.A, questionnaireId: w.questionnaireId.A })
    .set(bearer(admin))
    .attach('file', Buffer.from(file), 'round.csv')
    .expect(200);
  // a dispute decided, the quarter re-issued, the report re-sent and downloaded, HR data exported
  await api(w.who.reviewer.token)
    .post(`/disputes/${w.dispute.own.id}/resolve`, { decision: 'upheld', note: '录像显示属实' })
    .expect(200);
  await a.post(`/banks/${w.bankId.A}/quarters/${w.quarter}/close`).expect(202);
  await a.post(`/reports/${w.report!.A}/deliveries/resend`, {}).expect(202);
  await api(w.who.managerA.token).get(`/reports/${w.report!.A}/files/bank`).expect(200);
  await api(w.who.hrA.token).get(`/staff/scorecards.csv?bankId=${w.bankId.A}&quarter=${w.quarter}`).expect(200);
  await api(w.who.managerA.token).get('/audit-log.csv').expect(200);
}

const entries = async (action: string) => AuditEntry.find({ action }).lean();

describe('what is recorded', () => {
  test('every kind of event has entries (webhooks once that feature exists)', async () => {
    const missing: string[] = [];
    for (const action of AUDIT_ACTIONS) if (!(await AuditEntry.exists({ action }))) missing.push(action);
    expect(missing).toEqual(['webhook.created', 'webhook.changed', 'webhook.deleted']);
  });

  test('each entry names actor, time, address and target; changes keep before and after', async () => {
    const change = (await entries('user.updated')).find(
      (e) => e.target.id === w.who.regionA.id && e.after?.includes('South'),
    );
    expect(change).toBeDefined();
    expect(change!.actorId).toBe(w.who.admin.id);
    expect(change!.actorRole).toBe('admin');
    expect(change!.ip).toMatch(/127\.0\.0\.1/);
    expect(JSON.parse(change!.before as string).scope).toEqual({ type: 'region', region: 'North' });
    expect(JSON.parse(change!.after as string).scope).toEqual({ type: 'region', region: 'South' });
    const failed = (await entries('auth.sign_in_failed')).find((e) => e.target.label === w.who.hrA.email);
    expect(failed).toMatchObject({ outcome: 'failure', actorId: w.who.hrA.id, actorBankId: w.bankId.A });
    const review = (await entries('visit.reviewed')).find((e) => e.target.id === w.approved.own.id);
    expect(JSON.parse(review!.after as string)).toMatchObject({ status: 'approved' });
    const sso = (await entries('bank.sso_changed'))[0];
    expect(JSON.stringify(sso)).not.toContain('a-secret-value');
    expect(await entries('report.reissued')).toHaveLength(1);
  });

  test('the product has no way to change or delete an entry', () => {
    const writes = routeTable().filter((r) => r.path.includes('audit') && r.method !== 'GET');
    expect(writes).toEqual([]);
  });
});

describe('who reads it', () => {
  test('an admin reads everything, newest first, filtered by kind, actor and period, a page at a time', async () => {
    const all = await api(admin).get('/audit-log?limit=1000');
    expect(all.status).toBe(200);
    const times = all.body.map((e: { at: string }) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    for (const e of all.body)
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['at', 'actorId', 'action', 'target', 'ip']));
    const auth = await api(admin).get('/audit-log?action=auth&limit=1000');
    expect(auth.body.length).toBeGreaterThan(0);
    expect(auth.body.every((e: { action: string }) => e.action.startsWith('auth.'))).toBe(true);
    const byActor = await api(admin).get(`/audit-log?actor=${encodeURIComponent(w.who.hrA.email)}`);
    expect(byActor.body.length).toBeGreaterThan(0);
    expect(byActor.body.every((e: { actorEmail?: string }) => e.actorEmail === w.who.hrA.email)).toBe(true);
    expect((await api(admin).get('/audit-log?to=2001-01-01')).body).toEqual([]);
    const page1 = await api(admin).get('/audit-log?limit=5');
    expect(page1.body).toHaveLength(5);
    const page2 = await api(admin).get(`/audit-log?limit=5&cursor=${page1.headers['x-next-cursor']}`);
    expect(page2.body[0].id).toBe(all.body[5].id);
  });

  test('a whole-bank manager reads only the entries of their own bank’s users; others may not read it', async () => {
    const bankAUsers = new Set([w.who.managerA.id, w.who.regionA.id, w.who.branchesA.id, w.who.hrA.id]);
    const mine = await api(w.who.managerA.token).get('/audit-log?limit=1000');
    expect(mine.status).toBe(200);
    expect(mine.body.length).toBeGreaterThan(0);
    expect(mine.body.every((e: { actorId: string }) => bankAUsers.has(e.actorId))).toBe(true);
    for (const who of [w.who.regionA, w.who.branchesA, w.who.hrA, w.who.auditor, w.who.reviewer])
      expect((await api(who.token).get('/audit-log')).status).toBe(403);
  });

  test('the CSV holds the same selection, and exporting it is itself recorded', async () => {
    const res = await api(admin).get('/audit-log.csv?action=dispute');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.text
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'at,action,outcome,actorId,actorEmail,actorRole,ip,targetType,targetId,targetLabel,before,after,note',
    );
    expect(lines.length - 1).toBe((await api(admin).get('/audit-log?action=dispute')).body.length);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00,dispute\./);
    expect((await entries('audit.exported')).some((e) => e.actorId === w.who.admin.id)).toBe(true);
  });

  test('the page shows entries in the reader’s words and zone', async () => {
    const browser = await signIn(app, ADMIN.email, ADMIN.password);
    const page = await browser.get('/audit-log?action=dispute');
    expect(page.status).toBe(200);
    expect(page.text).toContain('处理申诉');
    expect(unmarked(page.text)).toContain('Asia/Shanghai');
  });
});

describe('a failed write', () => {
  test('does not fail the action; the entry waits in the spool, is retried by itself, written once, and reported', async () => {
    let failures = 0;
    setAuditWriterForTests(async (doc, real) => {
      if (failures < 1) {
        failures += 1;
        throw new Error('audit store unavailable (test)');
      }
      await real(doc);
    });
    const before = auditHealth().failedWrites;
    const res = await request(app).post('/api/v1/auth/token').send({ email: w.who.auditor.email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(auditHealth().failedWrites).toBe(before + 1);
    expect(auditHealth().waiting).toBe(1);
    expect(fs.readFileSync(path.join(spoolDir, 'audit-spool', 'pending.jsonl'), 'utf8')).toContain('auth.sign_in');
    // The admin sees that an entry is waiting.
    const browser = await signIn(app, ADMIN.email, ADMIN.password);
    expect((await browser.get('/audit-log')).text).toContain('等待重写');
    await until('the retried entry', async () => auditHealth().waiting === 0, 10_000);
    const written = (await entries('auth.sign_in')).filter((e) => e.actorId === w.who.auditor.id);
    const ids = new Set(written.map((e) => String(e._id)));
    expect(ids.size).toBe(written.length);
    expect(await retryWaitingEntries()).toBe(0);
    setAuditWriterForTests(null);
  });
});
