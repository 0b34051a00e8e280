import type { Express } from 'express';
import request from 'supertest';
import { startAppWorkers, type Workers } from '../server/jobs';
import { setClock } from '../server/platform/clock';
import { config, setConfig } from '../server/platform/config';
import { Delivery } from '../server/platform/mail/model';
import { PasswordReset } from '../server/users/model';
import { passwordProblem } from '../server/users/service';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { until } from './helpers/faults';
import { testSmtp, type TestSmtp } from './helpers/faults-smtp';
import { csrfFrom, makeUser, signIn } from './helpers/web';

/**
 * Passwords (SPEC §14): at least 12 characters and not on the shipped list of common passwords;
 * one's own change (current + new) ends one's other sessions and tokens; the reset link goes by
 * e-mail through a real SMTP server, answers the same for known and unknown addresses, works once
 * and for one hour, and ends every sign-in.
 */
let app: Express;
let admin: string;
let smtp: TestSmtp;
let workers: Workers;
const PASSWORD = 'Passw0rd-long-enough';

beforeAll(async () => {
  smtp = await testSmtp(() => 'accept');
  await smtp.listen();
  setConfig({ ...config(), SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Platform <no-reply@audit.example>' });
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  workers = startAppWorkers({ pollMs: 30, jobs: false, mailRetryMs: 150 });
});
afterAll(async () => {
  await workers.stop();
  await smtp.close();
  setClock(null);
  await stopTestApp();
});

const mailsTo = (to: string) => smtp.received.filter((r) => r.to.includes(to));
const tokenIn = (text: string) => /confirm#([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? '';

describe('the rule', () => {
  test('12 characters at least; common passwords refused, also with digits and signs added or another case', () => {
    expect(passwordProblem('Short-pass1')).toBe('too_short');
    for (const common of [
      'Password2026!',
      'qwertyuiop123',
      'iloveyou1234',
      '1qaz2wsx3edc',
      'woaini131452',
      'aaaaaaaaaaaaaa',
    ])
      expect(passwordProblem(common)).not.toBeNull();
    expect(passwordProblem('Xu-lan-2026-spring')).toBeNull();
    expect(passwordProblem('zhang.wei.2026', { email: 'zhang.wei@bank.cn' })).toBe('like_email');
  });

  test('creating a user with a short or common password is 422 naming the field', async () => {
    for (const password of ['Eleven-char', 'Password12345']) {
      const res = await request(app)
        .post('/api/v1/users')
        .set(bearer(admin))
        .send({ email: `weak-${password.length}@test.local`, password, name: 'Weak', role: 'auditor' });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'password' })]);
    }
  });
});

describe('changing one’s own password', () => {
  test('needs the current one; ends the other sessions and tokens, keeps the one that changed it', async () => {
    await makeUser(app, admin, { email: 'changer@test.local', role: 'reviewer' });
    const keep = await tokenFor(app, 'changer@test.local', PASSWORD);
    const other = await tokenFor(app, 'changer@test.local', PASSWORD);
    const browser = await signIn(app, 'changer@test.local', PASSWORD);
    const wrong = await request(app)
      .post('/api/v1/auth/password')
      .set(bearer(keep))
      .send({ current: 'Not-the-current-1', password: 'Brand-new-pass-2026' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details[0].field).toBe('current');
    const common = await request(app)
      .post('/api/v1/auth/password')
      .set(bearer(keep))
      .send({ current: PASSWORD, password: 'Password2026!' });
    expect(common.status).toBe(422);
    const ok = await request(app)
      .post('/api/v1/auth/password')
      .set(bearer(keep))
      .send({ current: PASSWORD, password: 'Brand-new-pass-2026' });
    expect(ok.status).toBe(204);
    expect((await request(app).get('/api/v1/me').set(bearer(keep))).status).toBe(200);
    expect((await request(app).get('/api/v1/me').set(bearer(other))).status).toBe(401);
    expect((await browser.get('/')).status).toBe(303);
    expect(
      (await request(app).post('/api/v1/auth/token').send({ email: 'changer@test.local', password: PASSWORD })).status,
    ).toBe(401);
    expect(
      (
        await request(app)
          .post('/api/v1/auth/token')
          .send({ email: 'changer@test.local', password: 'Brand-new-pass-2026' })
      ).status,
    ).toBe(200);
  });

  test('on the web the browser that changed it stays signed in; others are signed out', async () => {
    await makeUser(app, admin, { email: 'webchanger@test.local', role: 'auditor' });
    const mine = await signIn(app, 'webchanger@test.local', PASSWORD);
    const elsewhere = await signIn(app, 'webchanger@test.local', PASSWORD);
    const page = await mine.get('/account');
    expect(page.text).toContain('/account/password');
    const res = await mine
      .post('/account/password')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        current: PASSWORD,
        password: 'Web-new-pass-2026',
        confirm: 'Web-new-pass-2026',
      });
    expect(res.status).toBe(303);
    expect((await mine.get('/account')).status).toBe(200);
    expect((await elsewhere.get('/account')).status).toBe(303);
  });
});

describe('the reset link', () => {
  test('the same answer for a known and an unknown address; only the known one gets an e-mail', async () => {
    await makeUser(app, admin, { email: 'forgetful.auditor@test.local', role: 'auditor' });
    const known = await request(app)
      .post('/api/v1/auth/password-reset')
      .send({ email: 'forgetful.auditor@test.local' });
    const unknown = await request(app).post('/api/v1/auth/password-reset').send({ email: 'nobody@test.local' });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    await until('the reset e-mail', async () => mailsTo('forgetful.auditor@test.local').length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo('nobody@test.local')).toHaveLength(0);
    const mail = mailsTo('forgetful.auditor@test.local')[0].mail;
    expect(mail.text).toContain('/password-reset/confirm#');
    // The link's token is not stored as such: only its hash, and sealed until the e-mail left.
    const token = tokenIn(mail.text ?? '');
    const rec = await PasswordReset.findOne({}).sort({ _id: -1 }).lean();
    expect(JSON.stringify(rec)).not.toContain(token);
  });

  test('the link sets a new password once, ends every sign-in, and is dead afterwards', async () => {
    await makeUser(app, admin, { email: 'resetme@test.local', role: 'reviewer' });
    const before = await tokenFor(app, 'resetme@test.local', PASSWORD);
    const browser = await signIn(app, 'resetme@test.local', PASSWORD);
    await request(app).post('/api/v1/auth/password-reset').send({ email: 'resetme@test.local' }).expect(202);
    await until('the reset e-mail', async () => mailsTo('resetme@test.local').length === 1, 15_000);
    const token = tokenIn(mailsTo('resetme@test.local')[0].mail.text ?? '');
    // The page the link opens; the token travels after '#', so the form takes it from the page's script.
    const page = request.agent(app);
    const form = await page.get('/password-reset/confirm');
    expect(form.text).toContain('/static/password-reset.js');
    const weak = await page
      .post('/password-reset/confirm')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), token, password: 'qwertyuiop123', confirm: 'qwertyuiop123' });
    expect(weak.status).toBe(422);
    const done = await page
      .post('/password-reset/confirm')
      .type('form')
      .send({ _csrf: csrfFrom(weak.text), token, password: 'After-reset-2026', confirm: 'After-reset-2026' });
    expect(done.status).toBe(200);
    expect((await request(app).get('/api/v1/me').set(bearer(before))).status).toBe(401);
    expect((await browser.get('/')).status).toBe(303);
    expect(await tokenFor(app, 'resetme@test.local', 'After-reset-2026')).toMatch(/^mst_/);
    const again = await request(app)
      .post('/api/v1/auth/password-reset/confirm')
      .send({ token, password: 'Third-pass-2026x' });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('invalid_reset_token');
  });

  test('a link is dead after one hour', async () => {
    await makeUser(app, admin, { email: 'late@test.local', role: 'auditor' });
    await request(app).post('/api/v1/auth/password-reset').send({ email: 'late@test.local' }).expect(202);
    await until('the reset e-mail', async () => mailsTo('late@test.local').length === 1, 15_000);
    const token = tokenIn(mailsTo('late@test.local')[0].mail.text ?? '');
    setClock(new Date(Date.now() + 61 * 60_000));
    try {
      const res = await request(app)
        .post('/api/v1/auth/password-reset/confirm')
        .send({ token, password: 'Too-late-pass-2026' });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('invalid_reset_token');
    } finally {
      setClock(null);
    }
    expect(
      (await request(app).post('/api/v1/auth/token').send({ email: 'late@test.local', password: PASSWORD })).status,
    ).toBe(200);
    expect(
      await Delivery.countDocuments({ kind: 'password_reset', recipient: 'late@test.local', status: 'sent' }),
    ).toBe(1);
  });
});

describe('the first admin', () => {
  test('a common ADMIN_PASSWORD stops the start with a sentence naming it', async () => {
    const { ensureFirstAdmin } = await import('../server/users/service');
    const { User } = await import('../server/users/model');
    await User.updateMany({ role: 'admin' }, { $set: { role: 'reviewer' } });
    try {
      await expect(ensureFirstAdmin('second.admin@test.local', 'Password2026!')).rejects.toMatchObject({
        code: 'admin_password_refused',
        message: expect.stringMatching(/ADMIN_PASSWORD is refused: is a commonly used password/),
      });
    } finally {
      await User.updateMany({ email: ADMIN.email }, { $set: { role: 'admin' } });
    }
  });
});
