import type { Express } from 'express';
import request from 'supertest';
import { config } from '../server/platform/config';
import { ADMIN, restartTestApp, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csrfFrom, csrfOf, makeUser, sessionCookieOf, signIn, unmarked } from './helpers/web';

let app: Express;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => stopTestApp());

describe('sign-in page', () => {
  test('renders the form with a CSRF token', async () => {
    const res = await request(app).get('/login');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('name="email"');
    expect(res.text).toContain('name="password"');
    expect(csrfFrom(res.text).length).toBeGreaterThanOrEqual(20);
  });

  test('a wrong password gets the 401 page with a message and signs nobody in', async () => {
    const agent = request.agent(app);
    const token = await csrfOf(agent, '/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: ADMIN.email, password: 'not-the-password' });
    expect(res.status).toBe(401);
    expect(res.text).toContain('邮箱或密码错误');
    expect(res.text).toContain(`value="${ADMIN.email}"`);
    const home = await agent.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/login?next=%2F');
  });

  test('the right password redirects to the requested page and the home page shows the user', async () => {
    const agent = request.agent(app);
    const token = await csrfOf(agent, '/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: ADMIN.email, password: ADMIN.password, next: '/admin/users' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/users');
    const home = await agent.get('/');
    expect(home.status).toBe(200);
    expect(unmarked(home.text)).toContain('欢迎，Administrator');
    expect(home.text).toContain('管理员');
  });

  test('a next= pointing at another site is ignored', async () => {
    const agent = request.agent(app);
    const token = await csrfOf(agent, '/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: ADMIN.email, password: ADMIN.password, next: '//evil.example.com/x' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
  });

  test('signing in issues a new session id; the id from before sign-in stays anonymous (no session fixation)', async () => {
    // The sign-in page makes no session at all; a session id from before (here: another sign-in in the
    // same browser) must not survive a sign-in.
    const agent = request.agent(app);
    const page = await agent.get('/login');
    expect(sessionCookieOf(page)).toBeUndefined();
    const first = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN.email, password: ADMIN.password });
    const before = sessionCookieOf(first);
    expect(before).toBeDefined();
    const again = await agent.get('/login?next=/');
    expect(again.status).toBe(303);
    const res = await request(app)
      .post('/login')
      .set(
        'Cookie',
        `${before as string}; ${(first.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ')}`,
      )
      .type('form')
      .send({ _csrf: csrfFrom((await agent.get('/account')).text), email: ADMIN.email, password: ADMIN.password });
    expect(res.status).toBe(303);
    const after = sessionCookieOf(res);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    const planted = await request(app)
      .get('/')
      .set('Cookie', before as string);
    expect(planted.status).toBe(303);
    expect(planted.headers.location).toMatch(/^\/login/);
    const real = await request(app)
      .get('/')
      .set('Cookie', after as string);
    expect(real.status).toBe(200);
  });

  test('the session cookie is HttpOnly and SameSite=Lax', async () => {
    const page = request.agent(app);
    const form = await page.get('/login');
    const res = await page
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), email: ADMIN.email, password: ADMIN.password });
    const raw = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('msa.sid='));
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Lax/i);
  });

  test('signing out ends the session, also for a copy of the cookie', async () => {
    const agent = request.agent(app);
    const page = await agent.get('/login');
    const cookie = sessionCookieOf(
      await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email: ADMIN.email, password: ADMIN.password }),
    ) as string;
    const home = await agent.get('/');
    expect(home.status).toBe(200);
    const out = await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfFrom(home.text) });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/login');
    const after = await agent.get('/');
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
    const replay = await request(app).get('/').set('Cookie', cookie);
    expect(replay.status).toBe(303);
  });
});

describe('CSRF', () => {
  test('sign-in without or with a wrong token is refused with the 403 page', async () => {
    const agent = request.agent(app);
    const token = await csrfOf(agent, '/login');
    const none = await agent.post('/login').type('form').send({ email: ADMIN.email, password: ADMIN.password });
    expect(none.status).toBe(403);
    expect(none.text).toContain('表单已过期');
    const wrong = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: `${token.slice(0, -2)}xx`, email: ADMIN.email, password: ADMIN.password });
    expect(wrong.status).toBe(403);
    expect((await agent.get('/')).status).toBe(303);
    const ok = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, email: ADMIN.email, password: ADMIN.password });
    expect(ok.status).toBe(303);
    expect((await agent.get('/')).status).toBe(200);
  });

  test("another session's token is not accepted", async () => {
    const other = await csrfOf(request.agent(app), '/login');
    const agent = request.agent(app);
    await agent.get('/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: other, email: ADMIN.email, password: ADMIN.password });
    expect(res.status).toBe(403);
  });

  test('sign-out without or with a wrong token is refused and the user stays signed in', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password);
    const none = await agent.post('/logout').type('form').send({});
    expect(none.status).toBe(403);
    const wrong = await agent.post('/logout').type('form').send({ _csrf: 'forged-token-value-0000000000000' });
    expect(wrong.status).toBe(403);
    expect((await agent.get('/')).status).toBe(200);
  });
});

describe('sign-in rate limit', () => {
  test(`after LOGIN_RATE_LIMIT failures the next attempt, even with the right password, gets 429`, async () => {
    const adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
    const victim = { email: 'limited@test.local', password: 'Right-password-123' };
    await makeUser(app, adminToken, { ...victim, role: 'reviewer' });
    const agent = request.agent(app);
    const token = await csrfOf(agent, '/login');
    const limit = config().LOGIN_RATE_LIMIT;
    for (let i = 0; i < limit; i++) {
      const res = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: token, email: victim.email, password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const blocked = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: token, ...victim });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('登录尝试过多');
    expect((await agent.get('/')).status).toBe(303);
    // The limit is per address and e-mail: somebody else can still sign in from the same address.
    await expect(signIn(app, ADMIN.email, ADMIN.password)).resolves.toBeDefined();
  });
});

describe('language switch', () => {
  test('/lang/en sets a cookie and later pages are English; /lang/zh switches back', async () => {
    const agent = request.agent(app);
    const zh = await agent.get('/login');
    expect(zh.text).toContain('<html lang="zh-CN">');
    expect(zh.text).toContain('登录');
    const toEn = await agent.get('/lang/en?next=/login');
    expect(toEn.status).toBe(303);
    expect(toEn.headers.location).toBe('/login');
    expect(([] as string[]).concat(toEn.headers['set-cookie'] ?? []).some((c) => c.startsWith('lang=en'))).toBe(true);
    const en = await agent.get('/login');
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Sign in');
    expect(en.text).not.toContain('登录');
    const token = csrfFrom(en.text);
    await agent.post('/login').type('form').send({ _csrf: token, email: ADMIN.email, password: ADMIN.password });
    const home = await agent.get('/');
    expect(home.text).toContain('Welcome, Administrator');
    await agent.get('/lang/zh');
    const back = await agent.get('/');
    expect(back.text).toContain('<html lang="zh-CN">');
    expect(unmarked(back.text)).toContain('欢迎，Administrator');
  });

  test('an unknown language is ignored', async () => {
    const res = await request(app).get('/lang/fr');
    expect(res.status).toBe(303);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).some((c) => c.startsWith('lang='))).toBe(false);
  });
});

describe('security headers', () => {
  const expectHeaders = (res: request.Response) => {
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  };

  test('the sign-in page for anonymous users', async () => {
    const res = await request(app).get('/login');
    expect(res.status).toBe(200);
    expectHeaders(res);
  });

  test('pages for signed-in users, error pages included', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password);
    for (const path of ['/', '/admin/banks', '/admin/users', '/no-such-page']) {
      const res = await agent.get(path);
      expect(res.status).toBe(path === '/no-such-page' ? 404 : 200);
      expectHeaders(res);
    }
  });
});

// Last: it replaces the app with a restarted one.
describe('restart', () => {
  test('a web session survives an app restart', async () => {
    const agent = request.agent(app);
    const page = await agent.get('/login');
    const signedIn = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN.email, password: ADMIN.password });
    const cookie = sessionCookieOf(signedIn) as string;
    expect(cookie).toBeDefined();
    const home = await agent.get('/');
    const token = csrfFrom(home.text);

    app = await restartTestApp();

    const again = await request(app).get('/').set('Cookie', cookie);
    expect(again.status).toBe(200);
    expect(again.text).toContain('Administrator');
    // The CSRF token lives in the session too, so a form from before the restart still posts.
    const out = await request(app).post('/logout').set('Cookie', cookie).type('form').send({ _csrf: token });
    expect(out.status).toBe(303);
    const gone = await request(app).get('/').set('Cookie', cookie);
    expect(gone.status).toBe(303);
  });
});
