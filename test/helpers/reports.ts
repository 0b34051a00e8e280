import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { Assignment } from '../../server/assignments/model';
import { Questionnaire, QuestionnaireVersion } from '../../server/questionnaires/model';
import { scoreVisit, type ScoringSection } from '../../server/scoring/score';
import { User } from '../../server/users/model';
import { Visit } from '../../server/visits/model';
import { bearer } from './app';
import type { AreaFigures, BranchDetail, BranchFigures, KeyProblem, Lang, RegionFigures, ReportSnapshot, Scores, SectionKey, Violation, VisitDetail } from '../../reports/types';

/** Fixture snapshots for the PDF builders, and a real text extractor (poppler's pdftotext) to check them. */

const SECTIONS: SectionKey[] = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'];

/** A tiny deterministic generator, so a fixture is the same on every run. */
function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

function scores(rnd: () => number, base: number): Scores {
  const sections = Object.fromEntries(SECTIONS.map((k) => [k, Math.min(100, Math.max(0, base + (rnd() - 0.5) * 30))])) as Record<SectionKey, number>;
  const total = SECTIONS.reduce((s, k) => s + sections[k], 0) / 4;
  return { sections, total };
}

const REGIONS = ['华东区', '华南区', '华北区'];
const CITIES = ['上海', '杭州', '广州', '深圳', '北京', '天津', '南京', '苏州'];
const DISTRICTS = ['浦东', '徐汇', '西湖', '天河', '福田', '朝阳', '海淀', '鼓楼', '静安', '南山'];

export const PROBLEM: KeyProblem = {
  itemKey: 'c_risk_disclosure', sectionKey: 'sales_compliance',
  text: { zh: '风险揭示书逐项讲解并由顾客亲笔签字确认', en: 'The risk disclosure was explained and signed' },
  failureRate: 0.375, failed: 3, applicable: 8,
};

export interface FixtureOptions {
  lang?: Lang;
  branches?: number;
  visitsPerBranch?: number;
}

/** A bank snapshot with Chinese branch names across three regions; large enough to span pages. */
export function fixtureSnapshot(opts: FixtureOptions = {}): ReportSnapshot {
  const rnd = seeded(42);
  const count = opts.branches ?? 60;
  const branches: BranchFigures[] = Array.from({ length: count }, (_, i) => {
    const s = scores(rnd, 60 + rnd() * 30);
    return {
      code: `JN-${String(i + 1).padStart(3, '0')}`,
      name: `${CITIES[i % CITIES.length]}${DISTRICTS[i % DISTRICTS.length]}支行`,
      region: REGIONS[i % REGIONS.length],
      n: 1 + (i % 3),
      ...s,
      previous: i % 5 === 0 ? null : scores(rnd, 70),
    };
  });
  const trend = (base: number): AreaFigures['trend'] => ['2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3'].map((quarter, i) => ({ quarter, n: 50 + i, branches: 40 + i, ...scores(rnd, base + i * 2) }));
  const violations: Violation[] = branches.slice(0, 7).map((b, i) => ({
    visitId: `v${i}`, branchCode: b.code, branchName: b.name, region: b.region, itemKey: PROBLEM.itemKey, sectionKey: 'sales_compliance',
    text: PROBLEM.text, visitedAt: '2026-08-0' + ((i % 9) + 1) + 'T02:30:00.000Z',
  }));
  const bankFigures: AreaFigures = {
    key: 'JNCB', name: '江南商业银行', n: branches.reduce((s, b) => s + b.n, 0), branches: count, branchesTotal: count + 5,
    sections: { greeting: 84.25, product_knowledge: 71.05, sales_compliance: 66.6666, follow_up: 90 }, total: 77.9875,
    previous: { sections: { greeting: 80, product_knowledge: 70, sales_compliance: 70, follow_up: 88 }, total: 77 },
    spread: { min: 51.2, max: 97.35, stdev: 9.87 },
    trend: [...trend(70).slice(0, 3), { quarter: '2026-Q3', n: 120, branches: count, sections: { greeting: 84.25, product_knowledge: 71.05, sales_compliance: 66.6666, follow_up: 90 }, total: 77.9875 }],
    branchTotals: branches.map((b) => b.total as number),
  };
  const regions: RegionFigures[] = REGIONS.map((name, i) => {
    const mine = branches.filter((b) => b.region === name);
    return {
      key: name, name, n: mine.reduce((s, b) => s + b.n, 0), branches: mine.length, branchesTotal: mine.length + 1,
      ...scores(rnd, 70 + i * 4), previous: scores(rnd, 70), spread: { min: 55 + i, max: 95 - i, stdev: 8 + i },
      trend: trend(68 + i), branchTotals: mine.map((b) => b.total as number),
      keyProblems: [PROBLEM], violations: violations.filter((v) => v.region === name),
      bankBenchmark: i === 2 ? null : { sections: bankFigures.sections, total: bankFigures.total },
    };
  });
  return {
    format: 1,
    bank: { id: '0123456789abcdef01234567', code: 'JNCB', name: '江南商业银行', language: opts.lang ?? 'zh', timezone: 'Asia/Shanghai' },
    quarter: '2026-Q3',
    version: 2,
    generatedAt: '2026-10-08T01:15:00.000Z',
    bankFigures,
    regions,
    branches,
    keyProblems: [PROBLEM, { itemKey: 'f_call', sectionKey: 'follow_up', text: { zh: '承诺时间内回访', en: 'Called back in time' }, failureRate: 0.2, failed: 2, applicable: 10 }],
    violations,
    questionnaires: [{ name: '网点服务暗访问卷', version: 3, sectionWeights: SECTIONS.map((key) => ({ key, weight: 25 })) }],
    branchDetails: [],
  };
}

/** A snapshot slice for one branch's report, with visits, answers and comments. */
export function withBranchDetail(s: ReportSnapshot, code: string, visits = 2): ReportSnapshot {
  const b = s.branches.find((x) => x.code === code);
  if (!b) throw new Error(`no branch ${code}`);
  const details: VisitDetail[] = Array.from({ length: visits }, (_, i) => ({
    id: `visit-${i}`,
    visitedAt: `2026-08-1${i}T06:45:00.000Z`,
    durationMinutes: 35 + i,
    questionnaireName: '网点服务暗访问卷',
    questionnaireVersion: 3,
    scores: { sections: b.sections, total: b.total },
    staff: ['王小明', '李红'],
    summary: i === 0 ? '大堂经理热情，但未讲解风险揭示书。' : null,
    answers: [
      { itemKey: 'g_greet_30s', sectionKey: 'greeting', text: { zh: '顾客进门30秒内有员工主动问候', en: 'Greeted within 30 seconds' }, critical: false, value: 'yes', score: 100, comment: '进门即有人问候' },
      { itemKey: 'g_wait_time', sectionKey: 'greeting', text: { zh: '等待时间', en: 'Waiting time' }, critical: false, value: 4, score: 75, comment: null },
      { itemKey: 'c_risk_disclosure', sectionKey: 'sales_compliance', text: PROBLEM.text, critical: true, value: 'no', score: 0, comment: '未讲解风险揭示书，直接让顾客签字' },
      { itemKey: 'c_dual_recording', sectionKey: 'sales_compliance', text: { zh: '双录', en: 'Dual recording' }, critical: true, value: 'na', score: null, comment: null },
    ],
    violations: ['c_risk_disclosure'],
  }));
  const detail: BranchDetail = {
    code,
    benchmarks: { region: { sections: b.sections, total: 74.44 }, bank: { sections: s.bankFigures.sections, total: s.bankFigures.total } },
    visits: details,
    keyProblems: [PROBLEM],
    violations: s.violations.filter((v) => v.branchCode === code),
  };
  return { ...s, branchDetails: [detail] };
}

/** The text of a PDF as poppler extracts it (what a reader's copy-and-paste or search would see). */
export function pdfText(pdf: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdf-text-'));
  const file = path.join(dir, 'r.pdf');
  try {
    fs.writeFileSync(file, pdf);
    return execFileSync('pdftotext', ['-enc', 'UTF-8', '-layout', file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

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
  { key: 'greeting', weight: 25, items: [
    { key: 'g_greet', type: 'yes_no', weight: 1, text: { zh: '顾客进门30秒内有员工主动问候', en: 'Greeted within 30 seconds' } },
    { key: 'g_wait', type: 'scale', weight: 1, text: { zh: '等待时间合理', en: 'Reasonable waiting time' } },
  ] },
  { key: 'product_knowledge', weight: 25, items: [
    { key: 'p_fees', type: 'yes_no', weight: 2, text: { zh: '主动说明全部费用', en: 'Disclosed all fees' } },
    { key: 'p_answers', type: 'scale', weight: 1, text: { zh: '回答准确专业', en: 'Answered accurately' } },
  ] },
  { key: 'sales_compliance', weight: 25, items: [
    { key: 'c_risk', type: 'yes_no', weight: 2, critical: true, text: { zh: '风险揭示书逐项讲解并签字确认', en: 'Risk disclosure explained and signed' } },
    { key: 'c_record', type: 'yes_no', weight: 1, allowNA: true, text: { zh: '销售过程双录', en: 'Sale recorded (dual recording)' } },
  ] },
  { key: 'follow_up', weight: 25, items: [
    { key: 'f_contact', type: 'yes_no', weight: 1, text: { zh: '主动留下联系方式', en: 'Offered contact details' } },
  ] },
] as const;

type Value = 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5;
const GOOD: Record<string, Value> = { g_greet: 'yes', g_wait: 5, p_fees: 'yes', p_answers: 5, c_risk: 'yes', c_record: 'yes', f_contact: 'yes' };

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
export async function reportWorld(app: Express, adminToken: string, recipients = ['head@jn.example.cn', 'audit@jn.example.cn']): Promise<ReportWorld> {
  const post = async (path: string, body: object) => {
    const res = await request(app).post(`/api/v1${path}`).set(bearer(adminToken)).send(body);
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const bankId = (await post('/banks', { code: 'JN', name: '江南商业银行', language: 'zh', reportRecipients: recipients })).id;
  const otherBankId = (await post('/banks', { code: 'HB', name: 'Harbour Bank', language: 'en', reportRecipients: ['q@harbour.example'] })).id;
  for (const b of WORLD_BRANCHES) await post(`/banks/${bankId}/branches`, { code: b.code, name: b.name, region: b.region });
  await post(`/banks/${otherBankId}/branches`, { code: 'HB-1', name: 'Central 秘密支行', region: 'Island' });

  const auditor = await User.create({ email: 'shopper@reports.test', name: '暗访员', passwordHash: 'x', role: 'auditor', auditorCode: 'A-RPT001' });
  const sections = Q_SECTIONS.map((s) => ({ ...s, items: s.items.map((i) => ({ critical: false, allowNA: false, required: true, ...i })) }));
  const qFor = async (bank: string) => {
    const q = await Questionnaire.create({ bankId: bank, name: '网点服务暗访问卷', latestVersion: 1 });
    await QuestionnaireVersion.create({ questionnaireId: q._id, bankId: bank, version: 1, name: '网点服务暗访问卷', sections });
    return String(q._id);
  };
  const qid = await qFor(bankId);
  const otherQid = await qFor(otherBankId);
  const scoring = sections.map((s) => ({ key: s.key, weight: s.weight, items: s.items.map((i) => ({ key: i.key, type: i.type, weight: i.weight, critical: i.critical, allowNA: i.allowNA, required: i.required })) })) as ScoringSection[];

  const visitIds: Record<string, string> = {};
  let n = 0;
  const visit = async (bank: string, q: string, branchCode: string, region: string, quarter: string, values: Record<string, Value>, comments: Record<string, string> = {}, summary?: string) => {
    n += 1;
    const at = midQuarter(quarter, 5 + n);
    const answers = Object.entries(values).map(([itemKey, value]) => ({ itemKey, value }));
    const scored = scoreVisit(scoring, answers);
    const a = await Assignment.create({ bankId: bank, branchCode, region, auditorId: auditor._id, questionnaireId: q, quarter, windowStart: new Date(at.getTime() - 86400_000), windowEnd: new Date(at.getTime() + 86400_000), scenario: '理财咨询' });
    const v = await Visit.create({
      assignmentId: a._id, bankId: bank, branchCode, region, auditorId: auditor._id, questionnaireId: q, questionnaireVersion: 1, quarter,
      visitedAt: at, durationMinutes: 40, staff: [{ employeeId: 'E100', name: '王小明' }], staffIds: ['E100'],
      answers: answers.map((x) => ({ ...x, ...(comments[x.itemKey] ? { comment: comments[x.itemKey] } : {}) })), summary,
      status: 'approved', approvedAt: at, scores: { sections: scored.sections, total: scored.total }, violations: scored.violations,
    });
    return String(v._id);
  };
  visitIds.e01a = await visit(bankId, qid, 'JN-E01', '华东区', CLOSE_Q, { ...GOOD, g_wait: 4 }, { g_greet: '大堂经理立即迎接' }, '整体服务热情周到。');
  visitIds.e01b = await visit(bankId, qid, 'JN-E01', '华东区', CLOSE_Q, { ...GOOD, c_risk: 'no', c_record: 'na' }, { c_risk: '未讲解风险揭示书，直接让顾客签字' });
  visitIds.e02 = await visit(bankId, qid, 'JN-E02', '华东区', CLOSE_Q, { ...GOOD, p_fees: 'no', p_answers: 3 }, { p_fees: '没有提到管理费' });
  visitIds.e03 = await visit(bankId, qid, 'JN-E03', '华东区', CLOSE_Q, { ...GOOD, f_contact: 'no' });
  visitIds.s01 = await visit(bankId, qid, 'JN-S01', '华南区', CLOSE_Q, { ...GOOD, g_greet: 'no', g_wait: 2 });
  visitIds.s02 = await visit(bankId, qid, 'JN-S02', '华南区', CLOSE_Q, { ...GOOD });
  visitIds.prev = await visit(bankId, qid, 'JN-E01', '华东区', PREV_Q, { ...GOOD, p_fees: 'no' });
  await visit(bankId, qid, 'JN-S01', '华南区', PREV_Q, { ...GOOD });
  // Not approved: never in a report.
  const draft = await visit(bankId, qid, 'JN-S03', '华南区', CLOSE_Q, { ...GOOD, g_greet: 'no' }, { g_greet: '草稿里的秘密备注' });
  await Visit.updateOne({ _id: draft }, { $set: { status: 'submitted' } });
  visitIds.other = await visit(otherBankId, otherQid, 'HB-1', 'Island', CLOSE_Q, { ...GOOD, c_risk: 'no' }, { c_risk: '别家银行的备注' });
  return { bankId, otherBankId, visitIds };
}
