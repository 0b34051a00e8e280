import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { RateCounter } from '../server/platform/http/rate-limit';
import { createApp } from '../server/app';
import { ApiToken } from '../server/users/model';
import { verifyPassword } from '../server/users/password';
import { startServices, stopServices } from '../server/bootstrap';
import { config, setConfig } from '../server/platform/config';
import { User } from '../server/users/model';
import { ensureFirstAdmin } from '../server/users/service';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeBank, makeUser, PASSWORD, type Fixture } from './helpers/foundation';

let app: Express;
let f: Fixture;
beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
});
afterAll(stopTestApp);

const signIn = (a: Express, body: unknown) =>
  request(a)
    .post('/api/v1/auth/token')
    .send(body as object);
const me = (token: string) => request(app).get('/api/v1/me').set(bearer(token));

describe('POST /api/v1/auth/token', () => {
  test('returns a token, its expiry and the user', async () => {
    const bankId = await makeBank(f, 'AUTHB');
    await makeUser(f, { email: 'hr1@bank.cn', role: 'hr', bankId });
    const res = await signIn(app, { email: ' HR1@Bank.cn ', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'token', 'user']);
    expect(typeof res.body.token).toBe('string');
    expect(res.body.token.length).toBeGreaterThanOrEqual(32);
    const expires = Date.parse(res.body.expiresAt);
    expect(expires).toBeGreaterThan(Date.now() + (config().TOKEN_TTL_HOURS - 1) * 3600_000);
    expect(res.body.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    expect(res.body.user).toEqual({ id: expect.any(String), email: 'hr1@bank.cn', name: 'hr1', role: 'hr', bankId });
    expect((await me(res.body.token)).body.email).toBe('hr1@bank.cn');
  });

  test('a firm user has bankId null', async () => {
    const res = await signIn(app, ADMIN);
    expect(res.body.user).toEqual({
      id: expect.any(String),
      email: ADMIN.email,
      name: 'Administrator',
      role: 'admin',
      bankId: null,
    });
  });

  test('wrong password and unknown e-mail give the same 401', async () => {
    const wrong = await signIn(app, { email: ADMIN.email, password: 'not-the-password' });
    const unknown = await signIn(app, { email: 'nobody@nowhere.cn', password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error).toEqual({ code: 'invalid_credentials', message: expect.any(String), details: [] });
    expect(wrong.body.token).toBeUndefined();
  });

  test('a body that is not a JSON object is 400', async () => {
    for (const body of ['"just a string"', '[1,2]', 'null', '42']) {
      const res = await request(app).post('/api/v1/auth/token').set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('malformed_body');
    }
    const broken = await request(app)
      .post('/api/v1/auth/token')
      .set('Content-Type', 'application/json')
      .send('{"email": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('malformed_json');
    const noType = await request(app)
      .post('/api/v1/auth/token')
      .set('Content-Type', 'text/plain')
      .send('email=a&password=b');
    expect(noType.status).toBe(400);
  });

  test('a JSON object that breaks the rules is 422 with each field', async () => {
    const res = await signIn(app, { email: 12, extra: true });
    expect(res.status).toBe(422);
    const fields = res.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['email', 'password']));
    expect(res.body.error.details.some((d: { field: string; code: string }) => d.code === 'unrecognized_keys')).toBe(
      true,
    );
    const op = await signIn(app, { email: { $gt: '' }, password: { $gt: '' } });
    expect(op.status).toBe(422);
  });
});

describe('sign-in rate limit', () => {
  let limited: Express;
  const saved = config();
  beforeAll(() => {
    setConfig({ ...saved, LOGIN_RATE_LIMIT: 3 });
    limited = createApp();
    setConfig(saved);
  });

  test('after LOGIN_RATE_LIMIT failed attempts the next one is 429, even with the right password', async () => {
    const email = 'ratelimited@test.local';
    await makeUser(f, { email, role: 'reviewer' });
    for (let i = 0; i < 3; i++)
      expect((await signIn(limited, { email, password: 'wrong-password-x' })).status).toBe(401);
    const res = await signIn(limited, { email, password: PASSWORD });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    // Another e-mail from the same address is a separate counter, so one attacker cannot lock out everyone.
    expect((await signIn(limited, ADMIN)).status).toBe(200);
  });

  test('every instance of the app counts against the same limit, and only a hash of address and e-mail is stored', async () => {
    setConfig({ ...saved, LOGIN_RATE_LIMIT: 3 });
    const second = createApp(); // another instance on the same database
    setConfig(saved);
    const email = 'twoinstances@test.local';
    await makeUser(f, { email, role: 'reviewer' });
    expect((await signIn(limited, { email, password: 'wrong-password-1' })).status).toBe(401);
    expect((await signIn(second, { email, password: 'wrong-password-2' })).status).toBe(401);
    expect((await signIn(limited, { email, password: 'wrong-password-3' })).status).toBe(401);
    expect((await signIn(second, { email, password: PASSWORD })).status).toBe(429);
    expect((await signIn(limited, { email, password: PASSWORD })).status).toBe(429);
    const stored = JSON.stringify(await RateCounter.find().lean());
    expect(stored).not.toContain('twoinstances');
    expect(stored).not.toContain('127.0.0.1');
  });

  test('successful sign-ins do not use up the limit', async () => {
    for (let i = 0; i < 7; i++) expect((await signIn(limited, ADMIN)).status).toBe(200);
  });
});

describe('bearer tokens', () => {
  test('no token, a malformed header or a garbage token is 401 with the JSON error model', async () => {
    const none = await request(app).get('/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const basic = await request(app).get('/api/v1/me').set('Authorization', 'Basic YWRtaW46eA==');
    expect(basic.status).toBe(401);
    const garbage = await me('mst_this-is-not-a-token');
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe('invalid_token');
    // A bad token is refused even on a route that needs none, rather than quietly ignored.
    expect((await request(app).get('/api/v1/banks').set(bearer('x'))).status).toBe(401);
  });

  test('a token naming a real record but with another secret is 401', async () => {
    const token = await tokenFor(app, ADMIN.email, ADMIN.password);
    expect(token).toMatch(/^mst_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const forged = await me(token.slice(0, -1) + last);
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('invalid_token');
    expect((await me(token)).status).toBe(200);
  });

  test('an expired token is 401', async () => {
    const token = await tokenFor(app, ADMIN.email, ADMIN.password);
    await ApiToken.updateOne(
      { tokenHash: crypto.createHash('sha256').update(token).digest('hex') },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  test('a checked token is reused for AUTH_CACHE_SECONDS only: a change made behind this instance counts after that', async () => {
    const saved = config();
    setConfig({ ...saved, AUTH_CACHE_SECONDS: 1 });
    try {
      const token = await tokenFor(app, ADMIN.email, ADMIN.password);
      expect((await me(token)).status).toBe(200);
      // As another app instance would: revoke in the database only.
      await ApiToken.updateOne(
        { tokenHash: crypto.createHash('sha256').update(token).digest('hex') },
        { $set: { revokedAt: new Date() } },
      );
      expect((await me(token)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await me(token)).status).toBe(401);
    } finally {
      setConfig(saved);
    }
  });

  test('with AUTH_CACHE_SECONDS=0 every request checks the token', async () => {
    const saved = config();
    setConfig({ ...saved, AUTH_CACHE_SECONDS: 0 });
    try {
      const token = await tokenFor(app, ADMIN.email, ADMIN.password);
      expect((await me(token)).status).toBe(200);
      await ApiToken.updateOne(
        { tokenHash: crypto.createHash('sha256').update(token).digest('hex') },
        { $set: { revokedAt: new Date() } },
      );
      expect((await me(token)).status).toBe(401);
    } finally {
      setConfig(saved);
    }
  });

  test('DELETE /auth/token revokes only that token', async () => {
    const { token: first } = await makeUser(f, { email: 'two-tokens@test.local', role: 'reviewer' });
    const second = await tokenFor(app, 'two-tokens@test.local', PASSWORD);
    const del = await request(app).delete('/api/v1/auth/token').set(bearer(first));
    expect(del.status).toBe(204);
    expect((await me(first)).status).toBe(401);
    expect((await me(second)).status).toBe(200);
    expect((await request(app).delete('/api/v1/auth/token')).status).toBe(401);
    expect((await request(app).delete('/api/v1/auth/token').set(bearer(first))).status).toBe(401);
  });

  test('deactivating a user kills every token and sign-in; reactivating does not revive old tokens', async () => {
    const u = await makeUser(f, { email: 'leaver@test.local', role: 'auditor' });
    const other = await tokenFor(app, 'leaver@test.local', PASSWORD);
    const off = await request(app).patch(`/api/v1/users/${u.id}`).set(bearer(f.adminToken)).send({ active: false });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await me(u.token)).status).toBe(401);
    expect((await me(other)).status).toBe(401);
    expect((await signIn(app, { email: 'leaver@test.local', password: PASSWORD })).status).toBe(401);
    expect(await ApiToken.countDocuments({ userId: u.id, revokedAt: { $exists: false } })).toBe(0);

    await request(app).patch(`/api/v1/users/${u.id}`).set(bearer(f.adminToken)).send({ active: true }).expect(200);
    expect((await me(u.token)).status).toBe(401);
    expect((await signIn(app, { email: 'leaver@test.local', password: PASSWORD })).status).toBe(200);
  });

  test('a password reset kills the old tokens and the old password', async () => {
    const u = await makeUser(f, { email: 'reset@test.local', role: 'reviewer' });
    await request(app)
      .patch(`/api/v1/users/${u.id}`)
      .set(bearer(f.adminToken))
      .send({ password: 'Brand-new-pass-9' })
      .expect(200);
    expect((await me(u.token)).status).toBe(401);
    expect((await signIn(app, { email: 'reset@test.local', password: PASSWORD })).status).toBe(401);
    expect((await signIn(app, { email: 'reset@test.local', password: 'Brand-new-pass-9' })).status).toBe(200);
  });

  test('an admin cannot deactivate themselves (409) and stays signed in', async () => {
    const meRes = await me(f.adminToken);
    const res = await request(app)
      .patch(`/api/v1/users/${meRes.body.id}`)
      .set(bearer(f.adminToken))
      .send({ active: false });
    expect(res.status).toBe(409);
    expect((await me(f.adminToken)).status).toBe(200);
  });
});

describe('what is stored', () => {
  test('tokens are stored only as SHA-256 hashes', async () => {
    const token = await tokenFor(app, ADMIN.email, ADMIN.password);
    const raw = await ApiToken.collection.find({}).toArray();
    expect(raw.length).toBeGreaterThan(0);
    expect(JSON.stringify(raw)).not.toContain(token);
    expect(JSON.stringify(raw)).not.toContain(token.slice(4));
    const hash = crypto.createHash('sha256').update(token).digest('hex');
    expect(raw.filter((r) => r.tokenHash === hash)).toHaveLength(1);
  });

  test('passwords are stored as salted scrypt hashes, never in the clear, never returned', async () => {
    const a = await makeUser(f, { email: 'salt1@test.local', role: 'reviewer' });
    await makeUser(f, { email: 'salt2@test.local', role: 'reviewer' });
    const docs = await User.collection.find({ email: { $in: ['salt1@test.local', 'salt2@test.local'] } }).toArray();
    expect(docs).toHaveLength(2);
    for (const d of docs) {
      expect(d.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(JSON.stringify(d)).not.toContain(PASSWORD);
      expect(await verifyPassword(PASSWORD, d.passwordHash)).toBe(true);
      expect(await verifyPassword('something-else-1', d.passwordHash)).toBe(false);
    }
    expect(docs[0].passwordHash).not.toBe(docs[1].passwordHash);
    const got = await request(app).get(`/api/v1/users/${a.id}`).set(bearer(f.adminToken));
    expect(JSON.stringify(got.body)).not.toMatch(/password/i);
    expect(JSON.stringify((await me(a.token)).body)).not.toMatch(/password/i);
  });
});

describe('first admin', () => {
  test('is created from ADMIN_EMAIL / ADMIN_PASSWORD exactly once', async () => {
    const admins = await User.find({ role: 'admin' }).lean();
    expect(admins.map((u) => u.email)).toEqual([ADMIN.email]);
    expect(await ensureFirstAdmin('second@test.local', 'Another-pass-123')).toBeUndefined();

    // A restart with other credentials neither adds an admin nor resets the first one's password.
    const saved = config();
    setConfig({ ...saved, ADMIN_EMAIL: 'other-admin@test.local', ADMIN_PASSWORD: 'Other-admin-pass-1' });
    try {
      await stopServices();
      await startServices();
    } finally {
      setConfig(saved);
    }
    expect(await User.countDocuments({ role: 'admin' })).toBe(1);
    expect(await User.exists({ email: 'other-admin@test.local' })).toBeNull();
    expect((await signIn(app, { email: 'other-admin@test.local', password: 'Other-admin-pass-1' })).status).toBe(401);
    expect((await signIn(app, ADMIN)).status).toBe(200);
  });

  test('a deactivated first admin is not re-created on restart', async () => {
    await User.updateOne({ email: ADMIN.email }, { $set: { active: false } });
    try {
      expect(await ensureFirstAdmin('again@test.local', 'Another-pass-123')).toBeUndefined();
      expect(await User.countDocuments({ role: 'admin' })).toBe(1);
    } finally {
      await User.updateOne({ email: ADMIN.email }, { $set: { active: true } });
    }
  });
});
