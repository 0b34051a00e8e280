import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import { config, setConfig } from '../server/platform/config';
import { startAppWorkers } from '../server/jobs';
import { Report } from '../server/publishing/model';
import { closeQuarterCommand, progressBar, resendReportCommand } from '../server/publishing/cli';
import { ADMIN, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD, type Fixture } from './helpers/foundation';
import { CLOSE_Q, reportWorld, type ReportWorld } from './helpers/reports';
import { csrfOf, signIn, unmarked } from './helpers/web';

/** The admin reports page, the bank managers' reports page and the two command-line commands. */
let app: Express;
let world: ReportWorld;
let outbox: string;

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

beforeAll(async () => {
  outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  setConfig({ ...config(), OUTBOX_DIR: outbox, SMTP_URL: undefined });
  app = await startTestApp();
  const admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  world = await reportWorld(app, admin);
  const f: Fixture = { app, adminToken: admin };
  await makeUser(f, {
    email: 'e01@pages.test',
    role: 'bank_manager',
    bankId: world.bankId,
    scope: { type: 'branches', branchCodes: ['JN-E01'] },
  });
  await makeUser(f, { email: 'hr@pages.test', role: 'hr', bankId: world.bankId, scope: { type: 'bank' } });
});

afterAll(async () => {
  await stopTestApp();
  fs.rmSync(outbox, { recursive: true, force: true });
});

describe('before any report', () => {
  test("the bank manager's reports page says when reports come: the quarter's end in the bank's zone, and the automatic close when it is on", async () => {
    const manager = await signIn(app, 'e01@pages.test', PASSWORD, 'en');
    const end = DateTime.now().setZone('Asia/Shanghai').endOf('quarter').plus({ milliseconds: 1 });
    const quarter = `${end.minus({ days: 1 }).year}-Q${end.minus({ days: 1 }).quarter}`;
    let text = unmarked((await manager.get('/reports')).text);
    expect(text).toContain('id="reports-expected"');
    expect(text).toContain(
      `The current quarter, ${quarter}, ends at ${end.toFormat('yyyy-MM-dd HH:mm')} (Asia/Shanghai).`,
    );
    expect(text).toContain('The audit firm then closes it');
    const saved = config();
    setConfig({ ...saved, AUTO_CLOSE_DAYS: 90 });
    try {
      text = unmarked((await manager.get('/reports')).text);
    } finally {
      setConfig(saved);
    }
    const by = end.plus({ days: 90 }).toFormat('yyyy-MM-dd HH:mm');
    expect(text).toContain(`It is closed automatically by ${by} (Asia/Shanghai) at the latest`);
  });
});

describe('admin reports page', () => {
  let reportId: string;

  test('the close is a wizard: nothing is queued before the confirmation; the check page lists readiness and the exact recipients', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'en');
    const token = await csrfOf(agent, '/admin/reports');
    const res = await agent
      .post('/admin/reports/close')
      .type('form')
      .send({ _csrf: token, bankId: world.bankId, quarter: CLOSE_Q });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/admin/reports/close/check?bankId=${world.bankId}&quarter=${CLOSE_Q}`);
    expect(await Report.countDocuments({ bankId: world.bankId, quarter: CLOSE_Q })).toBe(0);
    const check = await agent.get(res.headers.location as string);
    expect(check.status).toBe(200);
    expect(check.text).toContain('id="close-readiness"');
    expect(check.text).toContain('Branches with an approved visit:');
    expect(check.text).toContain('head@jn.example.cn');
    expect(check.text).toContain('audit@jn.example.cn');
    expect(check.text).toContain('The report will be e-mailed to 2 recipient(s)');
    expect(check.text).toContain('name="confirm" value="yes" required');
    expect(check.text).toContain('version 1 of the report');
  });

  test('closing from the form queues a job; the page refreshes itself while it runs', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'zh');
    const page = await agent.get('/admin/reports');
    expect(page.status).toBe(200);
    expect(page.text).toContain('季度结算');
    expect(page.text).toContain('江南商业银行 (JN)');
    expect(page.headers.refresh).toBeUndefined();

    const token = await csrfOf(agent, '/admin/reports');
    const bad = await agent
      .post('/admin/reports/close')
      .type('form')
      .send({ _csrf: token, bankId: world.bankId, quarter: '2026-Q9', confirm: 'yes' });
    expect(bad.status).toBe(303);
    expect((await agent.get('/admin/reports')).text).toContain('季度格式应为 2026-Q3');

    const res = await agent
      .post('/admin/reports/close')
      .type('form')
      .send({ _csrf: token, bankId: world.bankId, quarter: CLOSE_Q, confirm: 'yes' });
    expect(res.status).toBe(303);
    // The page keeps the bank that was closed.
    expect(res.headers.location).toBe(`/admin/reports?bankId=${world.bankId}`);
    const running = await agent.get('/admin/reports');
    expect(running.headers.refresh).toBe('3');
    expect(running.text).toContain('已开始结算 2026-Q3');
    expect(running.text).toContain('<progress');
    const report = await Report.findOne({ bankId: world.bankId, quarter: CLOSE_Q }).lean();
    reportId = String(report?._id);

    const workers = startAppWorkers({ pollMs: 50 });
    try {
      await until(async () => (await Report.findById(reportId).lean())?.status === 'ready');
    } finally {
      await workers.stop();
    }
    const done = await agent.get('/admin/reports');
    expect(done.headers.refresh).toBeUndefined();
    expect(done.text).toContain(`/admin/reports/${reportId}`);

    const detail = await agent.get(`/admin/reports/${reportId}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('网点 JN-E01 上海浦东支行');
    expect(detail.text).toContain('head@jn.example.cn');
    const resend = await agent
      .post(`/admin/reports/${reportId}/resend`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, `/admin/reports/${reportId}`), recipient: 'head@jn.example.cn' });
    expect(resend.status).toBe(303);
    expect((await agent.get(`/admin/reports/${reportId}`)).text).toContain('已为 1 位收件人安排重新发送');
  });

  test('bank managers see their reports page with their files only; HR may not', async () => {
    const manager = await signIn(app, 'e01@pages.test', PASSWORD, 'en');
    const page = await manager.get('/reports');
    expect(page.status).toBe(200);
    expect(page.text).toContain(`/reports/${reportId}/files/branch%3AJN-E01`);
    expect(page.text).not.toContain('files/bank');
    expect(page.text).not.toContain('JN-E02');
    const pdf = await manager.get(`/reports/${reportId}/files/branch:JN-E01`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await manager.get(`/reports/${reportId}/files/bank`)).status).toBe(404);
    expect((await manager.get('/admin/reports')).status).toBe(403);
    const hr = await signIn(app, 'hr@pages.test', PASSWORD);
    expect((await hr.get('/reports')).status).toBe(403);
  });
});

describe('command line', () => {
  /** The workers the commands run while they wait, as server/cli.ts starts them. */
  const cliWorkers = () => startAppWorkers({ pollMs: 250 });
  const capture = () => {
    const io = {
      stdout: '',
      stderr: '',
      out: (s: string) => {
        io.stdout += s;
      },
      err: (s: string) => {
        io.stderr += s;
      },
      tty: false,
    };
    return io;
  };

  test('progress bar', () => {
    expect(progressBar('render', 5, 20, 10)).toBe('[###.......]  25% render 5/20');
    expect(progressBar('snapshot', 0, 0, 4)).toBe('[....]   0% snapshot 0/0');
  });

  test('close-quarter waits for the job with a progress bar and reports the e-mails', async () => {
    const io = capture();
    expect(await closeQuarterCommand('JN', '2026-Q2', io, cliWorkers)).toBe(0);
    expect(io.stderr).toMatch(/\[#+\] 100% (render|publish|done)/);
    expect(io.stdout).toMatch(/Report [a-f0-9]{24}: version 1, 5 PDF files\./);
    expect(io.stdout).toMatch(/head@jn\.example\.cn\s+sent/);
    const unknown = capture();
    expect(await closeQuarterCommand('NOPE', '2026-Q2', unknown, cliWorkers)).toBe(2);
    expect(unknown.stderr).toContain('No bank with code "NOPE"');
    expect(await closeQuarterCommand(undefined, undefined, capture(), cliWorkers)).toBe(2);
  });

  test('resend-report sends every recipient again', async () => {
    const report = await Report.findOne({ quarter: '2026-Q2' }).lean();
    const before = fs.readdirSync(outbox).length;
    const io = capture();
    expect(await resendReportCommand(String(report?._id), io, cliWorkers)).toBe(0);
    expect(io.stdout).toMatch(/audit@jn\.example\.cn\s+sent/);
    // A re-send is a new message (new Message-ID), so it is a new .eml file.
    expect(fs.readdirSync(outbox).length).toBe(before + 2);
  });
});
