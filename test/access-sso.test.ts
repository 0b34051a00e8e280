import type { Express } from 'express';
import request from 'supertest';
import { BankSso } from '../server/auth/sso/model';
import { ssoRedirectUri } from '../server/auth/service';
import { AuditEntry } from '../server/audit/model';
import { SessionRecord } from '../server/platform/db/session-store';
import { User } from '../server/users/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { startIdp, type TestIdp } from './helpers/oidc';
import { csrfFrom, makeBank, makeBranch, makeUser } from './helpers/web';

/**
 * Sign-in with a bank's own OpenID Connect provider (SPEC §14), against a real provider
 * (oidc-provider) in its own process: the happy path, a wrong issuer, an unknown e-mail, an
 * unverified e-mail, a replayed or forwarded answer, a user of another bank, an identity that
 * changed at the provider — and "SSO required" refusing passwords. No mock anywhere.
 */
let app: Express;
let idp: TestIdp;
let admin: string;
let bankId: string;
let otherBankId: string;
const PASSWORD = 'Passw0rd-long-enough';

beforeAll(async () => {
  app = await startTestApp();
  idp = await startIdp(ssoRedirectUri());
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  bankId = (await makeBank(app, admin, 'JNSSO', '江南商业银行')).id;
  otherBankId = (await makeBank(app, admin, 'HBSSO', 'Harbour Bank')).id;
  await makeBranch(app, admin, bankId, 'JN01', '华东区');
  await makeUser(app, admin, { email: 'manager@jn.example.cn', role: 'bank_manager', bankId, scope: { type: 'bank' } });
  await makeUser(app, admin, { email: 'hr@jn.example.cn', role: 'hr', bankId, scope: { type: 'bank' } });
  await makeUser(app, admin, {
    email: 'manager@hb.example.com',
    role: 'bank_manager',
    bankId: otherBankId,
    scope: { type: 'bank' },
  });
  await putSettings({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    required: false,
  }).expect(200);
}, 60_000);

afterAll(async () => {
  await idp?.stop();
  await stopTestApp();
});

const putSettings = (body: Record<string, unknown>, id = bankId) =>
  request(app).put(`/api/v1/banks/${id}/sso`).set(bearer(admin)).send(body);

/** Starts at the app's SSO page, goes through the provider, and brings its answer back to the app. */
async function ssoSignIn(account: { sub: string; email: string; email_verified: boolean }, bankCode = 'JNSSO') {
  const agent = request.agent(app);
  const page = await agent.get('/login/sso');
  const start = await agent
    .post('/login/sso')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), bankCode, next: '/results' });
  if (start.status !== 303) return { agent, start, callback: null as null | request.Response, callbackPath: '' };
  expect(start.headers.location.startsWith(`${idp.issuer}/`)).toBe(true);
  const authUrl = new URL(start.headers.location);
  expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authUrl.searchParams.get('state')).toBeTruthy();
  expect(authUrl.searchParams.get('nonce')).toBeTruthy();
  await idp.nextLogin(account);
  const callbackPath = await idp.authorize(start.headers.location);
  expect(callbackPath.startsWith('/login/sso/callback?')).toBe(true);
  const callback = await agent.get(callbackPath);
  return { agent, start, callback, callbackPath };
}

const failures = async (email: string) =>
  (await AuditEntry.find({ action: 'auth.sign_in_failed', note: /^sso: / }).lean()).filter(
    (e) => e.target.label === email,
  );

describe('settings', () => {
  test('the client secret is stored sealed and never returned', async () => {
    const res = await request(app).get(`/api/v1/banks/${bankId}/sso`).set(bearer(admin));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      configured: true,
      issuer: idp.issuer,
      clientId: idp.clientId,
      hasClientSecret: true,
      required: false,
    });
    expect(JSON.stringify(res.body)).not.toContain(idp.clientSecret);
    expect(res.body.redirectUri).toBe(ssoRedirectUri());
    const stored = await BankSso.findById(bankId).lean();
    expect(stored!.clientSecret).not.toContain(idp.clientSecret);
    expect(stored!.clientSecret).toMatch(/^v1\./);
    const change = await AuditEntry.findOne({ action: 'bank.sso_changed', 'target.id': bankId }).lean();
    expect(change!.after).not.toContain(idp.clientSecret);
  });

  test('a plain-http issuer away from this machine is refused', async () => {
    const res = await putSettings({ issuer: 'http://idp.example-bank.cn', clientId: 'x', clientSecret: 'y' });
    expect(res.status).toBe(422);
    expect(res.body.error.details[0].field).toBe('issuer');
  });
});

describe('signing in with the bank’s provider', () => {
  test('happy path: a verified e-mail of a user of this bank signs in (authorization code + PKCE), then is tied to that identity', async () => {
    const { agent, callback } = await ssoSignIn({
      sub: 'jn-0001',
      email: 'Manager@JN.example.cn',
      email_verified: true,
    });
    expect(callback!.status).toBe(303);
    expect(callback!.headers.location).toBe('/results');
    expect((await agent.get('/results')).status).toBe(200);
    const user = await User.findOne({ email: 'manager@jn.example.cn' }).lean();
    expect(user!.sso).toMatchObject({ issuer: idp.issuer, subject: 'jn-0001' });
    const sessions = await SessionRecord.find({ userId: String(user!._id) }).lean();
    expect(sessions.map((s) => s.method)).toEqual(['sso']);
    const entry = await AuditEntry.findOne({ action: 'auth.sign_in', actorId: String(user!._id) }).lean();
    expect(JSON.parse(entry!.after as string)).toMatchObject({ method: 'sso', channel: 'web' });
  });

  test('the bank code is remembered: the sign-in page offers the bank’s button next time', async () => {
    const { agent } = await ssoSignIn({ sub: 'jn-0001', email: 'manager@jn.example.cn', email_verified: true });
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfFrom((await agent.get('/account')).text) });
    expect((await agent.get('/login')).text).toContain('name="bankCode" value="JNSSO"');
  });

  test('a wrong issuer (the provider names itself otherwise) is refused before anyone is sent there', async () => {
    await putSettings({ issuer: `http://localhost:${idp.port}`, clientId: idp.clientId, required: false }).expect(200);
    try {
      const { start } = await ssoSignIn({ sub: 'jn-0001', email: 'manager@jn.example.cn', email_verified: true });
      expect(start.status).toBe(401);
      expect(start.headers['set-cookie'] ?? []).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/^msa\.sid=/)]),
      );
    } finally {
      await putSettings({ issuer: idp.issuer, clientId: idp.clientId, required: false }).expect(200);
    }
  });

  test('an e-mail nobody here has is refused, and so is a user of another bank', async () => {
    const stranger = await ssoSignIn({ sub: 'jn-0404', email: 'stranger@jn.example.cn', email_verified: true });
    expect(stranger.callback!.status).toBe(401);
    expect(stranger.callback!.text).toContain('没有与您的电子邮箱对应的账户');
    const other = await ssoSignIn({ sub: 'jn-0405', email: 'manager@hb.example.com', email_verified: true });
    expect(other.callback!.status).toBe(401);
    // The audit firm's own accounts can never be reached through a bank's provider.
    const firm = await ssoSignIn({ sub: 'jn-0406', email: ADMIN.email, email_verified: true });
    expect(firm.callback!.status).toBe(401);
    expect((await firm.agent.get('/admin/users')).status).toBe(303);
    expect(await failures('stranger@jn.example.cn')).toHaveLength(1);
  });

  test('an e-mail the provider has not verified is refused', async () => {
    const { agent, callback } = await ssoSignIn({ sub: 'jn-0002', email: 'hr@jn.example.cn', email_verified: false });
    expect(callback!.status).toBe(401);
    expect((await agent.get('/hr/scorecards')).status).toBe(303);
    expect((await failures('hr@jn.example.cn')).map((e) => e.note)).toEqual(['sso: email_not_verified']);
  });

  test('a replayed answer signs nobody in: not in the same browser, not in another one', async () => {
    const first = await ssoSignIn({ sub: 'jn-0003', email: 'hr@jn.example.cn', email_verified: true });
    expect(first.callback!.status).toBe(303);
    // Another browser with the same answer (a leaked or forwarded URL): the state is not its own.
    const elsewhere = await request(app).get(first.callbackPath);
    expect(elsewhere.status).toBe(401);
    // The same answer again with the state cookie put back: the state was used up.
    const state = new URL(first.callbackPath, 'http://x').searchParams.get('state') as string;
    const again = await request(app).get(first.callbackPath).set('Cookie', `msa.sso_state=${state}`);
    expect(again.status).toBe(401);
    expect(again.text).toContain('已被使用或已过期');
    expect(again.headers['set-cookie'] ?? []).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^msa\.sid=/)]),
    );
  });

  test('an account tied to one identity is not taken over by another identity with the same e-mail', async () => {
    const { callback } = await ssoSignIn({ sub: 'jn-9999', email: 'manager@jn.example.cn', email_verified: true });
    expect(callback!.status).toBe(401);
    expect(callback!.text).toContain('另一身份');
  });
});

describe('SSO required', () => {
  beforeAll(async () => {
    await putSettings({ issuer: idp.issuer, clientId: idp.clientId, required: true }).expect(200);
  });

  test('passwords are refused for the bank’s users on the API and the web, even the right one', async () => {
    const api = await request(app).post('/api/v1/auth/token').send({ email: 'hr@jn.example.cn', password: PASSWORD });
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe('sso_required');
    const wrong = await request(app)
      .post('/api/v1/auth/token')
      .send({ email: 'hr@jn.example.cn', password: 'Not-the-password-1' });
    expect(wrong.body.error.code).toBe('invalid_credentials'); // nothing revealed without the password
    const agent = request.agent(app);
    const page = await agent.get('/login');
    const web = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: 'hr@jn.example.cn', password: PASSWORD });
    expect(web.status).toBe(401);
    expect(web.text).toContain('本行账号登录');
    // Another bank's users, and the audit firm, still use passwords.
    expect(
      (await request(app).post('/api/v1/auth/token').send({ email: 'manager@hb.example.com', password: PASSWORD }))
        .status,
    ).toBe(200);
  });

  test('the bank’s users still sign in through the provider', async () => {
    const { callback } = await ssoSignIn({ sub: 'jn-0003', email: 'hr@jn.example.cn', email_verified: true });
    expect(callback!.status).toBe(303);
  });
});
