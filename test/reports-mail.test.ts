import type { Express } from 'express';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { startAppWorkers, type Workers } from '../server/jobs';
import { Delivery } from '../server/platform/mail/model';
import { Report } from '../server/publishing/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { until } from './helpers/faults';
import { testSmtp, type TestSmtp } from './helpers/faults-smtp';
import { CLOSE_Q, reportWorld, type ReportWorld } from './helpers/reports';

/**
 * Report e-mails through a real SMTP server started here (smtp-server), parsed with mailparser:
 * recipients, subject, attachment or link; failures retried with backoff and delivered exactly once;
 * a send interrupted by a crash retried with the same Message-ID; an admin's explicit re-send.
 */
let app: Express;
let admin: string;
let world: ReportWorld;
let reportId: string;
let smtp: TestSmtp;
let mode: 'accept' | 'reject' = 'accept';
let workers: Workers | undefined;

const copiesOf = (messageId: string) => smtp.received.filter((r) => r.mail.messageId === messageId).length;
const deliveriesOf = async () =>
  (await request(app).get(`/api/v1/reports/${reportId}/deliveries`).set(bearer(admin))).body as {
    id: string;
    recipient: string;
    status: string;
    attempts: number;
    lastError?: string;
    sentAt?: string;
    messageId: string;
    history: { kind: string; ok: boolean; error?: string; messageId: string }[];
  }[];
const mailWorker = (extra: Parameters<typeof startAppWorkers>[0] = {}) =>
  startAppWorkers({ pollMs: 30, jobs: false, mailRetryMs: 150, ...extra });

beforeAll(async () => {
  // The shared test SMTP server: refuses every message for now (451) while `mode` says so.
  smtp = await testSmtp(() => mode);
  await smtp.listen();
  setConfig({
    ...config(),
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Audit Reports <reports@audit.example>',
  });
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  world = await reportWorld(app, admin);
  const res = await request(app).post(`/api/v1/banks/${world.bankId}/quarters/${CLOSE_Q}/close`).set(bearer(admin));
  reportId = res.body.reportId;
  const jobs = startAppWorkers({ pollMs: 30, mail: false });
  await until('the report', async () => (await Report.findById(reportId).lean())?.status === 'ready', 60_000);
  await jobs.stop();
});

afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  mode = 'accept';
});

afterAll(async () => {
  await stopTestApp();
  await smtp.close();
});

test("each recipient gets the bank report in the bank's language, once", async () => {
  workers = mailWorker();
  await until('two mails', () => smtp.received.length >= 2);
  // The worker records "sent" once the SMTP server has accepted, so the record may trail the mail a little.
  await until('both recorded', async () => (await deliveriesOf()).every((d) => d.status !== 'pending'));
  const list = await deliveriesOf();
  expect(list.map((d) => [d.recipient, d.status, d.attempts])).toEqual([
    ['audit@jn.example.cn', 'sent', 1],
    ['head@jn.example.cn', 'sent', 1],
  ]);
  expect(smtp.received.map((r) => r.to[0]).sort()).toEqual(['audit@jn.example.cn', 'head@jn.example.cn']);
  const mail = smtp.received.find((r) => r.to[0] === 'head@jn.example.cn')?.mail as ParsedMail;
  expect(mail.subject).toBe(`【江南商业银行】${CLOSE_Q} 神秘顾客暗访报告（第 1 版）`);
  expect(mail.text).toContain('全行报告见附件');
  expect(mail.from?.text).toContain('reports@audit.example');
  expect(mail.attachments).toHaveLength(1);
  expect(mail.attachments[0].contentType).toBe('application/pdf');
  expect(mail.attachments[0].filename).toBe(`江南商业银行_${CLOSE_Q}_v1_全行报告.pdf`);
  expect(mail.attachments[0].content.subarray(0, 5).toString()).toBe('%PDF-');
  expect(mail.messageId).toBe(list.find((d) => d.recipient === 'head@jn.example.cn')?.messageId);
  // Nothing is sent again by the worker once sent.
  await new Promise((r) => setTimeout(r, 400));
  expect(smtp.received).toHaveLength(2);
});

test('an SMTP rejection is retried with backoff and then delivered exactly once', async () => {
  mode = 'reject';
  const res = await request(app)
    .post(`/api/v1/reports/${reportId}/deliveries/resend`)
    .set(bearer(admin))
    .send({ recipient: 'head@jn.example.cn' });
  expect(res.status).toBe(202);
  const before = smtp.received.length;
  workers = mailWorker();
  await until(
    'two failed attempts',
    async () =>
      ((await Delivery.findOne({ recipient: 'head@jn.example.cn' }).lean())?.attempts.filter((a) => !a.ok).length ??
        0) >= 2,
  );
  const failing = (await deliveriesOf()).find((d) => d.recipient === 'head@jn.example.cn');
  expect(failing?.status).toBe('pending');
  expect(failing?.lastError).toContain('mailbox busy');
  mode = 'accept';
  await until(
    'the delivery',
    async () => (await Delivery.findOne({ recipient: 'head@jn.example.cn' }).lean())?.status === 'sent',
  );
  await new Promise((r) => setTimeout(r, 400));
  const done = (await deliveriesOf()).find((d) => d.recipient === 'head@jn.example.cn');
  expect(smtp.received.length - before).toBe(1);
  expect(copiesOf(done?.messageId as string)).toBe(1);
  // The explicit re-send is a new message; every failed try of it carried the same Message-ID.
  const resent = done?.history.filter((h) => h.kind === 'resend') ?? [];
  expect(resent.length).toBeGreaterThanOrEqual(3);
  expect(new Set(resent.map((h) => h.messageId))).toEqual(new Set([done?.messageId]));
  expect(done?.messageId).not.toBe(done?.history[0].messageId);
});

test('a stopped SMTP server: attempts fail, and after it is back the mail goes out once', async () => {
  await smtp.close();
  await request(app)
    .post(`/api/v1/reports/${reportId}/deliveries/resend`)
    .set(bearer(admin))
    .send({ recipient: 'audit@jn.example.cn' })
    .expect(202);
  const before = smtp.received.length;
  workers = mailWorker();
  await until(
    'a failed attempt',
    async () => ((await Delivery.findOne({ recipient: 'audit@jn.example.cn' }).lean())?.lastError ?? '') !== '',
  );
  expect((await Delivery.findOne({ recipient: 'audit@jn.example.cn' }).lean())?.lastError).toMatch(
    /ECONNREFUSED|connect/i,
  );
  await smtp.listen();
  await until(
    'the delivery',
    async () => (await Delivery.findOne({ recipient: 'audit@jn.example.cn' }).lean())?.status === 'sent',
  );
  await new Promise((r) => setTimeout(r, 400));
  expect(smtp.received.length - before).toBe(1);
});

test('a send interrupted by a crash is retried with the same Message-ID and recorded as interrupted', async () => {
  const d = await Delivery.findOne({ recipient: 'head@jn.example.cn' }).lean();
  // The state a worker leaves when it dies between taking the lease and recording the result.
  await Delivery.updateOne(
    { _id: d?._id },
    { $set: { status: 'sending', lockedBy: 'dead-instance', lockedUntil: new Date(Date.now() - 1000) } },
  );
  const messageId = (await deliveriesOf()).find((x) => x.recipient === 'head@jn.example.cn')?.messageId as string;
  const before = copiesOf(messageId);
  workers = mailWorker();
  await until('the retry', async () => (await Delivery.findOne({ _id: d?._id }).lean())?.status === 'sent');
  const after = (await deliveriesOf()).find((x) => x.recipient === 'head@jn.example.cn');
  const last = after?.history.slice(-2) ?? [];
  expect(last[0]).toMatchObject({ ok: false, messageId });
  expect(last[0].error).toContain('interrupted');
  expect(last[1]).toMatchObject({ ok: true, messageId });
  expect(copiesOf(messageId)).toBe(before + 1);
});

test('re-send API: admin only, known recipients only, and a large report goes as a link', async () => {
  const head = await request(app)
    .post('/api/v1/users')
    .set(bearer(admin))
    .send({
      email: 'head@jn.test',
      password: 'Head-pass-12345',
      name: 'head',
      role: 'bank_manager',
      bankId: world.bankId,
      scope: { type: 'bank' },
    });
  expect(head.status).toBe(201);
  const headToken = await tokenFor(app, 'head@jn.test', 'Head-pass-12345');
  expect(
    (await request(app).post(`/api/v1/reports/${reportId}/deliveries/resend`).set(bearer(headToken)).send({})).status,
  ).toBe(403);
  expect(
    (
      await request(app)
        .post(`/api/v1/reports/${reportId}/deliveries/resend`)
        .set(bearer(admin))
        .send({ recipient: 'stranger@evil.example' })
    ).status,
  ).toBe(404);
  expect(
    (
      await request(app)
        .post(`/api/v1/reports/${reportId}/deliveries/resend`)
        .set(bearer(admin))
        .send({ recipient: 'not an address' })
    ).status,
  ).toBe(422);

  const before = smtp.received.length;
  const all = await request(app).post(`/api/v1/reports/${reportId}/deliveries/resend`).set(bearer(admin)).send({});
  expect(all.status).toBe(202);
  workers = mailWorker({ attachMaxBytes: 1000 });
  await until('two more mails', () => smtp.received.length >= before + 2);
  const mail = smtp.received[smtp.received.length - 1].mail;
  expect(mail.attachments).toHaveLength(0);
  expect(mail.text).toContain(`/reports/${reportId}/files/bank`);
});
