import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { formatScore } from '../server/rules/scoring';
import { Job } from '../server/platform/jobs/model';
import { startAppWorkers, type Workers } from '../server/jobs';
import { Delivery } from '../server/platform/mail/model';
import { Report, ReportFile } from '../server/publishing/model';
import { bucket, readBlob, storeBlobs } from '../server/publishing/storage';
import { noteChange } from '../server/visits/changes';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, type Fixture } from './helpers/foundation';
import { CLOSE_Q, pdfText, reportWorld, WORLD_BRANCHES, type ReportWorld } from './helpers/reports';

/**
 * Closing a quarter end to end: the API queues a job, an in-process worker snapshots the results,
 * renders and stores the PDFs; downloads are cut to the caller's scope; versions supersede; a
 * close interrupted half-way is taken over and finished without duplicates.
 */
let app: Express;
let admin: string;
let world: ReportWorld;
let outbox: string;
const tokens: Record<string, string> = {};
let workers: Workers | undefined;

const api = () => request(app);
const close = (bankId: string, quarter = CLOSE_Q) =>
  api().post(`/api/v1/banks/${bankId}/quarters/${quarter}/close`).set(bearer(admin));
const download = (token: string, reportId: string, scope: string) =>
  api()
    .get(`/api/v1/reports/${reportId}/files/${encodeURIComponent(scope)}`)
    .set(bearer(token))
    .buffer(true)
    .parse((res, cb) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => cb(null, Buffer.concat(parts)));
    });

async function waitForReport(id: string, status = 'ready', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await Report.findById(id).lean();
    if (r?.status === status) return;
    if (r?.status === 'failed' && status !== 'failed') throw new Error(`report failed: ${r.error}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`report ${id} did not become ${status}`);
}

beforeAll(async () => {
  outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  setConfig({ ...config(), OUTBOX_DIR: outbox, SMTP_URL: undefined });
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  world = await reportWorld(app, admin);
  const f: Fixture = { app, adminToken: admin };
  const users: [string, Record<string, unknown>][] = [
    ['head', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'bank' } }],
    ['east', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'region', region: '华东区' } }],
    ['e01', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'branches', branchCodes: ['JN-E01'] } }],
    ['hr', { role: 'hr', bankId: world.bankId, scope: { type: 'bank' } }],
    ['other', { role: 'bank_manager', bankId: world.otherBankId, scope: { type: 'bank' } }],
    ['reviewer', { role: 'reviewer' }],
    ['auditor', { role: 'auditor' }],
  ];
  for (const [name, body] of users)
    tokens[name] = (
      await makeUser(f, { email: `${name}@reports.test`, ...body } as Parameters<typeof makeUser>[1])
    ).token;
});

afterEach(async () => {
  await workers?.stop();
  workers = undefined;
});

afterAll(async () => {
  await stopTestApp();
  fs.rmSync(outbox, { recursive: true, force: true });
});

describe('closing a quarter', () => {
  let v1: string;

  test("202 with a pending report; the worker renders every file; the PDFs carry the results service's numbers", async () => {
    const res = await close(world.bankId);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'pending' });
    v1 = res.body.reportId;
    // Asked again while it is queued: the same report, not a second close.
    const again = await close(world.bankId);
    expect(again.status).toBe(202);
    expect(again.body.reportId).toBe(v1);
    expect(await Job.countDocuments({})).toBe(1);

    workers = startAppWorkers({ pollMs: 50, mail: false });
    await waitForReport(v1);
    const report = await api().get(`/api/v1/reports/${v1}`).set(bearer(admin));
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      id: v1,
      bankId: world.bankId,
      quarter: CLOSE_Q,
      version: 1,
      status: 'ready',
      supersededBy: null,
    });
    const scopes = report.body.files.map((f: { scope: string }) => f.scope);
    expect(scopes).toEqual([
      'bank',
      'region:华东区',
      'region:华南区',
      'branch:JN-E01',
      'branch:JN-E02',
      'branch:JN-E03',
      'branch:JN-S01',
      'branch:JN-S02',
    ]);
    expect(report.body.snapshot).toMatchObject({ n: 6, branches: 5 });

    const results = await api()
      .get(`/api/v1/results?bankId=${world.bankId}&quarter=${CLOSE_Q}&level=branch`)
      .set(bearer(admin));
    expect(results.status).toBe(200);
    const pdf = await download(admin, v1, 'bank');
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const body = pdf.body as Buffer;
    expect(body.subarray(0, 5).toString()).toBe('%PDF-');
    expect(body.subarray(-8).toString()).toContain('%%EOF');
    const text = pdfText(body);
    expect(text).toContain('江南商业银行');
    expect(text).toContain(CLOSE_Q);
    for (const b of WORLD_BRANCHES.filter((x) => x.code !== 'JN-S03')) expect(text).toContain(b.name);
    for (const row of results.body.rows as { key: string; total: number }[])
      expect(text).toContain(formatScore(row.total));
    expect(text).toContain(formatScore(results.body.summary.total));
    expect(text).toContain('风险揭示书逐项讲解并签字确认'); // the violation and key problem
    expect(text).not.toContain('Central 秘密支行');
    expect(text).toMatch(/第 1 页，共 \d+ 页/);

    const branch = pdfText((await download(admin, v1, 'branch:JN-E01')).body as Buffer);
    expect(branch).toContain('上海浦东支行');
    expect(branch).toContain('未讲解风险揭示书，直接让顾客签字'); // a visit's comment
    expect(branch).toContain('整体服务热情周到'); // the shopper's summary
    expect(branch).not.toContain('草稿里的秘密备注');
  });

  test('file records as the schema has them: created at, and a region or branch only where there is one', async () => {
    const files = await ReportFile.find({ reportId: v1 }).lean();
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      expect(f.createdAt).toBeInstanceOf(Date);
      expect(f.sha256).toMatch(/^[a-f0-9]{64}$/);
    }
    const bankFile = files.find((f) => f.kind === 'bank');
    // Absent, not null (the records are inserted lean: nothing would drop an undefined field on the way).
    expect(bankFile).not.toHaveProperty('region');
    expect(bankFile).not.toHaveProperty('branchCode');
    expect(files.find((f) => f.scope === 'branch:JN-E01')).toMatchObject({ region: '华东区', branchCode: 'JN-E01' });
  });

  test('downloads: UTF-8 file name, ETag and 304', async () => {
    const res = await download(admin, v1, 'branch:JN-E01');
    expect(res.status).toBe(200);
    const cd = res.headers['content-disposition'] as string;
    expect(cd).toContain('attachment;');
    expect(cd).toContain(`filename*=UTF-8''${encodeURIComponent('江南商业银行_2026-Q3_v1_JN-E01_上海浦东支行.pdf')}`);
    expect(cd).toMatch(/filename="JN_2026-Q3_v1_branch_JN-E01\.pdf"/);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[a-f0-9]{64}"$/);
    const again = await api()
      .get(`/api/v1/reports/${v1}/files/branch:JN-E01`)
      .set(bearer(admin))
      .set('If-None-Match', etag);
    expect(again.status).toBe(304);
    const stale = await api()
      .get(`/api/v1/reports/${v1}/files/branch:JN-E01`)
      .set(bearer(admin))
      .set('If-None-Match', '"0000"');
    expect(stale.status).toBe(200);
  });

  test('scope: bank users get their cut, everything else is 404; other roles 403', async () => {
    const get = (who: string, scope: string) => download(tokens[who], v1, scope).then((r) => r.status);
    expect(await get('head', 'bank')).toBe(200);
    expect(await get('head', 'branch:JN-S02')).toBe(200);
    // A region manager: the region and its branches, not the bank report (it ranks every region and branch).
    expect(await get('east', 'region:华东区')).toBe(200);
    expect(await get('east', 'branch:JN-E02')).toBe(200);
    expect(await get('east', 'bank')).toBe(404);
    expect(await get('east', 'region:华南区')).toBe(404);
    expect(await get('east', 'branch:JN-S01')).toBe(404);
    // A branch manager: only their branch.
    expect(await get('e01', 'branch:JN-E01')).toBe(200);
    expect(await get('e01', 'branch:JN-E02')).toBe(404);
    expect(await get('e01', 'bank')).toBe(404);
    expect(await get('e01', 'region:华东区')).toBe(404);
    // Another bank's manager sees nothing of it.
    expect(await get('other', 'bank')).toBe(404);
    expect((await api().get(`/api/v1/reports/${v1}`).set(bearer(tokens.other))).status).toBe(404);
    expect((await api().get(`/api/v1/reports?bankId=${world.bankId}`).set(bearer(tokens.other))).status).toBe(404);
    for (const who of ['hr', 'reviewer', 'auditor']) {
      expect(await get(who, 'bank')).toBe(403);
      expect((await api().get('/api/v1/reports').set(bearer(tokens[who]))).status).toBe(403);
    }
    expect((await api().get(`/api/v1/reports/${v1}/deliveries`).set(bearer(tokens.head))).status).toBe(403);
    expect((await close(world.bankId).set(bearer(tokens.head))).status).toBe(403);

    const listed = await api().get('/api/v1/reports').set(bearer(tokens.e01));
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0].files.map((f: { scope: string }) => f.scope)).toEqual(['branch:JN-E01']);
    const east = await api().get(`/api/v1/reports?bankId=${world.bankId}&quarter=${CLOSE_Q}`).set(bearer(tokens.east));
    expect(east.body[0].files.map((f: { scope: string }) => f.scope)).toEqual([
      'region:华东区',
      'branch:JN-E01',
      'branch:JN-E02',
      'branch:JN-E03',
    ]);
  });

  test('a correction re-issued as version 2 supersedes version 1, which still downloads', async () => {
    // An overturned dispute corrects E02's fees answer: its scores change.
    await Visit.updateOne(
      { _id: world.visitIds.e02 },
      {
        $set: { 'answers.2.value': 'yes', 'scores.sections.product_knowledge': 100, 'scores.total': 100 },
        $inc: { rev: 1 },
      },
    );
    await noteChange({ _id: world.visitIds.e02, bankId: world.bankId });
    const res = await close(world.bankId);
    expect(res.status).toBe(202);
    const v2 = res.body.reportId;
    expect(v2).not.toBe(v1);
    workers = startAppWorkers({ pollMs: 50, mail: false });
    await waitForReport(v2);
    const list = await api().get(`/api/v1/reports?bankId=${world.bankId}&quarter=${CLOSE_Q}`).set(bearer(admin));
    expect(list.body.map((r: { version: number }) => r.version)).toEqual([2, 1]);
    expect(list.body[1]).toMatchObject({ id: v1, supersededBy: v2, status: 'ready' });
    expect(list.body[0]).toMatchObject({ id: v2, supersededBy: null });
    const old = await download(tokens.head, v1, 'bank');
    expect(old.status).toBe(200);
    expect(pdfText(old.body as Buffer)).toContain('第 1 版');
    expect(pdfText((await download(tokens.head, v2, 'bank')).body as Buffer)).toContain('第 2 版');
  });

  test('an unknown bank is 404, a bad quarter 422, and the outbox gets one .eml per recipient', async () => {
    expect((await close('0123456789abcdef01234567')).status).toBe(404);
    expect((await close(world.bankId, '2026-Q5')).status).toBe(422);
    const reports = await Report.find({ bankId: world.bankId }).lean();
    workers = startAppWorkers({ pollMs: 50, jobs: false });
    const deadline = Date.now() + 20_000;
    while ((await Delivery.countDocuments({ status: 'sent' })) < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await Delivery.countDocuments({ status: 'sent' })).toBe(2 * reports.length);
    const files = fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(4);
    const eml = fs.readFileSync(path.join(outbox, files[0]), 'utf8');
    expect(eml).toMatch(/^To: (head|audit)@jn\.example\.cn$/m);
    expect(eml).toContain('Content-Type: application/pdf');
  });
});

describe('two app instances and a crash', () => {
  test('an interrupted close is taken over when its lease expires and finished without duplicate files', async () => {
    const res = await close(world.bankId);
    const reportId = res.body.reportId;
    // A first instance renders part of it, then dies: simulated by a worker that stops after a few files.
    const first = startAppWorkers({ pollMs: 20, mail: false, workerId: 'instance-a', jobLeaseMs: 1500 });
    const deadline = Date.now() + 30_000;
    while ((await ReportFile.countDocuments({ reportId })) < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await Job.updateOne(
      { 'payload.reportId': reportId },
      { $set: { lockedBy: 'instance-dead', lockedUntil: new Date(Date.now() + 1500) } },
    );
    await first.stop();
    const partial = await ReportFile.countDocuments({ reportId });
    expect(partial).toBeGreaterThanOrEqual(2);
    // A stray upload of the dead instance that never got its record: removed on takeover.
    const stray = bucket().openUploadStream('stray.pdf', {
      metadata: { reportId, scope: 'branch:JN-S02', contentType: 'application/pdf' },
    });
    await new Promise<void>((r) => stray.end(Buffer.from('%PDF-stray'), () => r()));
    await new Promise((r) => setTimeout(r, 1200));

    // Two live instances race for the expired lease; exactly one takes it.
    const b = startAppWorkers({ pollMs: 20, mail: false, workerId: 'instance-b', jobLeaseMs: 5000 });
    const c = startAppWorkers({ pollMs: 20, mail: false, workerId: 'instance-c', jobLeaseMs: 5000 });
    try {
      await waitForReport(reportId);
    } finally {
      await Promise.all([b.stop(), c.stop()]);
    }
    const files = await ReportFile.find({ reportId }).lean();
    expect(new Set(files.map((f) => f.scope)).size).toBe(files.length);
    const stored = await bucket().find({ 'metadata.reportId': reportId }).toArray();
    // One GridFS file per report file plus the snapshot: nothing orphaned, nothing twice.
    expect(stored).toHaveLength(files.length + 1);
    const job = await Job.findOne({ 'payload.reportId': reportId }).lean();
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
  });

  test('a stopping instance hands its close back at once; the next instance finishes it', async () => {
    const res = await close(world.bankId);
    const reportId = res.body.reportId;
    const a = startAppWorkers({ pollMs: 20, mail: false, workerId: 'stopping-a' });
    const deadline = Date.now() + 30_000;
    while ((await ReportFile.countDocuments({ reportId })) < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await a.stop();
    const handedBack = await Job.findOne({ 'payload.reportId': reportId }).lean();
    expect(handedBack).toMatchObject({ status: 'running', lockedBy: null, lockedUntil: null, attempts: 0 });
    const b = startAppWorkers({ pollMs: 20, mail: false, workerId: 'next-b' });
    try {
      await waitForReport(reportId);
    } finally {
      await b.stop();
    }
    expect(await Job.findOne({ 'payload.reportId': reportId }).lean()).toMatchObject({ status: 'done', attempts: 1 });
  });
});

describe('failure', () => {
  test('a close that keeps failing is retried, then its report is marked failed and the quarter can be closed again', async () => {
    const bank = await request(app)
      .post('/api/v1/banks')
      .set(bearer(admin))
      .send({ code: 'GONE', name: '将被删除的银行' });
    const res = await close(bank.body.id);
    expect(res.status).toBe(202);
    // The bank disappears before the worker gets to it: every run fails.
    await (await import('../server/banks/model')).Bank.deleteOne({ _id: bank.body.id });
    workers = startAppWorkers({ pollMs: 20, mail: false, jobRetryMs: 50 });
    await waitForReport(res.body.reportId, 'failed', 30_000);
    const job = await Job.findOne({ 'payload.reportId': res.body.reportId }).lean();
    expect(job).toMatchObject({ status: 'failed', attempts: 3 });
    expect(job?.lastError).toContain('Bank not found');
    const report = await api().get(`/api/v1/reports/${res.body.reportId}`).set(bearer(admin));
    expect(report.body).toMatchObject({ status: 'failed', files: [] });
    expect(report.body.error).toContain('Bank not found');
    // The guard was released: the same bank and quarter can be queued again.
    const { enqueue } = await import('../server/platform/jobs/queue');
    const again = await enqueue({
      type: 'close-quarter',
      key: `close:${bank.body.id}:${CLOSE_Q}`,
      payload: { bankId: bank.body.id, quarter: CLOSE_Q, reportId: '0123456789abcdef01234567' },
    });
    expect(again.created).toBe(true);
    await Job.deleteOne({ _id: again.job._id });
  });
});

describe('storage', () => {
  test('files stored in batches read back byte for byte through GridFS, across chunk boundaries', async () => {
    const big = Buffer.alloc(600 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) % 251;
    const items = [Buffer.from('%PDF-small'), big, Buffer.from('%PDF-中文')].map((buf, i) => ({
      buf,
      filename: `批量-${i}.pdf`,
      metadata: { reportId: 'batch-test', scope: `branch:B${i}`, contentType: 'application/pdf' },
    }));
    const stored = await storeBlobs(items);
    expect(stored.map((s) => s.chunks)).toEqual([1, 3, 1]);
    for (const [i, s] of stored.entries()) {
      expect((await readBlob(s.fileId)).equals(items[i].buf)).toBe(true);
      expect(s.size).toBe(items[i].buf.length);
    }
    const listed = await bucket().find({ 'metadata.reportId': 'batch-test' }).toArray();
    expect(listed.map((f) => [f.filename, f.length]).sort()).toEqual(
      items.map((it) => [it.filename, it.buf.length]).sort(),
    );
  });
});

describe('long steps', () => {
  test('the lease is renewed while a step runs, and a lost lease fails the step', async () => {
    const { keepingLease } = await import('../server/publishing/close');
    let beats = 0;
    const ctx = {
      job: {} as never,
      progress: async () => {
        beats += 1;
      },
    };
    const slow = () => new Promise<string>((r) => setTimeout(() => r('done'), 120));
    const discarded: string[] = [];
    const discard = async (r: string) => {
      discarded.push(r);
    };
    expect(await keepingLease(ctx, slow, discard, 20)).toBe('done');
    expect(beats).toBeGreaterThanOrEqual(3);
    expect(discarded).toEqual([]);
    const lost = {
      job: {} as never,
      progress: async () => {
        throw new Error('lease lost');
      },
    };
    await expect(keepingLease(lost, slow, discard, 20)).rejects.toThrow('lease lost');
    // What the step produced (the spilled visits) is cleaned up, not leaked.
    expect(discarded).toEqual(['done']);
  });
});
