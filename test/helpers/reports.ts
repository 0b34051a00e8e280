import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import type { PageMeta } from '../../reports/doc';
import { Assignment } from '../../server/assignments/model';
import { Questionnaire, QuestionnaireVersion } from '../../server/questionnaires/model';
import { scoreVisit, type ScoringSection } from '../../server/rules/scoring';
import { User } from '../../server/users/model';
import { noteChange } from '../../server/visits/changes';
import { Visit } from '../../server/visits/model';
import { bearer } from './app';

/** Fixture snapshots for the PDF builders, a real text extractor (poppler's pdftotext) to check them, and a bank with visits. */

export { fixtureSnapshot, withBranchDetail, PROBLEM, type FixtureOptions } from '../../reports/sample';

/** The text of a PDF as poppler extracts it (what a reader's copy-and-paste or search would see). */
export function pdfText(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdf-text-'));
  const file = path.join(dir, 'r.pdf');
  try {
    fs.writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', file, '-'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every page of a PDF rasterised by poppler's pdftoppm at 72 dpi (PPM bytes), to compare what two PDFs show. */
export function pdfPixels(pdf: Buffer): Buffer[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdf-pixels-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', '72', path.join(dir, 'a.pdf'), path.join(dir, 'p')]);
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ppm'))
      .sort()
      .map((f) => fs.readFileSync(path.join(dir, f)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Header, footer and metadata for a bare test document (a ReportDoc) whose page texts no test reads. */
export const BLANK_PAGE_META: PageMeta = {
  headerLeft: '',
  headerRight: '',
  footerLeft: '',
  pageLabel: () => '',
  title: 't',
  author: 'a',
  createdAt: new Date('2026-12-06T00:00:00Z'),
};

export function pdfPageCount(pdf: Buffer): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdf-info-'));
  const file = path.join(dir, 'r.pdf');
  try {
    fs.writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    return Number(/Pages:\s+(\d+)/.exec(info)?.[1] ?? 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- a bank with approved visits in the database, for the close, download and mail tests ----

export const CLOSE_Q = '2026-Q3';
export const PREV_Q = '2026-Q2';

export const WORLD_BRANCHES = [
  { code: 'JN-E01', name: '上海浦东支行', region: '华东区' },
  { code: 'JN-E02', name: '杭州西湖支行', region: '华东区' },
  { code: 'JN-E03', name: '南京鼓楼支行', region: '华东区' },
  { code: 'JN-S01', name: '广州天河支行', region: '华南区' },
  { code: 'JN-S02', name: '深圳福田支行', region: '华南区' },
  { code: 'JN-S03', name: '厦门思明支行', region: '华南区' }, // never visited
] as const;

const Q_SECTIONS = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      {
        key: 'g_greet',
        type: 'yes_no',
        weight: 1,
        text: { zh: '顾客进门30秒内有员工主动问候', en: 'Greeted within 30 seconds' },
      },
      { key: 'g_wait', type: 'scale', weight: 1, text: { zh: '等待时间合理', en: 'Reasonable waiting time' } },
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      { key: 'p_fees', type: 'yes_no', weight: 2, text: { zh: '主动说明全部费用', en: 'Disclosed all fees' } },
      { key: 'p_answers', type: 'scale', weight: 1, text: { zh: '回答准确专业', en: 'Answered accurately' } },
    ],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      {
        key: 'c_risk',
        type: 'yes_no',
        weight: 2,
        critical: true,
        text: { zh: '风险揭示书逐项讲解并签字确认', en: 'Risk disclosure explained and signed' },
      },
      {
        key: 'c_record',
        type: 'yes_no',
        weight: 1,
        allowNA: true,
        text: { zh: '销售过程双录', en: 'Sale recorded (dual recording)' },
      },
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [
      { key: 'f_contact', type: 'yes_no', weight: 1, text: { zh: '主动留下联系方式', en: 'Offered contact details' } },
    ],
  },
] as const;

type Value = 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5;
const GOOD: Record<string, Value> = {
  g_greet: 'yes',
  g_wait: 5,
  p_fees: 'yes',
  p_answers: 5,
  c_risk: 'yes',
  c_record: 'yes',
  f_contact: 'yes',
};

export interface ReportWorld {
  bankId: string;
  otherBankId: string;
  visitIds: Record<string, string>;
}

function midQuarter(quarter: string, day = 10): Date {
  const [y, q] = quarter.split('-Q').map(Number);
  return new Date(Date.UTC(y, (q - 1) * 3 + 1, day, 3, 30, 0));
}

/**
 * Bank JN (Chinese, two recipients) with five visited branches in two regions, visits in this and
 * the previous quarter, a critical failure and Chinese comments; and a second bank that must never
 * show up in JN's reports. Banks and branches go through the API; the questionnaire and the
 * approved visits are written through the models (their APIs belong to other features), with the
 * scores scoreVisit gives, exactly as the visit service stores them.
 */
export async function reportWorld(
  app: Express,
  adminToken: string,
  recipients = ['head@jn.example.cn', 'audit@jn.example.cn'],
): Promise<ReportWorld> {
  const post = async (path: string, body: object) => {
    const res = await request(app).post(`/api/v1${path}`).set(bearer(adminToken)).send(body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const bankId = (
    await post('/banks', { code: 'JN', name: '江南商业银行', language: 'zh', reportRecipients: recipients })
  ).id;
  const otherBankId = (
    await post('/banks', { code: 'HB', name: 'Harbour Bank', language: 'en', reportRecipients: ['q@harbour.example'] })
  ).id;
  for (const b of WORLD_BRANCHES)
    await post(`/banks/${bankId}/branches`, { code: b.code, name: b.name, region: b.region });
  await post(`/banks/${otherBankId}/branches`, { code: 'HB-1', name: 'Central 秘密支行', region: 'Island' });

  const auditor = await User.create({
    email: 'shopper@reports.test',
    name: '暗访员',
    passwordHash: 'x',
    role: 'auditor',
    auditorCode: 'A-RPT001',
  });
  const sections = Q_SECTIONS.map((s) => ({
    ...s,
    items: s.items.map((i) => ({ critical: false, allowNA: false, required: true, ...i })),
  }));
  const qFor = async (bank: string) => {
    const q = await Questionnaire.create({ bankId: bank, name: '网点服务暗访问卷', latestVersion: 1 });
    await QuestionnaireVersion.create({
      questionnaireId: q._id,
      bankId: bank,
      version: 1,
      name: '网点服务暗访问卷',
      sections,
    });
    return String(q._id);
  };
  const qid = await qFor(bankId);
  const otherQid = await qFor(otherBankId);
  const scoring = sections.map((s) => ({
    key: s.key,
    weight: s.weight,
    items: s.items.map((i) => ({
      key: i.key,
      type: i.type,
      weight: i.weight,
      critical: i.critical,
      allowNA: i.allowNA,
      required: i.required,
    })),
  })) as ScoringSection[];

  const visitIds: Record<string, string> = {};
  let n = 0;
  const visit = async (
    bank: string,
    q: string,
    branchCode: string,
    region: string,
    quarter: string,
    values: Record<string, Value>,
    comments: Record<string, string> = {},
    summary?: string,
  ) => {
    n += 1;
    const at = midQuarter(quarter, 5 + n);
    const answers = Object.entries(values).map(([itemKey, value]) => ({ itemKey, value }));
    const scored = scoreVisit(scoring, answers);
    const a = await Assignment.create({
      bankId: bank,
      branchCode,
      region,
      auditorId: auditor._id,
      questionnaireId: q,
      quarter,
      windowStart: new Date(at.getTime() - 86400_000),
      windowEnd: new Date(at.getTime() + 86400_000),
      scenario: '理财咨询',
    });
    const v = await Visit.create({
      assignmentId: a._id,
      bankId: bank,
      branchCode,
      region,
      auditorId: auditor._id,
      questionnaireId: q,
      questionnaireVersion: 1,
      quarter,
      visitedAt: at,
      durationMinutes: 40,
      staff: [{ employeeId: 'E100', name: '王小明' }],
      staffIds: ['E100'],
      answers: answers.map((x) => ({ ...x, ...(comments[x.itemKey] ? { comment: comments[x.itemKey] } : {}) })),
      summary,
      status: 'approved',
      approvedAt: at,
      scores: { sections: scored.sections, total: scored.total },
      violations: scored.violations,
    });
    // Stored behind the visit service's back: noted for the statistics. Noted after the write, so
    // without the revision a note written before a write carries (the write has landed already).
    await noteChange({ _id: v._id, bankId: v.bankId });
    return String(v._id);
  };
  visitIds.e01a = await visit(
    bankId,
    qid,
    'JN-E01',
    '华东区',
    CLOSE_Q,
    { ...GOOD, g_wait: 4 },
    { g_greet: '大堂经理立即迎接' },
    '整体服务热情周到。',
  );
  visitIds.e01b = await visit(
    bankId,
    qid,
    'JN-E01',
    '华东区',
    CLOSE_Q,
    { ...GOOD, c_risk: 'no', c_record: 'na' },
    { c_risk: '未讲解风险揭示书，直接让顾客签字' },
  );
  visitIds.e02 = await visit(
    bankId,
    qid,
    'JN-E02',
    '华东区',
    CLOSE_Q,
    { ...GOOD, p_fees: 'no', p_answers: 3 },
    { p_fees: '没有提到管理费' },
  );
  visitIds.e03 = await visit(bankId, qid, 'JN-E03', '华东区', CLOSE_Q, { ...GOOD, f_contact: 'no' });
  visitIds.s01 = await visit(bankId, qid, 'JN-S01', '华南区', CLOSE_Q, { ...GOOD, g_greet: 'no', g_wait: 2 });
  visitIds.s02 = await visit(bankId, qid, 'JN-S02', '华南区', CLOSE_Q, { ...GOOD });
  visitIds.prev = await visit(bankId, qid, 'JN-E01', '华东区', PREV_Q, { ...GOOD, p_fees: 'no' });
  await visit(bankId, qid, 'JN-S01', '华南区', PREV_Q, { ...GOOD });
  // Not approved: never in a report.
  const draft = await visit(
    bankId,
    qid,
    'JN-S03',
    '华南区',
    CLOSE_Q,
    { ...GOOD, g_greet: 'no' },
    { g_greet: '草稿里的秘密备注' },
  );
  await Visit.updateOne({ _id: draft }, { $set: { status: 'submitted' }, $inc: { rev: 1 } });
  await noteChange({ _id: draft, bankId });
  visitIds.other = await visit(
    otherBankId,
    otherQid,
    'HB-1',
    'Island',
    CLOSE_Q,
    { ...GOOD, c_risk: 'no' },
    { c_risk: '别家银行的备注' },
  );
  return { bankId, otherBankId, visitIds };
}
