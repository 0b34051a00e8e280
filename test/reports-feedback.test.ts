import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { startAppWorkers, type Workers } from '../server/jobs';
import { ReportCorrection } from '../server/publishing/corrections';
import { Report } from '../server/publishing/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD, type Fixture } from './helpers/foundation';
import { CLOSE_Q, pdfText, PREV_Q, reportWorld, type ReportWorld } from './helpers/reports';
import { csrfOf, signIn } from './helpers/web';

/**
 * The feedback loop in the quarter close, end to end through the API: disputes (open, upheld,
 * overturned) and the previous quarter's action plans show in the right branch's PDF and are
 * counted in the bank and region PDFs; a dispute overturned after publication marks the bank and
 * quarter "correction pending" (admin page, JSON, bank users in scope only) until a new version.
 */
let app: Express;
let admin: string;
let world: ReportWorld;
let outbox: string;
let workers: Workers | undefined;
const tokens: Record<string, string> = {};
const emails: Record<string, string> = {};

const api = () => request(app);
const flat = (text: string) => text.replace(/\s+/g, '');
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
const pdf = async (reportId: string, scope: string) => {
  const res = await download(admin, reportId, scope);
  expect(res.status).toBe(200);
  return flat(pdfText(res.body as Buffer));
};

async function dispute(visitId: string, itemKey: string): Promise<string> {
  const res = await api()
    .post(`/api/v1/visits/${visitId}/disputes`)
    .set(bearer(tokens.head))
    .send({ itemKey, reason: '录像显示员工已按要求操作' });
  if (res.status !== 201) throw new Error(`dispute: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function resolve(disputeId: string, decision: 'upheld' | 'overturned', value?: string | number): Promise<void> {
  const res = await api()
    .post(`/api/v1/disputes/${disputeId}/resolve`)
    .set(bearer(tokens.reviewer))
    .send({ decision, ...(value === undefined ? {} : { value }), note: '已核对录像' });
  if (res.status !== 200) throw new Error(`resolve: ${res.status} ${JSON.stringify(res.body)}`);
}

async function plan(scope: Record<string, string>, itemKey: string, action: string): Promise<string> {
  const res = await api().post('/api/v1/action-plans').set(bearer(tokens.head)).send({
    kind: 'key_problem',
    bankId: world.bankId,
    quarter: PREV_Q,
    itemKey,
    scope,
    action,
    owner: '王经理',
    dueDate: '2026-06-30',
  });
  if (res.status !== 201) throw new Error(`plan: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function closeAndWait(): Promise<string> {
  const res = await api().post(`/api/v1/banks/${world.bankId}/quarters/${CLOSE_Q}/close`).set(bearer(admin));
  expect(res.status).toBe(202);
  await runUntilReady(res.body.reportId);
  return res.body.reportId as string;
}

async function runUntilReady(reportId: string): Promise<void> {
  workers = startAppWorkers({ pollMs: 50, mail: false });
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await Report.findById(reportId).lean();
      if (r?.status === 'ready') return;
      if (r?.status === 'failed') throw new Error(`report failed: ${r.error}`);
      if (Date.now() > deadline) throw new Error('the close did not finish');
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    await workers.stop();
    workers = undefined;
  }
}

beforeAll(async () => {
  outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  // The world's visits were approved in 2026-Q3; the test clock is later: keep their dispute window open.
  setConfig({ ...config(), OUTBOX_DIR: outbox, SMTP_URL: undefined, DISPUTE_WINDOW_DAYS: 3650 });
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  world = await reportWorld(app, admin);
  const f: Fixture = { app, adminToken: admin };
  const users: [string, Record<string, unknown>][] = [
    ['head', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'bank' } }],
    ['east', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'region', region: '华东区' } }],
    ['south', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'region', region: '华南区' } }],
    ['e01', { role: 'bank_manager', bankId: world.bankId, scope: { type: 'branches', branchCodes: ['JN-E01'] } }],
    ['other', { role: 'bank_manager', bankId: world.otherBankId, scope: { type: 'bank' } }],
    ['reviewer', { role: 'reviewer' }],
  ];
  for (const [name, body] of users) {
    emails[name] = `${name}@fb-reports.test`;
    tokens[name] = (await makeUser(f, { email: emails[name], ...body } as Parameters<typeof makeUser>[1])).token;
  }

  // Disputes of the closed quarter: E01's critical failure stays open, E02's fees answer is upheld,
  // S01's greeting is overturned from "no" to "yes".
  await dispute(world.visitIds.e01b, 'c_risk');
  await resolve(await dispute(world.visitIds.e02, 'p_fees'), 'upheld');
  await resolve(await dispute(world.visitIds.s01, 'g_greet'), 'overturned', 'yes');

  // Plans of the previous quarter:
  //   E01 fees: 2026-Q2 1/1 failed → 2026-Q3 0/2: improved;
  //   华东区 contact details: 0/1 → 1/4 (E03): worse (shown in E01, E02, E03, not in the South);
  //   S01 greeting: 0/1 → 0/1 after the overturn: unchanged;  E02 dual recording: no 2026-Q2 visit: not yet measurable.
  const done = await plan({ type: 'branch', branchCode: 'JN-E01' }, 'p_fees', '晨会讲解收费');
  expect(
    (await api().patch(`/api/v1/action-plans/${done}`).set(bearer(tokens.head)).send({ status: 'done' })).status,
  ).toBe(200);
  await plan({ type: 'region', region: '华东区' }, 'f_contact', '加强离店回访');
  await plan({ type: 'branch', branchCode: 'JN-S01' }, 'g_greet', '增设迎宾岗');
  await plan({ type: 'branch', branchCode: 'JN-E02' }, 'c_record', '双录设备检修');
}, 180_000);

afterEach(async () => {
  await workers?.stop();
  workers = undefined;
});

afterAll(async () => {
  await stopTestApp();
  fs.rmSync(outbox, { recursive: true, force: true });
});

describe("disputes and action plans in the closed quarter's PDFs", () => {
  let v1: string;
  beforeAll(async () => {
    v1 = await closeAndWait();
  }, 120_000);

  test('branch reports: each disputed item with its state, in its own branch only', async () => {
    const e01 = await pdf(v1, 'branch:JN-E01');
    expect(e01).toContain(flat('申诉项：风险揭示书逐项讲解并签字确认 〔申诉中〕'));
    expect(e01).toContain(flat('本网点申诉：1 次暗访中共 1 个检查项被申诉（处理中 1，维持原结果 0，改判 0）。'));
    expect(e01).not.toContain('维持原结果〕');
    expect(e01).not.toContain('已改判');

    const s01 = await pdf(v1, 'branch:JN-S01');
    // (The item's text is matched from "30秒": pdftotext loses its "门", a glyph the font also uses inside others.)
    expect(s01).toMatch(/申诉项：顾客进.?30秒内有员工主动问候〔申诉：已改判，原回答否〕/);
    expect(s01).toContain(flat('本网点申诉：1 次暗访中共 1 个检查项被申诉（处理中 0，维持原结果 0，改判 1）。'));
    expect(s01).not.toContain('〔申诉中〕');

    const e02 = await pdf(v1, 'branch:JN-E02');
    expect(e02).toContain(flat('申诉项：主动说明全部费用 〔申诉：维持原结果〕'));
    expect(e02).not.toContain('〔申诉中〕');

    const e03 = await pdf(v1, 'branch:JN-E03');
    expect(e03).toContain(flat('本网点本季度没有申诉。'));
    expect(e03).not.toContain('〔申诉');
  });

  test("branch reports: the previous quarter's plans covering the branch, with the measured outcome", async () => {
    const e01 = await pdf(v1, 'branch:JN-E01');
    expect(e01).toContain(flat('2026-Q2 整改措施及效果'));
    expect(e01).toMatch(/晨会讲解收费王经理2026-06-30已完成100\.0%\(1\/1\)0\.0%\(0\/2\)改善/);
    expect(e01).toMatch(/加强离店回访王经理2026-06-30已逾期0\.0%\(0\/1\)25\.0%\(1\/4\)恶化/);
    expect(e01).not.toContain('增设迎宾岗');
    expect(e01).not.toContain('双录设备检修');

    const s01 = await pdf(v1, 'branch:JN-S01');
    expect(s01).toMatch(/增设迎宾岗王经理2026-06-30已逾期0\.0%\(0\/1\)0\.0%\(0\/1\)无变化/);
    expect(s01).not.toContain('晨会讲解收费');
    expect(s01).not.toContain('加强离店回访');

    const e02 = await pdf(v1, 'branch:JN-E02');
    expect(e02).toContain('双录设备检修');
    expect(e02).toContain('尚无法衡量');
    expect(e02).toContain('加强离店回访');
    expect(e02).not.toContain('晨会讲解收费');

    const s02 = await pdf(v1, 'branch:JN-S02');
    expect(s02).toContain(flat('没有涉及本网点的 2026-Q2 整改措施。'));
  });

  test('bank and region reports: dispute counts in their scope, the open dispute flagged on its violation', async () => {
    const bank = await pdf(v1, 'bank');
    expect(bank).toContain(flat('申诉：3 次暗访中共 3 个检查项被申诉（处理中 1，维持原结果 1，改判 1）。'));
    expect(bank).toContain(flat('风险揭示书逐项讲解并签字确认 〔申诉中〕'));
    expect(bank).toContain(flat('2026-Q2 的整改措施 4 项：改善 1 项，恶化 1 项，无变化 1 项，尚无法衡量 1 项。'));

    const east = await pdf(v1, 'region:华东区');
    expect(east).toContain(flat('申诉：2 次暗访中共 2 个检查项被申诉（处理中 1，维持原结果 1，改判 0）。'));
    expect(east).toContain(flat('风险揭示书逐项讲解并签字确认 〔申诉中〕'));
    const south = await pdf(v1, 'region:华南区');
    expect(south).toContain(flat('申诉：1 次暗访中共 1 个检查项被申诉（处理中 0，维持原结果 0，改判 1）。'));
    expect(south).not.toContain('〔申诉中〕');
  });
});

describe('a correction after publication', () => {
  const list = (who: string) =>
    api()
      .get(`/api/v1/reports?bankId=${world.bankId}&quarter=${CLOSE_Q}`)
      .set(bearer(tokens[who] ?? admin));
  const pendingOf = async (who: string) => {
    const res = await list(who);
    expect(res.status).toBe(200);
    return (res.body as { version: number; correctionPending: boolean }[]).map((r) => [r.version, r.correctionPending]);
  };
  let current: string;

  test('an upheld dispute after publication changes nothing: no correction pending', async () => {
    current = (
      await Report.findOne({ bankId: world.bankId, quarter: CLOSE_Q, status: 'ready', supersededBy: null }).lean()
    )?._id.toString() as string;
    await resolve(await dispute(world.visitIds.e03, 'f_contact'), 'upheld');
    // (S01's overturn before the first close did not count either: that close included it.)
    expect(await ReportCorrection.countDocuments({})).toBe(0);
    expect((await pendingOf('admin'))[0]).toEqual([1, false]);
  });

  test('an overturn after publication marks the bank and quarter, for readers in scope only', async () => {
    await resolve(await dispute(world.visitIds.e03, 'g_wait'), 'overturned', 3);
    expect(await ReportCorrection.countDocuments({ bankId: world.bankId, quarter: CLOSE_Q, clearedAt: null })).toBe(1);

    expect(await pendingOf('admin')).toEqual([[1, true]]);
    expect((await api().get(`/api/v1/reports/${current}`).set(bearer(admin))).body.correctionPending).toBe(true);
    expect(await pendingOf('head')).toEqual([[1, true]]);
    expect(await pendingOf('east')).toEqual([[1, true]]); // E03 lies in 华东区
    // Out of scope: the corrected visit is not theirs, so they are not told.
    expect(await pendingOf('south')).toEqual([[1, false]]);
    expect(await pendingOf('e01')).toEqual([[1, false]]);
    expect((await api().get(`/api/v1/reports/${current}`).set(bearer(tokens.e01))).body.correctionPending).toBe(false);
    // Another bank's manager sees nothing of the bank at all.
    expect((await list('other')).status).toBe(404);
    expect((await api().get(`/api/v1/reports/${current}`).set(bearer(tokens.other))).status).toBe(404);
    // Bank managers see the mark on their reports page when it is theirs to know; the admin page
    // (with every bank's pending corrections) is not for them.
    const head = await signIn(app, emails.head, PASSWORD, 'zh');
    expect((await head.get('/reports')).text).toContain('correction-badge');
    const e01 = await signIn(app, emails.e01, PASSWORD, 'zh');
    const mine = await e01.get('/reports');
    expect(mine.status).toBe(200);
    expect(mine.text).toContain(CLOSE_Q);
    expect(mine.text).not.toContain('correction-badge');
    const page = await head.get('/admin/reports');
    expect(page.status).toBe(403);
    expect(page.text).not.toContain('待更正的报告');
  });

  test('the admin page shows it with the re-issue action; re-issuing clears it', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'zh');
    const page = await agent.get('/admin/reports');
    expect(page.status).toBe(200);
    expect(page.text).toContain('待更正的报告');
    const row = /<tr class="correction-pending" data-bank="([a-f0-9]+)" data-quarter="([^"]+)">([\s\S]*?)<\/tr>/.exec(
      page.text,
    );
    expect(row?.[1]).toBe(world.bankId);
    expect(row?.[2]).toBe(CLOSE_Q);
    expect(row?.[3]).toContain('江南商业银行 (JN)');
    expect(row?.[3]).toContain('改判 1 项');
    expect(row?.[3]).toContain('JN-E03');
    expect(row?.[3]).toContain('action="/admin/reports/close"');
    expect(page.text).toContain('correction-badge');

    // The row's own form: the existing close action issues version 2.
    const token = await csrfOf(agent, '/admin/reports');
    const res = await agent
      .post('/admin/reports/close')
      .type('form')
      .send({ _csrf: token, bankId: world.bankId, quarter: CLOSE_Q, confirm: 'yes' });
    expect(res.status).toBe(303);
    const v2 = await Report.findOne({ bankId: world.bankId, quarter: CLOSE_Q, version: 2 }).lean();
    expect(v2).not.toBeNull();
    await runUntilReady(String(v2?._id));

    expect(await pendingOf('admin')).toEqual([
      [2, false],
      [1, false],
    ]);
    expect(await pendingOf('head')).toEqual([
      [2, false],
      [1, false],
    ]);
    const cleared = await ReportCorrection.findOne({}).lean();
    expect(String(cleared?.clearedBy)).toBe(String(v2?._id));
    const after = await agent.get('/admin/reports');
    expect(after.text).not.toContain('待更正的报告');
    expect(after.text).not.toContain('correction-badge');
    // Version 2 shows the corrected answer with its dispute marker.
    const e03 = await pdf(String(v2?._id), 'branch:JN-E03');
    expect(e03).toContain(flat('〔申诉：已改判，原回答 5 / 5〕'));
    expect(e03).toContain(flat('〔申诉：维持原结果〕'));
  }, 120_000);

  test('an English admin page says it in English', async () => {
    await resolve(await dispute(world.visitIds.e01a, 'g_wait'), 'overturned', 5);
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'en');
    const page = await agent.get('/admin/reports');
    expect(page.text).toContain('Corrections pending');
    expect(page.text).toContain('1 overturned');
    expect(page.text).toContain('Re-issue');
  });
});
