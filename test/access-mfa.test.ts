import type { Express } from 'express';
import { generate } from 'otplib';
import request from 'supertest';
import { setClock } from '../server/platform/clock';
import { config, setConfig } from '../server/platform/config';
import { SessionRecord } from '../server/platform/db/session-store';
import { seal } from '../server/platform/secrets';
import { User } from '../server/users/model';
import { IdempotencyRecord } from '../server/platform/db/idempotency';
import { acceptTotp } from '../server/users/service';
import { ADMIN, bearer, startTestApp, stopTestApp } from './helpers/app';
import { csrfFrom } from './helpers/web';

/**
 * The second factor (SPEC §14) with MFA_REQUIRED_ROLES=admin,reviewer and a business clock that
 * only moves when the test says so: RFC 6238's own test vector, enrolment over the API (the 401 that
 * carries an enrolment-only token) and on the web (forced at first sign-in), codes never accepted
 * twice, recovery codes used once, the per-user limit on codes, and an admin's reset.
 */
let app: Express;
let clock = Date.UTC(2026, 11, 1, 2, 0, 0);
const tick = (steps = 1) => {
  clock += steps * 30_000;
};
const epoch = () => Math.floor(clock / 1000);
const codeFor = (secret: string) => generate({ secret, epoch: epoch() });
const signIn = (body: Record<string, unknown>) => request(app).post('/api/v1/auth/token').send(body);

let adminToken = '';
let adminSecret = '';

beforeAll(async () => {
  // The sign-in limit per address and e-mail is raised here, so that the per-user limit on codes is what answers 429.
  setConfig({ ...config(), MFA_REQUIRED_ROLES: ['admin', 'reviewer'], LOGIN_RATE_LIMIT: 1000 });
  setClock(() => new Date(clock));
  app = await startTestApp();
});
afterAll(async () => {
  setClock(null);
  await stopTestApp();
});

async function newUser(email: string, role: string): Promise<void> {
  const res = await request(app)
    .post('/api/v1/users')
    .set(bearer(adminToken))
    .send({ email, password: 'Second-factor-pass-1', name: email, role });
  expect(res.status).toBe(201);
}

describe('TOTP at a fixed time', () => {
  test("RFC 6238's test vector is accepted at its time, once, and not two steps later", async () => {
    // RFC 6238 appendix B: secret "12345678901234567890" (SHA-1), T = 1111111109 s → 07081804; six digits: 081804.
    const u = await User.findOne({ email: ADMIN.email });
    await User.updateOne(
      { _id: u!._id },
      { $set: { mfa: { secret: seal('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'totp-secret'), enabledAt: new Date() } } },
    );
    const saved = clock;
    try {
      clock = 1111111109_000;
      expect(await acceptTotp(String(u!._id), '081804')).toBe(true);
      expect(await acceptTotp(String(u!._id), '081804')).toBe(false); // the same code twice: refused
      clock = 1111111109_000 + 90_000;
      expect(await acceptTotp(String(u!._id), '081804')).toBe(false); // three steps on: expired
    } finally {
      clock = saved;
      await User.updateOne({ _id: u!._id }, { $unset: { mfa: 1 } });
    }
  });
});

describe('the API', () => {
  test('an admin without a factor gets 401 mfa_required with a token that may only enrol one', async () => {
    const first = await signIn(ADMIN);
    expect(first.status).toBe(401);
    expect(first.body.error.code).toBe('mfa_required');
    expect(first.body.token).toBeUndefined();
    const enrolToken = first.body.error.details[0].enrollmentToken as string;
    expect(enrolToken).toMatch(/^mst_/);
    // Good for nothing else.
    const users = await request(app).get('/api/v1/users').set(bearer(enrolToken));
    expect(users.status).toBe(401);
    expect(users.body.error.code).toBe('mfa_enrollment_required');

    const enrol = await request(app).post('/api/v1/auth/mfa/enroll').set(bearer(enrolToken));
    expect(enrol.status).toBe(200);
    expect(enrol.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/.+\?secret=[A-Z2-7]+&issuer=/);
    adminSecret = enrol.body.secret;
    const wrong = await request(app).post('/api/v1/auth/mfa/verify').set(bearer(enrolToken)).send({ code: '000000' });
    expect(wrong.status).toBe(422);
    const ok = await request(app)
      .post('/api/v1/auth/mfa/verify')
      .set(bearer(enrolToken))
      .send({ code: await codeFor(adminSecret) });
    expect(ok.status).toBe(200);
    expect(ok.body.recoveryCodes).toHaveLength(10);
    expect(new Set(ok.body.recoveryCodes).size).toBe(10);
    // The enrolment token has done its job.
    expect((await request(app).get('/api/v1/me').set(bearer(enrolToken))).status).toBe(401);
    // Stored: the secret sealed, the recovery codes only as hashes.
    const stored = await User.findOne({ email: ADMIN.email }).lean();
    expect(stored!.mfa!.secret).not.toContain(adminSecret);
    expect(JSON.stringify(stored!.mfa)).not.toContain(ok.body.recoveryCodes[0]);

    tick();
    const noCode = await signIn(ADMIN);
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe('mfa_required');
    expect(noCode.body.error.details[0].enrollmentToken).toBeUndefined();
    const bad = await signIn({ ...ADMIN, totp: '123456' });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('mfa_invalid');
    const code = await codeFor(adminSecret);
    const good = await signIn({ ...ADMIN, totp: code });
    expect(good.status).toBe(200);
    adminToken = good.body.token;
    // The same code again, still inside its 30 s: refused.
    const replay = await signIn({ ...ADMIN, totp: code });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('mfa_invalid');

    const recovery = ok.body.recoveryCodes[3] as string;
    const withRecovery = await signIn({ ...ADMIN, recoveryCode: recovery.toUpperCase() });
    expect(withRecovery.status).toBe(200);
    expect((await signIn({ ...ADMIN, recoveryCode: recovery })).status).toBe(401);
    const status = await request(app).get('/api/v1/auth/mfa').set(bearer(adminToken));
    expect(status.body).toMatchObject({ enabled: true, recoveryCodesLeft: 9, required: true });
  });

  test('a role that does not require it signs in with a password until its user sets a factor up; then always with one', async () => {
    await newUser('auditor.mfa@test.local', 'auditor');
    const plain = await signIn({ email: 'auditor.mfa@test.local', password: 'Second-factor-pass-1' });
    expect(plain.status).toBe(200);
    const token = plain.body.token as string;
    const { secret } = (await request(app).post('/api/v1/auth/mfa/enroll').set(bearer(token))).body;
    tick();
    const verify = await request(app)
      .post('/api/v1/auth/mfa/verify')
      .set(bearer(token))
      .send({ code: await codeFor(secret) });
    expect(verify.status).toBe(200);
    expect((await signIn({ email: 'auditor.mfa@test.local', password: 'Second-factor-pass-1' })).body.error.code).toBe(
      'mfa_required',
    );
    tick();
    const off = await request(app)
      .post('/api/v1/auth/mfa/disable')
      .set(bearer(token))
      .send({ code: await codeFor(secret) });
    expect(off.status).toBe(204);
    expect((await signIn({ email: 'auditor.mfa@test.local', password: 'Second-factor-pass-1' })).status).toBe(200);
  });

  test('recovery codes are never kept for an idempotent replay', async () => {
    await newUser('auditor.idem@test.local', 'auditor');
    const token = (await signIn({ email: 'auditor.idem@test.local', password: 'Second-factor-pass-1' })).body.token;
    const { secret } = (
      await request(app).post('/api/v1/auth/mfa/enroll').set(bearer(token)).set('Idempotency-Key', 'e1')
    ).body;
    tick();
    const res = await request(app)
      .post('/api/v1/auth/mfa/verify')
      .set(bearer(token))
      .set('Idempotency-Key', 'k1')
      .send({ code: await codeFor(secret) });
    expect(res.status).toBe(200);
    const renewed = await request(app)
      .post('/api/v1/auth/mfa/recovery-codes')
      .set(bearer(token))
      .set('Idempotency-Key', 'k2');
    expect(renewed.body.recoveryCodes).toHaveLength(10);
    const kept = await IdempotencyRecord.find({ key: { $in: ['e1', 'k1', 'k2'] } }).lean();
    expect(kept).toEqual([]);
  });

  test('an admin cannot turn the factor off: the role requires it', async () => {
    tick();
    const res = await request(app)
      .post('/api/v1/auth/mfa/disable')
      .set(bearer(adminToken))
      .send({ code: await codeFor(adminSecret) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('mfa_required_for_role');
  });

  test('after ten wrong codes in a quarter of an hour the next is refused unread (429), the right one included', async () => {
    await newUser('reviewer.limit@test.local', 'reviewer');
    const who = { email: 'reviewer.limit@test.local', password: 'Second-factor-pass-1' };
    const enrolToken = (await signIn(who)).body.error.details[0].enrollmentToken;
    const { secret } = (await request(app).post('/api/v1/auth/mfa/enroll').set(bearer(enrolToken))).body;
    tick();
    await request(app)
      .post('/api/v1/auth/mfa/verify')
      .set(bearer(enrolToken))
      .send({ code: await codeFor(secret) })
      .expect(200);
    tick();
    // Right codes do not count against the limit.
    expect((await signIn({ ...who, totp: await codeFor(secret) })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await signIn({ ...who, totp: String(100000 + i) })).status).toBe(401);
    tick();
    const right = await signIn({ ...who, totp: await codeFor(secret) });
    expect(right.status).toBe(429);
    expect(right.body.error.message).toMatch(/codes/);
  });

  test("an admin's reset: the user enrols again at the next sign-in, and their tokens stop working", async () => {
    await newUser('reviewer.reset@test.local', 'reviewer');
    const first = await signIn({ email: 'reviewer.reset@test.local', password: 'Second-factor-pass-1' });
    const enrolToken = first.body.error.details[0].enrollmentToken;
    const { secret } = (await request(app).post('/api/v1/auth/mfa/enroll').set(bearer(enrolToken))).body;
    tick();
    await request(app)
      .post('/api/v1/auth/mfa/verify')
      .set(bearer(enrolToken))
      .send({ code: await codeFor(secret) })
      .expect(200);
    tick();
    const full = await signIn({
      email: 'reviewer.reset@test.local',
      password: 'Second-factor-pass-1',
      totp: await codeFor(secret),
    });
    expect(full.status).toBe(200);
    const me = await request(app).get('/api/v1/me').set(bearer(full.body.token));
    const reset = await request(app).delete(`/api/v1/users/${me.body.id}/mfa`).set(bearer(adminToken));
    expect(reset.status).toBe(204);
    expect((await request(app).get('/api/v1/me').set(bearer(full.body.token))).status).toBe(401);
    const again = await signIn({ email: 'reviewer.reset@test.local', password: 'Second-factor-pass-1' });
    expect(again.body.error.details[0].enrollmentToken).toMatch(/^mst_/);
    expect((await request(app).delete(`/api/v1/users/${me.body.id}/mfa`).set(bearer(adminToken))).status).toBe(404);
  });
});

describe('the web', () => {
  const secretOf = (html: string) =>
    (/<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1] ?? '').replace(/ /g, '');

  test('a reviewer is made to set up the factor at the first sign-in, then signs in with a code', async () => {
    await newUser('reviewer.web@test.local', 'reviewer');
    const agent = request.agent(app);
    const login = await agent.get('/login');
    const first = await agent
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfFrom(login.text),
        email: 'reviewer.web@test.local',
        password: 'Second-factor-pass-1',
        next: '/review',
      });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/login/mfa/enroll');
    // Half signed in: no page but the enrolment.
    expect((await agent.get('/review')).status).toBe(303);
    const page = await agent.get('/login/mfa/enroll');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<svg');
    const secret = secretOf(page.text);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // A reload shows the same secret (the phone has scanned it already).
    expect(secretOf((await agent.get('/login/mfa/enroll')).text)).toBe(secret);
    tick();
    const done = await agent
      .post('/login/mfa/enroll')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), code: await codeFor(secret) });
    expect(done.status).toBe(200);
    expect((done.text.match(/<li><code>[a-z2-9-]{19}<\/code><\/li>/g) ?? []).length).toBe(10);
    expect((await agent.get('/review')).status).toBe(200);

    const second = request.agent(app);
    const login2 = await second.get('/login');
    const step1 = await second
      .post('/login')
      .type('form')
      .send({
        _csrf: csrfFrom(login2.text),
        email: 'reviewer.web@test.local',
        password: 'Second-factor-pass-1',
        next: '/review',
      });
    expect(step1.headers.location).toBe('/login/mfa');
    const form = await second.get('/login/mfa');
    const wrong = await second
      .post('/login/mfa')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), code: '000000' });
    expect(wrong.status).toBe(401);
    tick();
    const right = await second
      .post('/login/mfa')
      .type('form')
      .send({ _csrf: csrfFrom(wrong.text), code: await codeFor(secret) });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/review');
    expect((await second.get('/review')).status).toBe(200);
    const me = await User.findOne({ email: 'reviewer.web@test.local' }).lean();
    const sessions = await SessionRecord.find({ userId: String(me!._id) }).lean();
    expect(sessions.map((s) => s.method).sort()).toEqual(['password+mfa', 'password+mfa']);
  });
});
