import crypto from 'node:crypto';
import type { Express } from 'express';
import { Webhook } from 'standardwebhooks';
import { startAppWorkers, type Workers } from '../server/jobs';
import { config, setConfig } from '../server/platform/config';
import { Delivery } from '../server/platform/mail/model';
import { Report } from '../server/publishing/model';
import { noteChange } from '../server/visits/changes';
import { webhookBody, type EventType } from '../server/webhooks/events';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookQueue } from '../server/webhooks/model';
import { bucketOf, enqueue } from '../server/webhooks/queue';
import { VisitChange } from '../server/visits/changes';
import { Types } from 'mongoose';
import { announcePublishedReports, finishDisableNotices, followVisitChanges } from '../server/webhooks/service';
import { startTestApp, stopTestApp } from './helpers/app';
import {
  api,
  approvedVisit,
  dispute,
  feedbackWorld,
  resolve,
  SETUP_TIMEOUT_MS,
  type FeedbackWorld,
} from './helpers/feedback';
import { until } from './helpers/faults';
import { testSmtp, type TestSmtp } from './helpers/faults-smtp';
import { hookReceiver, type HookReceiver, type HookRequest } from './helpers/hook-receiver';
import { ANSWERS } from './helpers/visits';

/**
 * Compliance alerts and webhooks (SPEC §13) end to end: real HTTP receivers and a real SMTP server
 * started here, the app's own workers. Signatures are checked with the standardwebhooks verifier and
 * with an HMAC computed here; every payload is checked against its published schema.
 */
jest.setTimeout(120_000);

let app: Express;
let f: FeedbackWorld;
let smtp: TestSmtp;
let workers: Workers;
let bankHook: HookReceiver; // bank 1's system
let otherHook: HookReceiver; // bank 2's system
let firmHook: HookReceiver; // the audit firm's (every bank)
const secrets: Record<string, string> = {};
let smtpMode: 'accept' | 'reject' = 'accept';
const endpointIds: Record<string, string> = {};

const VIOLATING = ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a));
const ALL: EventType[] = [
  'visit.approved',
  'visit.disputed',
  'dispute.resolved',
  'report.published',
  'alert.violation',
  'alert.withdrawn',
];

const parsed = (r: HookRequest) => JSON.parse(r.body) as { type: EventType; timestamp: string; data: any };
const ofVisit = (h: HookReceiver, visitId: string) => h.accepted().filter((r) => parsed(r).data.visitId === visitId);
const typesOf = (list: HookRequest[]) => list.map((r) => parsed(r).type);
const mailsTo = (addr: string) => smtp.received.filter((m) => m.to.includes(addr));

async function addEndpoint(name: string, url: string, bankId?: string, events: EventType[] = ALL) {
  const res = await api(f).post(f.admin, '/webhooks', { url, ...(bankId ? { bankId } : {}), events });
  expect(res.status).toBe(201);
  expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
  secrets[name] = res.body.secret;
  endpointIds[name] = res.body.id;
}

beforeAll(async () => {
  smtp = await testSmtp(() => smtpMode);
  await smtp.listen();
  setConfig({
    ...config(),
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Audit Alerts <alerts@audit.example>',
    WEBHOOK_RETRY_SCHEDULE: '0.2,0.4,0.8,1.6',
    WEBHOOK_TIMEOUT_MS: 2000,
  });
  app = await startTestApp();
  f = await feedbackWorld(app, 'WH');
  const patched = await api(f).patch(f.admin, `/banks/${f.bankId}`, {
    alertRecipients: ['compliance@wh1.example.cn', 'risk@wh1.example.cn'],
  });
  expect(patched.body.alertRecipients).toEqual(['compliance@wh1.example.cn', 'risk@wh1.example.cn']);
  await api(f).patch(f.admin, `/banks/${f.otherBankId}`, { alertRecipients: ['compliance@wh2.example.cn'] });
  [bankHook, otherHook, firmHook] = await Promise.all([hookReceiver(), hookReceiver(), hookReceiver()]);
  await addEndpoint('bank', bankHook.url, f.bankId);
  await addEndpoint('other', otherHook.url, f.otherBankId);
  await addEndpoint('firm', firmHook.url);
  workers = startAppWorkers({ pollMs: 50, mailRetryMs: 100, webhookReportsEveryMs: 200 });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await workers?.stop();
  await Promise.all([bankHook, otherHook, firmHook].map((h) => h?.close()));
  await smtp?.close();
  await stopTestApp();
});

describe('signed deliveries', () => {
  let visitId: string;
  beforeAll(async () => {
    visitId = (await approvedVisit(f, { answers: VIOLATING })).id;
    await until('approval and alert at the bank', () => ofVisit(bankHook, visitId).length >= 2);
  });

  test('every request verifies with the standardwebhooks verifier and with an HMAC computed here', () => {
    const list = ofVisit(bankHook, visitId);
    expect(typesOf(list)).toEqual(['visit.approved', 'alert.violation']);
    for (const r of list) {
      const headers = {
        'webhook-id': String(r.headers['webhook-id']),
        'webhook-timestamp': String(r.headers['webhook-timestamp']),
        'webhook-signature': String(r.headers['webhook-signature']),
      };
      expect(() => new Webhook(secrets.bank).verify(r.body, headers)).not.toThrow();
      const key = Buffer.from(secrets.bank.slice('whsec_'.length), 'base64');
      const mac = crypto
        .createHmac('sha256', key)
        .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${r.body}`)
        .digest('base64');
      expect(headers['webhook-signature']).toBe(`v1,${mac}`);
      // Another endpoint's secret does not verify it.
      expect(() => new Webhook(secrets.other).verify(r.body, headers)).toThrow();
    }
  });

  test('the verifier refuses a replay with an old timestamp, and a tampered body', () => {
    const r = ofVisit(bankHook, visitId)[0];
    const id = String(r.headers['webhook-id']);
    const old = new Date(Date.now() - 10 * 60_000);
    const replay = {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': new Webhook(secrets.bank).sign(id, old, r.body),
    };
    expect(() => new Webhook(secrets.bank).verify(r.body, replay)).toThrow(/too old/i);
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(r.headers[h])]),
    );
    expect(() => new Webhook(secrets.bank).verify(r.body.replace('"approved"', '"disputed"'), headers)).toThrow();
  });

  test('payloads match their published schemas, carry the pseudonym and never the auditor', () => {
    for (const r of ofVisit(bankHook, visitId)) {
      const body = parsed(r);
      expect(webhookBody(body.type).safeParse(body).success).toBe(true);
      expect(r.body).not.toContain(f.auditor.id);
      expect(r.body).not.toContain('wh-aud@firm.test');
    }
    const approved = parsed(ofVisit(bankHook, visitId)[0]).data;
    expect(approved).toMatchObject({ visitId, branchCode: 'N1', status: 'approved', violations: [{ itemKey: 'c1' }] });
    expect(approved.auditorCode).toMatch(/\S/);
    expect(approved.scores.sections.sales_compliance).toBe(0);
  });

  test("a bank's events reach its own endpoint and the firm's, never another bank's", async () => {
    await until('the firm has them', () => ofVisit(firmHook, visitId).length >= 2);
    expect(typesOf(ofVisit(firmHook, visitId))).toEqual(['visit.approved', 'alert.violation']);
    const other = (await approvedVisit(f, { bank: 'other' })).id;
    await until('the other bank has its own', () => ofVisit(otherHook, other).length >= 1);
    expect(otherHook.received.every((r) => parsed(r).data.bank.id === f.otherBankId)).toBe(true);
    expect(bankHook.received.every((r) => parsed(r).data.bank.id === f.bankId)).toBe(true);
  });
});

describe('every event when the spec says it', () => {
  test('dispute, overturn removing the violation: visit.disputed, dispute.resolved, alert.withdrawn, in order', async () => {
    const v = await approvedVisit(f, { answers: VIOLATING, branchCode: 'S1' });
    const approvedAt = Date.now();
    // The alert e-mail within 60 s of the approval (measured), to each alert recipient, once.
    // Each recipient gets an e-mail of their own, one after the other: wait for both, not the first.
    const mailed = (to: string) => mailsTo(to).some((m) => m.mail.text?.includes(v.id));
    await until('alert e-mails', () => mailed('risk@wh1.example.cn') && mailed('compliance@wh1.example.cn'), 60_000);
    const latency = Date.now() - approvedAt;
    expect(latency).toBeLessThan(60_000);
    console.log(`compliance alert e-mail ${latency} ms after the approval`);
    const alertMail = mailsTo('compliance@wh1.example.cn').find((m) => m.mail.text?.includes(v.id));
    expect(alertMail?.mail.subject).toContain('合规预警');
    expect(alertMail?.mail.text).toContain('题目 c1'); // the violated item's wording
    expect(alertMail?.mail.text).toContain('支行 S1');
    expect(alertMail?.mail.text).toContain('Asia/Shanghai');
    expect(alertMail?.mail.text).not.toContain('wh-aud');

    const d = await dispute(f, f.manager, v.id, 'c1');
    expect(d.status).toBe(201);
    const res = await resolve(f, f.reviewer, d.body.id, {
      decision: 'overturned',
      value: 'yes',
      note: '录像证实已讲解',
    });
    expect(res.status).toBe(200);
    await until('four events', () => ofVisit(bankHook, v.id).length >= 5);
    const list = ofVisit(bankHook, v.id);
    expect(typesOf(list)).toEqual([
      'visit.approved',
      'alert.violation',
      'visit.disputed',
      'dispute.resolved',
      'alert.withdrawn',
    ]);
    expect(parsed(list[2]).data).toMatchObject({ disputeId: d.body.id, itemKey: 'c1', status: 'disputed' });
    expect(parsed(list[3]).data).toMatchObject({ decision: 'overturned', status: 'approved', violations: [] });
    await until('withdrawal e-mails', () =>
      mailsTo('compliance@wh1.example.cn').some((m) => m.mail.subject?.includes('撤回') && m.mail.text?.includes(v.id)),
    );
    const alerts = await api(f).get(f.manager, `/alerts?bankId=${f.bankId}`);
    expect(alerts.status).toBe(200);
    expect(alerts.body.find((a: any) => a.visitId === v.id)).toMatchObject({
      status: 'withdrawn',
      branchCode: 'S1',
      itemKeys: ['c1'],
    });
    // Scope: the North manager does not see the S1 alert; the other bank's manager sees nothing of bank 1.
    const north = await api(f).get(f.north, '/alerts');
    expect(north.body.some((a: any) => a.visitId === v.id)).toBe(false);
    expect((await api(f).get(f.otherManager, `/alerts?bankId=${f.bankId}`)).status).toBe(404);
  });

  test('an upheld dispute resolves without withdrawing; a visit without a violation raises no alert', async () => {
    const v = await approvedVisit(f, { branchCode: 'N2' });
    const d = await dispute(f, f.manager, v.id, 'c2');
    await resolve(f, f.reviewer, d.body.id, { decision: 'upheld', note: '维持' });
    await until('three events', () => ofVisit(bankHook, v.id).length >= 3);
    await new Promise((r) => setTimeout(r, 500));
    expect(typesOf(ofVisit(bankHook, v.id))).toEqual(['visit.approved', 'visit.disputed', 'dispute.resolved']);
    expect(parsed(ofVisit(bankHook, v.id)[2]).data.decision).toBe('upheld');
    expect(smtp.received.some((m) => m.mail.text?.includes(v.id))).toBe(false);
  });

  test('following the same change again sends nothing twice (no event, no e-mail)', async () => {
    const v = await approvedVisit(f, { answers: VIOLATING, branchCode: 'N2' });
    await until('delivered', () => ofVisit(bankHook, v.id).length >= 2);
    await until('mailed', () => mailsTo('risk@wh1.example.cn').some((m) => m.mail.text?.includes(v.id)));
    const stored = await (await import('../server/visits/model')).Visit.findById(v.id).lean();
    await noteChange(stored as never);
    await followVisitChanges();
    await new Promise((r) => setTimeout(r, 1000));
    expect(ofVisit(bankHook, v.id)).toHaveLength(2);
    expect(mailsTo('risk@wh1.example.cn').filter((m) => m.mail.text?.includes(v.id))).toHaveLength(1);
    expect(await Delivery.countDocuments({ kind: 'alert', recipient: 'risk@wh1.example.cn' })).toBeGreaterThan(0);
  });

  test('report.published when a report becomes ready, to its bank only', async () => {
    // A report as the close leaves it ready (the close itself is tested elsewhere).
    const r = await Report.create({
      bankId: f.bankId,
      quarter: '2026-Q2',
      version: 1,
      status: 'ready',
      readyAt: new Date(),
    });
    await announcePublishedReports();
    const id = String(r?._id);
    await until('announced', () => bankHook.accepted().some((x) => parsed(x).data.reportId === id));
    expect(otherHook.received.some((x) => parsed(x).data.reportId === id)).toBe(false);
    const body = parsed(bankHook.accepted().find((x) => parsed(x).data.reportId === id) as HookRequest);
    expect(webhookBody('report.published').safeParse(body).success).toBe(true);
  });
});

describe('nothing lost when the app stops between the change and the send', () => {
  test('an approval made while no worker runs is followed, alerted and delivered once the workers start', async () => {
    await workers.stop();
    const v = await approvedVisit(f, { answers: VIOLATING, branchCode: 'N1' });
    // The change is in the database with its note; nothing has been derived or sent yet.
    expect(await WebhookEvent.countDocuments({ orderKey: v.id })).toBe(0);
    expect(await VisitChange.countDocuments({ _id: v.id, pending: 'events' })).toBe(1);
    // The mail server refuses the first attempts: the alert e-mail is retried, and still sent once.
    smtpMode = 'reject';
    workers = startAppWorkers({ pollMs: 50, mailRetryMs: 100, webhookReportsEveryMs: 200 });
    await until('delivered after the restart', () => ofVisit(bankHook, v.id).length >= 2);
    expect(typesOf(ofVisit(bankHook, v.id))).toEqual(['visit.approved', 'alert.violation']);
    await until('the alert e-mail failed once', async () =>
      Boolean(await Delivery.exists({ kind: 'alert', recipient: 'risk@wh1.example.cn', 'attempts.ok': false })),
    );
    smtpMode = 'accept';
    await until('alert e-mailed', () => mailsTo('risk@wh1.example.cn').some((m) => m.mail.text?.includes(v.id)));
    await new Promise((r) => setTimeout(r, 800));
    expect(mailsTo('risk@wh1.example.cn').filter((m) => m.mail.text?.includes(v.id))).toHaveLength(1);
    expect(await VisitChange.countDocuments({ _id: v.id, pending: 'events' })).toBe(0);
  });
});

describe('retries, redelivery, ping, health', () => {
  test('a receiver answering 500 then 200: retried with the same webhook-id until delivered', async () => {
    let failures = 2;
    bankHook.answer = () => (failures-- > 0 ? { status: 500 } : { status: 200 });
    const v = await approvedVisit(f, { branchCode: 'N1' });
    await until('delivered after retries', () => ofVisit(bankHook, v.id).length >= 1);
    bankHook.answer = () => ({ status: 204 });
    const tries = bankHook.received.filter((r) => r.body.includes(v.id));
    expect(tries.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((r) => r.headers['webhook-id'])).size).toBe(1);
    // The receiver's 200 is recorded just after it answered (successes are recorded in bulk).
    const deliveryOfTries = async () =>
      (await api(f).get(f.admin, `/webhooks/${endpointIds.bank}/deliveries`)).body.find(
        (d: any) => d.eventId === tries[0].headers['webhook-id'],
      );
    await until('recorded as delivered', async () => (await deliveryOfTries())?.status === 'delivered');
    const entry = await deliveryOfTries();
    expect(entry).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, type: 'visit.approved' });
    expect(entry.history.map((h: any) => h.statusCode)).toEqual([500, 500, 200]);

    // Redelivery by hand: the same webhook-id once more.
    const again = await api(f).post(f.admin, `/webhooks/${endpointIds.bank}/deliveries/${entry.id}/redeliver`);
    expect(again.status).toBe(202);
    await until('redelivered', () => bankHook.received.filter((r) => r.body.includes(v.id)).length >= 4);
    expect(bankHook.received.filter((r) => r.body.includes(v.id)).at(-1)?.headers['webhook-id']).toBe(
      tries[0].headers['webhook-id'],
    );
    // The log tells the redelivery from the automatic attempts (the queue entry carries its kind).
    const logOf = async () =>
      (await api(f).get(f.admin, `/webhooks/${endpointIds.bank}/deliveries`)).body.find((d: any) => d.id === entry.id);
    await until('the redelivery logged', async () => (await logOf())?.history.length === 4);
    const logged = await logOf();
    expect(logged.history.map((h: any) => h.kind)).toEqual(['auto', 'auto', 'auto', 'redeliver']);
    expect(logged).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
  });

  test('a queue entry left by a crash after its delivery finished is dropped, and nothing is sent again', async () => {
    const done = await WebhookDelivery.findOne({ status: 'delivered', endpointId: endpointIds.bank }).lean();
    expect(done).toBeTruthy();
    const before = bankHook.received.filter((r) => r.headers['webhook-id'] === done?.eventId).length;
    const at = new Date();
    await enqueue([{ d: String(done?._id), e: endpointIds.bank, k: `stale:${String(done?._id)}`, p: 0 }], at);
    const bucket = async () => WebhookQueue.findById(`b${bucketOf(at)}`).lean();
    expect((await bucket())?.entries.some((e) => e.d === String(done?._id))).toBe(true);
    await until('its bucket sealed', async () => (await bucket())?.sealed === true);
    expect((await bucket())?.entries).toEqual([]);
    expect(bankHook.received.filter((r) => r.headers['webhook-id'] === done?.eventId)).toHaveLength(before);
  });

  test('a redirect is not followed; it fails like any other non-2xx answer', async () => {
    firmHook.answer = (r) =>
      r.body.includes('"visit.approved"') ? { status: 302, location: 'http://169.254.169.254/' } : { status: 204 };
    const v = await approvedVisit(f, { branchCode: 'N1' });
    await until('refused twice', () => firmHook.received.filter((r) => r.body.includes(v.id)).length >= 2);
    firmHook.answer = () => ({ status: 204 });
    const log = await api(f).get(f.admin, `/webhooks/${endpointIds.firm}/deliveries`);
    const entry = log.body.find(
      (d: any) => d.type === 'visit.approved' && d.history.some((h: any) => h.statusCode === 302),
    );
    expect(entry.history[0].error).toMatch(/redirects are not followed/);
  });

  test('the test ping is signed and its answer reported', async () => {
    const res = await api(f).post(f.admin, `/webhooks/${endpointIds.other}/ping`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, statusCode: 204 });
    const ping = otherHook.received.find((r) => r.headers['webhook-id'] === res.body.eventId) as HookRequest;
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(ping.headers[h])]),
    );
    expect(new Webhook(secrets.other).verify(ping.body, headers)).toMatchObject({ type: 'webhook.ping' });
  });

  test('the secret is never shown again; private and link-local targets are refused', async () => {
    const list = await api(f).get(f.admin, '/webhooks');
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    expect(JSON.stringify(list.body)).not.toContain('secret');
    for (const url of [
      'http://10.1.2.3/hook',
      'http://169.254.169.254/latest',
      'http://[fd00::1]/x',
      'ftp://a.example/',
    ]) {
      const res = await api(f).post(f.admin, '/webhooks', { url, events: ['visit.approved'] });
      expect(res.status).toBe(422);
      expect(res.body.error.details[0].field).toBe('url');
    }
  });

  test('an endpoint failing for 5 days is disabled and the admins are e-mailed', async () => {
    const down = await hookReceiver();
    await addEndpoint('down', down.url, f.bankId, ['visit.approved']);
    await down.close(); // nobody answers there any more
    await WebhookEndpoint.updateOne(
      { _id: endpointIds.down },
      { $set: { failingSince: new Date(Date.now() - 5 * 86400_000 - 60_000) } },
    );
    await approvedVisit(f, { branchCode: 'N1' });
    await until(
      'disabled',
      async () => (await WebhookEndpoint.findById(endpointIds.down).lean())?.status === 'disabled',
    );
    await until('admin told', () =>
      smtp.received.some((m) => m.to.includes('admin@test.local') && m.mail.subject?.includes('disabled')),
    );
    // A disabling whose e-mail a dying process never queued is finished by the periodic task.
    const orphan = new Types.ObjectId();
    await WebhookEndpoint.updateOne({ _id: endpointIds.down }, { $set: { disabledNoticeId: orphan } });
    await finishDisableNotices(); // (the workers' periodic task may get there first)
    await until('the notice queued', async () =>
      Boolean(await Delivery.exists({ kind: 'webhook-disabled', reportId: orphan })),
    );
    expect(await finishDisableNotices()).toBe(0);
    const view = await api(f).get(f.admin, `/webhooks/${endpointIds.down}`);
    expect(view.body).toMatchObject({ status: 'disabled' });
    expect(view.body.disabledReason).toMatch(/failed since/);
  });
});
