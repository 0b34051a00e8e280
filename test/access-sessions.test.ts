import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { SessionRecord } from '../server/platform/db/session-store';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csrfFrom, makeUser, signIn } from './helpers/web';

/**
 * Web sessions (SPEC §14 / issue 15): anonymous requests leave no session record; a session ends at
 * its absolute lifetime however busy it is; users see their own sessions and tokens and end them.
 */
let app: Express;
let admin: string;
const PASSWORD = 'Passw0rd-long-enough';

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
});
afterAll(stopTestApp);

describe('anonymous visitors', () => {
  test('get no session record and no session cookie, whatever they open or post', async () => {
    await SessionRecord.deleteMany({});
    const browser = request.agent(app);
    const responses = [
      await browser.get('/login'),
      await browser.get('/'),
      await browser.get('/password-reset'),
      await browser.get('/password-reset/confirm'),
      await browser.get('/login/sso'),
      await browser.get('/lang/en?next=/login'),
      await browser.get('/no-such-page'),
    ];
    const form = await browser.get('/login');
    responses.push(
      await browser
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(form.text), email: ADMIN.email, password: 'Wrong-password-1' }),
      await browser
        .post('/password-reset')
        .type('form')
        .send({ _csrf: csrfFrom(form.text), email: 'nobody@test.local' }),
      await browser.post('/login').type('form').send({ email: ADMIN.email, password: ADMIN.password }), // no CSRF token: 403
    );
    for (const r of responses)
      expect(([] as string[]).concat(r.headers['set-cookie'] ?? []).filter((c) => c.startsWith('msa.sid='))).toEqual(
        [],
      );
    expect(responses.at(-1)!.status).toBe(403);
    expect(await SessionRecord.countDocuments({})).toBe(0);
    // Signing in makes the first record.
    await browser
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), email: ADMIN.email, password: ADMIN.password })
      .expect(303);
    expect(await SessionRecord.countDocuments({})).toBe(1);
  });
});

describe('the absolute lifetime', () => {
  test('a session in use all along still ends SESSION_ABSOLUTE_HOURS after sign-in', async () => {
    const saved = config();
    const lifetimeMs = 8000;
    setConfig({ ...saved, SESSION_ABSOLUTE_HOURS: lifetimeMs / 3600_000 });
    try {
      await makeUser(app, admin, { email: 'short.lived@test.local', role: 'auditor' });
      const browser = await signIn(app, 'short.lived@test.local', PASSWORD);
      const record = await SessionRecord.findOne({}).sort({ signedInAt: -1 }).lean();
      const start = record!.signedInAt!.getTime();
      expect(record!.expiresAt.getTime() - start).toBeLessThanOrEqual(lifetimeMs);
      // Busy all along (each request renews the idle lifetime) …
      let used = 0;
      while (Date.now() < start + lifetimeMs - 3000) {
        expect((await browser.get('/assignments')).status).toBe(200);
        used += 1;
        await new Promise((r) => setTimeout(r, 400));
      }
      expect(used).toBeGreaterThan(0);
      // … and still signed out once the lifetime is over.
      await new Promise((r) => setTimeout(r, Math.max(0, start + lifetimeMs + 200 - Date.now())));
      const after = await browser.get('/assignments');
      expect(after.status).toBe(303);
      expect(after.headers.location).toMatch(/^\/login/);
    } finally {
      setConfig(saved);
    }
  });
});

describe('my sessions', () => {
  test('the account page lists my web sessions and tokens; I can end one, or all but this one', async () => {
    await makeUser(app, admin, { email: 'devices@test.local', role: 'reviewer' });
    const phone = await signIn(app, 'devices@test.local', PASSWORD);
    const laptop = await signIn(app, 'devices@test.local', PASSWORD);
    const token = await tokenFor(app, 'devices@test.local', PASSWORD);
    const page = await laptop.get('/account');
    expect(page.status).toBe(200);
    const ids = [...page.text.matchAll(/name="id" value="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.filter((i) => i.startsWith('web:'))).toHaveLength(1); // the phone (this one has no button)
    expect(ids.filter((i) => i.startsWith('token:'))).toHaveLength(1);
    expect(page.text).toContain('当前会话');
    const webId = ids.find((i) => i.startsWith('web:')) as string;
    // The page never shows a session's real id (the cookie's secret).
    const records = await SessionRecord.find({}).lean();
    for (const r of records) expect(page.text).not.toContain(String(r._id));
    const end = await laptop
      .post('/account/sessions/end')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), id: webId });
    expect(end.status).toBe(303);
    expect((await phone.get('/review')).status).toBe(303);
    expect((await laptop.get('/review')).status).toBe(200);
    expect((await request(app).get('/api/v1/me').set(bearer(token))).status).toBe(200);
    const page2 = await laptop.get('/account');
    await laptop
      .post('/account/sessions/end-others')
      .type('form')
      .send({ _csrf: csrfFrom(page2.text) })
      .expect(303);
    expect((await request(app).get('/api/v1/me').set(bearer(token))).status).toBe(401);
    expect((await laptop.get('/review')).status).toBe(200);
  });

  test('the API lists the caller’s sessions and tokens and ends one; another user’s is a 404', async () => {
    await makeUser(app, admin, { email: 'api.sessions@test.local', role: 'auditor' });
    const a = await tokenFor(app, 'api.sessions@test.local', PASSWORD);
    const b = await tokenFor(app, 'api.sessions@test.local', PASSWORD);
    await signIn(app, 'api.sessions@test.local', PASSWORD);
    const list = await request(app).get('/api/v1/auth/sessions').set(bearer(a));
    expect(list.status).toBe(200);
    expect(list.body.map((s: { kind: string }) => s.kind).sort()).toEqual(['token', 'token', 'web']);
    expect(list.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const other = list.body.find((s: { kind: string; current: boolean }) => s.kind === 'token' && !s.current);
    expect((await request(app).delete(`/api/v1/auth/sessions/${other.id}`).set(bearer(admin))).status).toBe(404);
    expect((await request(app).delete(`/api/v1/auth/sessions/${other.id}`).set(bearer(a))).status).toBe(204);
    expect((await request(app).get('/api/v1/me').set(bearer(b))).status).toBe(401);
    expect((await request(app).delete(`/api/v1/auth/sessions/${other.id}`).set(bearer(a))).status).toBe(404);
  });
});
