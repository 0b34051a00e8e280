import type { Express } from 'express';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { config } from '../server/platform/config';
import { Delivery } from '../server/platform/mail/model';
import { startTestApp, stopTestApp } from './helpers/app';
import { bearer } from './helpers/app';
import { api, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { spawnWorker, until, type WorkerProcess } from './helpers/faults';
import { testSmtp, type TestSmtp, type Verdict } from './helpers/faults-smtp';
import { ANSWERS } from './helpers/visits';

/**
 * Fault: a burst of compliance alerts, and the worker sending them side by side is killed with -9
 * while several of its messages are on the wire. The worker (the app's own startAppWorkers in a process
 * of its own: the follower raises the alerts, the outbox sends them, four at a time) talks to a real
 * SMTP server (smtp-server). Once a few alerts went out, the server stops answering: every message
 * that arrives is held unanswered, and once the accepted ones are recorded as sent the worker is
 * killed. A second worker takes the interrupted deliveries over when their leases run out. Then:
 * every alert reached every recipient exactly once, under the Message-ID it was first sent with.
 */
jest.setTimeout(300_000);

const RECIPIENTS = ['compliance@fa1.example.cn', 'risk@fa1.example.cn'];
const VISITS = 8;
const VIOLATING = ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a));
const WORKER_OPTIONS = { pollMs: 50, sendLeaseMs: 1500, mailRetryMs: 200, mailMaxTries: 40, sendConcurrency: 4 };

type Phase = 'accept' | 'kill' | 'held';
let phase: Phase = 'accept';
let app: Express;
let f: FeedbackWorld;
let smtp: TestSmtp;
const workers: WorkerProcess[] = [];
const accepted: string[] = [];
const held = new Set<string>();

async function recordedAsSent(ids: string[]): Promise<boolean> {
  return (await Delivery.countDocuments({ messageId: { $in: ids }, status: 'sent' })) === new Set(ids).size;
}

async function decide(mail: ParsedMail): Promise<Verdict> {
  const messageId = mail.messageId ?? '';
  if (phase === 'accept') {
    await new Promise((r) => setTimeout(r, 300)); // a mail server that takes its time: sends overlap
    if (phase === 'accept') {
      accepted.push(messageId);
      if (accepted.length >= 2 && workers.length === 1) phase = 'kill';
      return 'accept';
    }
  }
  held.add(messageId);
  if (phase === 'kill') {
    // The first message after the switch: wait until what was accepted is recorded, then kill the
    // worker while this one (and whatever else it has on the wire) is unanswered: none was delivered.
    phase = 'held';
    const sentIds = [...accepted];
    await until('the accepted alerts recorded as sent', () => recordedAsSent(sentIds), 60_000, 20);
    await workers[0].kill('SIGKILL');
  }
  return 'hold';
}

async function startWorker(): Promise<WorkerProcess> {
  const env = {
    MONGODB_URI: process.env.TEST_DB_URI as string,
    DB_NAME: config().DB_NAME,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Audit Alerts <alerts@audit.example>',
  };
  const w = await spawnWorker(env, WORKER_OPTIONS);
  workers.push(w);
  return w;
}

beforeAll(async () => {
  smtp = await testSmtp(decide);
  await smtp.listen();
  app = await startTestApp();
  f = await feedbackWorld(app, 'FA');
  const patched = await api(f).patch(f.admin, `/banks/${f.bankId}`, { alertRecipients: RECIPIENTS });
  expect(patched.status).toBe(200);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL');
  await smtp?.close();
  await stopTestApp();
});

test('a worker killed -9 with alerts on the wire: every alert reaches every recipient exactly once', async () => {
  const visits: string[] = [];
  for (let i = 0; i < VISITS; i++)
    visits.push((await approvedVisit(f, { answers: VIOLATING, submitOnly: true, branchCode: i % 2 ? 'N2' : 'S1' })).id);
  const a = await startWorker();
  const answers = await Promise.all(
    visits.map((id) =>
      request(app).post(`/api/v1/visits/${id}/review`).set(bearer(f.reviewer.token)).send({ decision: 'approve' }),
    ),
  );
  expect(answers.map((r) => r.status)).toEqual(visits.map(() => 200));

  await until('the worker killed mid-send', () => a.child.exitCode !== null || a.child.signalCode !== null, 120_000);
  expect(held.size).toBeGreaterThanOrEqual(1);
  phase = 'accept';
  await startWorker();
  const expected = VISITS * RECIPIENTS.length;
  await until(
    'every alert e-mail sent',
    async () => (await Delivery.countDocuments({ kind: 'alert', status: 'sent' })) === expected,
    120_000,
  );
  await new Promise((r) => setTimeout(r, 1500)); // would anything be sent twice? give it the chance

  const deliveries = await Delivery.find({ kind: 'alert' }).lean();
  expect(deliveries).toHaveLength(expected);
  // The server's account: each delivery's Message-ID accepted exactly once, nothing else accepted.
  expect(accepted).toHaveLength(expected);
  expect(new Set(accepted).size).toBe(expected);
  for (const d of deliveries) expect(accepted.filter((m) => m === d.messageId)).toHaveLength(1);
  // Each visit's alert to each recipient once.
  for (const v of visits)
    for (const r of RECIPIENTS)
      expect(smtp.received.filter((m) => m.to.includes(r) && m.mail.headers.get('x-visit-id') === v)).toHaveLength(1);
  // The held messages went out later under the same Message-ID, their deliveries recorded as interrupted;
  // the worker had more than one send on the wire when it died.
  for (const id of held) expect(accepted).toContain(id);
  const interrupted = deliveries.filter((d) => d.attempts.some((x) => /interrupted/.test(x.error ?? '')));
  expect(interrupted.length).toBeGreaterThanOrEqual(2);
  for (const d of deliveries) expect(d.attempts.filter((x) => x.ok)).toHaveLength(1);
});
