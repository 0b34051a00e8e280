import type { Express } from 'express';
import type { ParsedMail } from 'mailparser';
import { Types } from 'mongoose';
import request from 'supertest';
import { appWorkers } from '../server/jobs';
import { config, setConfig } from '../server/platform/config';
import { startWorkers, type Workers } from '../server/platform/jobs/worker';
import { workQueued } from '../server/platform/jobs/wakeup';
import { Delivery, MailQueue } from '../server/platform/mail/model';
import { queueDeliveries, type MailComposer } from '../server/platform/mail/outbox';
import { startTestApp, stopTestApp } from './helpers/app';
import { bearer } from './helpers/app';
import { api, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import { until } from './helpers/faults';
import { testSmtp, type TestSmtp, type Verdict } from './helpers/faults-smtp';
import { ANSWERS } from './helpers/visits';

/**
 * Compliance alert e-mails under load (SPEC §13: within 60 s of the approval, once). A real SMTP
 * server (smtp-server) that takes a second over every message, the app's own workers and outbox. The
 * bank report e-mails queued before the alert are stand-ins with a 512 KB attachment (the report
 * composer is replaced, nothing else): the point is the outbox's lanes, not the PDF.
 */
jest.setTimeout(240_000);

const RECIPIENTS = ['compliance@am1.example.cn', 'risk@am1.example.cn'];
const REPORTS = 60;
const CONCURRENCY = 3;
const SMTP_DELAY_MS = 1000;
const VIOLATING = ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a));

interface Arrival {
  messageId: string;
  to: string;
  at: number;
  alert: boolean;
  visitId?: string;
}

let app: Express;
let f: FeedbackWorld;
let smtp: TestSmtp;
let workers: Workers;
const arrivals: Arrival[] = [];
const refused: string[] = [];
const active = { alerts: 0, all: 0, peakAlerts: 0 };
/** Alert messages refused (451) the first time they come: each is then retried. */
let refuseFirstAlert = false;

const isAlert = (mail: ParsedMail) => Boolean(mail.headers.get('x-alert-id'));

async function decide(mail: ParsedMail, to: string[]): Promise<Verdict> {
  const alert = isAlert(mail);
  active.all += 1;
  if (alert) active.peakAlerts = Math.max(active.peakAlerts, ++active.alerts);
  await new Promise((r) => setTimeout(r, SMTP_DELAY_MS)); // a slow mail server: a second per DATA
  active.all -= 1;
  if (alert) active.alerts -= 1;
  const messageId = mail.messageId ?? '';
  if (alert && refuseFirstAlert && !refused.includes(messageId)) {
    refused.push(messageId);
    return 'reject';
  }
  const visitId = alert ? String(mail.headers.get('x-visit-id')) : undefined;
  arrivals.push({ messageId, to: to[0], at: Date.now(), alert, visitId });
  return 'accept';
}

/** The stand-in report e-mail: half a megabyte of attachment, like a small bank PDF. */
const bigReport: MailComposer = async (d) => ({
  from: config().MAIL_FROM,
  to: d.recipient,
  subject: `Quarter report ${d.subjectId}`,
  text: 'The quarter report is attached.',
  messageId: d.messageId,
  attachments: [{ filename: 'report.pdf', content: Buffer.alloc(512 * 1024, 0x25), contentType: 'application/pdf' }],
});

const review = (visitId: string) =>
  request(app).post(`/api/v1/visits/${visitId}/review`).set(bearer(f.reviewer.token)).send({ decision: 'approve' });

const copies = (messageId: string) => arrivals.filter((a) => a.messageId === messageId).length;

beforeAll(async () => {
  smtp = await testSmtp(decide);
  await smtp.listen();
  setConfig({ ...config(), SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Audit <alerts@audit.example>' });
  app = await startTestApp();
  f = await feedbackWorld(app, 'AM');
  const patched = await api(f).patch(f.admin, `/banks/${f.bankId}`, { alertRecipients: RECIPIENTS });
  expect(patched.status).toBe(200);
  const registry = appWorkers({ webhookReportsEveryMs: 60_000 });
  workers = startWorkers(
    { ...registry, mail: { ...registry.mail, report: bigReport } },
    { pollMs: 50, mailRetryMs: 200, sendConcurrency: CONCURRENCY },
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await workers?.stop();
  await smtp?.close();
  await stopTestApp();
});

test('an alert approved while report e-mails of a close are queued overtakes them, within 60 s of the approval', async () => {
  const visit = await approvedVisit(f, { answers: VIOLATING, submitOnly: true });
  const recipients = Array.from({ length: REPORTS }, (_, i) => `reader${i}@am1.example.cn`);
  await queueDeliveries({ kind: 'report', id: new Types.ObjectId(), bankId: new Types.ObjectId(f.bankId) }, recipients);
  workQueued();
  await until('the report e-mails flowing', () => arrivals.some((a) => !a.alert), 60_000);

  const approvedAt = Date.now();
  expect((await review(visit.id)).status).toBe(200);
  await until(
    'the alert at both recipients',
    () => RECIPIENTS.every((r) => arrivals.some((a) => a.alert && a.visitId === visit.id && a.to === r)),
    60_000,
  );
  const alertAt = Math.max(...arrivals.filter((a) => a.alert && a.visitId === visit.id).map((a) => a.at));
  const reportsBefore = arrivals.filter((a) => !a.alert && a.at <= alertAt).length;
  console.log(`alert ${alertAt - approvedAt} ms after the approval; ${reportsBefore} of ${REPORTS} reports before it`);
  expect(alertAt - approvedAt).toBeLessThan(60_000);
  // One queue in due order would have sent every report queued before the alert first.
  expect(reportsBefore).toBeLessThanOrEqual(REPORTS - 10);

  // The reports all go out afterwards, each once; nothing stays on the due lists.
  await until('every report e-mail', () => arrivals.filter((a) => !a.alert).length >= REPORTS, 180_000);
  const reportIds = arrivals.filter((a) => !a.alert).map((a) => a.messageId);
  expect(new Set(reportIds).size).toBe(REPORTS);
  await until('the due lists emptied', async () => (await MailQueue.bulk.countDocuments()) === 0, 10_000);
  expect(await MailQueue.urgent.countDocuments()).toBe(0);
});

test('a burst of alerts is sent side by side, bounded, and each exactly once even when every first try is refused', async () => {
  refuseFirstAlert = true;
  active.peakAlerts = 0;
  const visits: string[] = [];
  for (let i = 0; i < 8; i++)
    visits.push((await approvedVisit(f, { answers: VIOLATING, submitOnly: true, branchCode: i % 2 ? 'N2' : 'S1' })).id);
  const approvedAt = Date.now();
  const answers = await Promise.all(visits.map(review));
  expect(answers.map((r) => r.status)).toEqual(visits.map(() => 200));
  const expected = visits.length * RECIPIENTS.length;
  const ofBurst = () => arrivals.filter((a) => a.alert && visits.includes(a.visitId ?? ''));
  await until('every alert e-mail', () => ofBurst().length >= expected, 120_000);
  await new Promise((r) => setTimeout(r, 1500)); // would anything come twice? give it the chance
  const lastAt = Math.max(...ofBurst().map((a) => a.at));
  console.log(`burst of ${expected} alert e-mails: last ${lastAt - approvedAt} ms after the approvals`);

  // Each visit's alert reached each recipient once, under one Message-ID, after one refused try.
  const got = ofBurst();
  expect(got).toHaveLength(expected);
  for (const v of visits)
    for (const r of RECIPIENTS) expect(got.filter((a) => a.visitId === v && a.to === r)).toHaveLength(1);
  for (const a of got) {
    expect(copies(a.messageId)).toBe(1);
    expect(refused).toContain(a.messageId);
  }
  const records = await Delivery.find({ kind: 'alert', recipient: { $in: RECIPIENTS } }).lean();
  for (const a of got) {
    const d = records.find((x) => x.messageId === a.messageId);
    expect(d?.status).toBe('sent');
    expect(d?.attempts.map((x) => x.ok)).toEqual([false, true]);
  }
  // Side by side, never more than the configured number at once.
  expect(active.peakAlerts).toBeGreaterThanOrEqual(2);
  expect(active.peakAlerts).toBeLessThanOrEqual(CONCURRENCY);
  expect(lastAt - approvedAt).toBeLessThan(60_000);
});

test('a due-list entry left by a crash after its e-mail was sent is dropped without sending anything', async () => {
  const sent = await Delivery.findOne({ kind: 'alert', status: 'sent' }).lean();
  expect(sent).toBeTruthy();
  const before = arrivals.length;
  await MailQueue.urgent.create({ _id: sent?._id, due: new Date(), v: 7 });
  workQueued();
  await until('the stale entry dropped', async () => !(await MailQueue.urgent.exists({ _id: sent?._id })), 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(arrivals.length).toBe(before);
  expect((await Delivery.findById(sent?._id).lean())?.attempts.filter((a) => a.ok)).toHaveLength(1);
});
