import { Types } from 'mongoose';
import { rng } from '../seed/rng';
import { shiftQuarter } from '../server/rules/quarters';
import { scoreVisit, type Answer, type AnswerValue, type ScoringSection } from '../server/rules/scoring';
import { Bank, Branch, Staff } from '../server/banks/model';
import { QuestionnaireVersion } from '../server/questionnaires/model';
import { Visit } from '../server/visits/model';

/**
 * The generated bank of the quarterly results benchmark (bench/results-bench.ts): branches, staff, a
 * questionnaire and two quarters of visits stored as the visit service stores them, written straight
 * into the collections in batches. Sizes come from BENCH_BRANCHES and BENCH_VISITS.
 */
export const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
export const BRANCHES = env('BENCH_BRANCHES', 25_000);
export const VISITS = env('BENCH_VISITS', 100_000);
export const REGIONS = 50;
export const STAFF_PER_BRANCH = 2;
/** Visits that are not counted (draft, submitted, returned), per counted one: the filter has work to do. */
export const UNCOUNTED_SHARE = 0.03;
export const QUARTER = '2026-Q2';
export const BATCH = 1000;

export const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** 16 items, 4 per dimension, two critical, some scale, some allowing N/A: a typical bank questionnaire. */
const yn = (key: string, extra: Partial<ScoringSection['items'][number]> = {}) => ({
  key,
  type: 'yes_no' as const,
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  ...extra,
});
const sc = (key: string) => ({ ...yn(key), type: 'scale' as const });
const SECTIONS: ScoringSection[] = [
  {
    key: 'greeting',
    weight: 25,
    items: [yn('gr_30s'), yn('gr_eye'), sc('gr_wait'), yn('gr_ticket', { allowNA: true })],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [yn('pk_features'), sc('pk_fees'), yn('pk_term', { weight: 2 }), yn('pk_compare', { allowNA: true })],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      yn('sc_risk', { critical: true }),
      yn('sc_suit', { critical: true }),
      yn('sc_noguarantee'),
      yn('sc_record', { allowNA: true }),
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [yn('fu_contact'), yn('fu_call', { allowNA: true }), sc('fu_after'), yn('fu_card', { allowNA: true })],
  },
];
const ITEMS = SECTIONS.flatMap((s) => s.items);

function answersFor(r: () => number, quality: number): Answer[] {
  return ITEMS.map((i) => {
    let value: AnswerValue;
    if (i.allowNA && r() < 0.1) value = 'na';
    else if (i.type === 'scale')
      value = Math.max(1, Math.min(5, Math.round(1 + 4 * (quality + (r() - 0.5) * 0.5)))) as AnswerValue;
    else value = r() < (i.critical ? 1 - (1 - quality) / 4 : quality) ? 'yes' : 'no';
    return { itemKey: i.key, value };
  });
}

function midQuarter(quarter: string, r: () => number): Date {
  const [y, q] = quarter.split('-Q').map(Number);
  return new Date(Date.UTC(y, (q - 1) * 3, 5 + Math.floor(r() * 80), 1 + Math.floor(r() * 9)));
}

export interface Ctx {
  bankId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  auditorId: Types.ObjectId;
  branches: { code: string; region: string; quality: number }[];
}

/** Generates the bank; its id is what the measurements are run on. */
export async function generate(): Promise<Ctx> {
  const r = rng(20260401);
  const bankId = new Types.ObjectId();
  const auditorId = new Types.ObjectId();
  const questionnaireId = new Types.ObjectId();
  await Bank.collection.insertOne({
    _id: bankId,
    code: 'BENCH',
    name: '基准测试银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    reportRecipients: [],
  });
  await QuestionnaireVersion.collection.insertOne({
    questionnaireId,
    bankId,
    version: 1,
    name: '标准问卷',
    sections: SECTIONS.map((s) => ({
      ...s,
      items: s.items.map((i) => ({ ...i, text: { zh: `题目 ${i.key}`, en: `Item ${i.key}` } })),
    })),
  });
  const branches = Array.from({ length: BRANCHES }, (_, i) => ({
    code: `BR${String(i).padStart(6, '0')}`,
    region: `区域${String(i % REGIONS).padStart(2, '0')}`,
    quality: 0.55 + 0.43 * r(),
  }));
  const t0 = Date.now();
  for (let i = 0; i < branches.length; i += BATCH) {
    const part = branches.slice(i, i + BATCH);
    await Branch.collection.insertMany(
      part.map((b) => ({ bankId, code: b.code, name: `${b.region}第${b.code}支行`, region: b.region, active: true })),
      { ordered: false },
    );
    await Staff.collection.insertMany(
      part.flatMap((b) =>
        Array.from({ length: STAFF_PER_BRANCH }, (_, k) => ({
          bankId,
          employeeId: `${b.code}-${k}`,
          name: `员工${b.code}-${k}`,
          branchCode: b.code,
          region: b.region,
          active: true,
        })),
      ),
      { ordered: false },
    );
  }
  log(`  ${BRANCHES} branches and ${BRANCHES * STAFF_PER_BRANCH} staff in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const ctx = { bankId, questionnaireId, auditorId, branches };
  for (const quarter of [shiftQuarter(QUARTER, -1), QUARTER]) await generateQuarter(ctx, quarter, r);
  return ctx;
}

/** A visit document as the visit service stores it: comments, staff, history and all. */
function visitDoc(ctx: Ctx, quarter: string, status: string, r: () => number) {
  const b = ctx.branches[Math.floor(r() * ctx.branches.length)];
  const answers = answersFor(r, b.quality);
  const scored = scoreVisit(SECTIONS, answers);
  const staffIds = Array.from({ length: Math.floor(r() * 3) }, () => `${b.code}-${Math.floor(r() * STAFF_PER_BRANCH)}`);
  const id = new Types.ObjectId();
  const at = midQuarter(quarter, r);
  return {
    _id: id,
    assignmentId: new Types.ObjectId(),
    bankId: ctx.bankId,
    branchCode: b.code,
    region: b.region,
    auditorId: ctx.auditorId,
    questionnaireId: ctx.questionnaireId,
    questionnaireVersion: 1,
    quarter,
    visitedAt: at,
    durationMinutes: 20 + Math.floor(r() * 30),
    staff: staffIds.map((employeeId) => ({ employeeId, description: '柜台工作人员，女，戴眼镜' })),
    staffIds,
    answers: answers.map((a) =>
      r() < 0.3 ? { ...a, comment: '等候约五分钟后才有人接待，未主动介绍产品风险等级。' } : a,
    ),
    summary: '客户经理态度良好，但产品费用说明不完整，未提及提前赎回费用。整体流程规范，双录完整。',
    status,
    scores: { sections: scored.sections, total: scored.total },
    violations: scored.violations,
    flags: [],
    attachments: [],
    history: ['created', 'submitted', 'approved'].map((action) => ({
      at,
      by: ctx.auditorId,
      role: action === 'approved' ? 'reviewer' : 'auditor',
      action,
      changes: [{ field: 'status', before: null, after: action }],
    })),
    submittedAt: at,
    firstSubmittedAt: at,
    approvedAt: at,
    rev: 3,
    idempotencyKey: `auto:${String(id)}`,
    createdAt: at,
    updatedAt: at,
  };
}

async function generateQuarter(ctx: Ctx, quarter: string, r: () => number): Promise<void> {
  const visits = Visit.collection;
  const uncounted = Math.round(VISITS * UNCOUNTED_SHARE);
  const total = VISITS + uncounted;
  const t0 = Date.now();
  for (let i = 0; i < total; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, total - i) }, (_, k) => {
      const n = i + k;
      const status = n < VISITS ? (r() < 0.01 ? 'disputed' : 'approved') : ['draft', 'submitted', 'returned'][n % 3];
      return visitDoc(ctx, quarter, status, r);
    });
    await visits.insertMany(docs, { ordered: false });
    if ((i / BATCH) % 20 === 19)
      log(`  ${quarter}: ${i + docs.length}/${total} visits (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  log(`  ${quarter}: ${VISITS} counted + ${uncounted} other visits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
