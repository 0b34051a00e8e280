import { Types } from 'mongoose';
import { rng } from '../../seed/rng';
import { shiftQuarter } from '../../server/rules/quarters';
import type { Answer, AnswerValue, ScoringSection } from '../../server/rules/scoring';
import {
  BATCH,
  BRANCHES,
  log,
  PASSWORD,
  QUARTER,
  QUARTERS,
  REGIONS,
  STAFF_PER_BRANCH,
  UNCOUNTED_SHARE,
  VISITS,
} from './settings';

/**
 * The one large bank every benchmark uses (issue 13): 25,000 branches in 50 regions, two staff per
 * branch, a 16-item questionnaire with Chinese wording, and in EACH of four quarters 100,000 counted
 * (approved, 1 % disputed) visits plus 3 % uncounted ones (draft, submitted, returned) — stored straight
 * into the collections in batches, as the visit service stores them. The users the benchmarks act as
 * are created through the users door (their passwords hashed as in production).
 */
export interface LargeBank {
  bankId: string;
  bankCode: string;
  questionnaireId: string;
  quarter: string;
  quarters: string[];
  region: string;
  branches: number;
  visitsPerQuarter: number;
  users: Record<'manager' | 'regionManager' | 'regionHr' | 'reviewer' | 'auditor', string>;
  password: string;
  generatedSeconds: number;
}

type Item = ScoringSection['items'][number] & { text: { zh: string; en: string } };
const yn = (key: string, zh: string, extra: Partial<Item> = {}): Item => ({
  key,
  type: 'yes_no',
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  text: { zh, en: key },
  ...extra,
});
const sc = (key: string, zh: string): Item => ({ ...yn(key, zh), type: 'scale' });
export const SECTIONS: (Omit<ScoringSection, 'items'> & { items: Item[] })[] = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      yn('gr_30s', '30秒内问候'),
      yn('gr_eye', '目光接触'),
      sc('gr_wait', '等待时间'),
      yn('gr_ticket', '取号说明', { allowNA: true }),
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      yn('pk_features', '介绍产品特点'),
      sc('pk_fees', '说明费用'),
      yn('pk_term', '说明期限', { weight: 2 }),
      yn('pk_compare', '比较产品', { allowNA: true }),
    ],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      yn('sc_risk', '风险揭示', { critical: true }),
      yn('sc_suit', '适当性评估', { critical: true }),
      yn('sc_noguarantee', '未承诺保本'),
      yn('sc_record', '双录', { allowNA: true }),
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [
      yn('fu_contact', '留下联系方式'),
      yn('fu_call', '按时回访', { allowNA: true }),
      sc('fu_after', '售后答疑'),
      yn('fu_card', '递交名片', { allowNA: true }),
    ],
  },
];
const ITEMS = SECTIONS.flatMap((s) => s.items);

interface Ctx {
  bankId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  auditorId: Types.ObjectId;
  reviewerId: Types.ObjectId;
  branches: { code: string; region: string; quality: number }[];
  score: (answers: Answer[]) => { sections: Record<string, number>; total: number; violations: unknown[] };
}

export const regionName = (i: number) => `区域${String(i).padStart(2, '0')}`;

export async function generateLargeBank(): Promise<LargeBank> {
  const { Bank, Branch, Staff } = await import('../../server/banks/model');
  const { Questionnaire, QuestionnaireVersion } = await import('../../server/questionnaires/model');
  const { scoreVisit } = await import('../../server/rules/scoring');
  const t0 = Date.now();
  const r = rng(20260401);
  const bankId = new Types.ObjectId();
  const questionnaireId = new Types.ObjectId();
  await Bank.collection.insertOne({
    _id: bankId,
    code: 'BENCH',
    name: '基准测试银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    reportRecipients: ['head@bench.example', 'audit@bench.example'],
  });
  const now = new Date();
  await Questionnaire.collection.insertOne({
    _id: questionnaireId,
    bankId,
    name: '标准问卷',
    latestVersion: 1,
    archived: false,
    createdAt: now,
    updatedAt: now,
  });
  await QuestionnaireVersion.collection.insertOne({
    questionnaireId,
    bankId,
    version: 1,
    name: '标准问卷',
    sections: SECTIONS,
    createdAt: now,
    updatedAt: now,
  });
  const branches = Array.from({ length: BRANCHES }, (_, i) => ({
    code: `BR${String(i).padStart(6, '0')}`,
    region: regionName(i % REGIONS),
    quality: 0.55 + 0.43 * r(),
  }));
  for (let i = 0; i < branches.length; i += BATCH) {
    const part = branches.slice(i, i + BATCH);
    await Branch.collection.insertMany(
      part.map((b) => ({
        bankId,
        code: b.code,
        name: `${b.region}第${b.code.slice(2)}支行`,
        region: b.region,
        active: true,
      })),
      { ordered: false },
    );
    await Staff.collection.insertMany(
      part.flatMap((b) =>
        Array.from({ length: STAFF_PER_BRANCH }, (_, k) => ({
          bankId,
          employeeId: `${b.code}-${k}`,
          name: `员工${b.code.slice(2)}-${k}`,
          branchCode: b.code,
          region: b.region,
          active: true,
        })),
      ),
      { ordered: false },
    );
  }
  log(`  ${BRANCHES} branches and ${BRANCHES * STAFF_PER_BRANCH} staff in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const users = await createUsers(String(bankId));
  const ctx: Ctx = {
    bankId,
    questionnaireId,
    auditorId: new Types.ObjectId(users.auditor),
    reviewerId: new Types.ObjectId(users.reviewer),
    branches,
    score: (answers) => scoreVisit(SECTIONS, answers) as ReturnType<Ctx['score']>,
  };
  for (const q of QUARTERS) await generateQuarter(ctx, q, r);
  return {
    bankId: String(bankId),
    bankCode: 'BENCH',
    questionnaireId: String(questionnaireId),
    quarter: QUARTER,
    quarters: QUARTERS,
    region: regionName(0),
    branches: BRANCHES,
    visitsPerQuarter: VISITS,
    users,
    password: PASSWORD,
    generatedSeconds: (Date.now() - t0) / 1000,
  };
}

async function createUsers(bankId: string): Promise<LargeBank['users']> {
  const { createUser } = await import('../../server/users/service');
  const region = regionName(0);
  const make = async (email: string, input: Omit<Parameters<typeof createUser>[0], 'email' | 'password'>) =>
    (await createUser({ email, password: PASSWORD, ...input })).id;
  return {
    manager: await make('manager@bench.local', {
      name: '总行经理',
      role: 'bank_manager',
      bankId,
      scope: { type: 'bank' },
    }),
    regionManager: await make('region@bench.local', {
      name: '区域经理',
      role: 'bank_manager',
      bankId,
      scope: { type: 'region', region },
    }),
    regionHr: await make('hr@bench.local', { name: '区域人力', role: 'hr', bankId, scope: { type: 'region', region } }),
    reviewer: await make('reviewer@bench.local', { name: '审核员', role: 'reviewer' }),
    auditor: await make('auditor@bench.local', { name: '暗访员', role: 'auditor' }),
  };
}

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

const STEPS: Record<string, string[]> = {
  draft: ['created'],
  submitted: ['created', 'submitted'],
  returned: ['created', 'submitted', 'returned'],
  approved: ['created', 'submitted', 'approved'],
  disputed: ['created', 'submitted', 'approved', 'disputed'],
};

/** A visit document as the visit service stores it: comments, staff, history and all. */
function visitDoc(ctx: Ctx, quarter: string, status: string, r: () => number) {
  const b = ctx.branches[Math.floor(r() * ctx.branches.length)];
  const answers = answersFor(r, b.quality);
  const scored = ctx.score(answers);
  const staffIds = [
    ...new Set(Array.from({ length: Math.floor(r() * 3) }, () => `${b.code}-${Math.floor(r() * STAFF_PER_BRANCH)}`)),
  ];
  const id = new Types.ObjectId();
  const at = midQuarter(quarter, r);
  const steps = STEPS[status];
  const reviewed = steps.includes('approved') || steps.includes('returned');
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
    history: steps.map((action) => ({
      at,
      by: action === 'approved' || action === 'returned' ? ctx.reviewerId : ctx.auditorId,
      role: action === 'approved' || action === 'returned' ? 'reviewer' : 'auditor',
      action,
      changes: [{ field: 'status', before: null, after: action }],
    })),
    ...(steps.includes('submitted') ? { submittedAt: at, firstSubmittedAt: at } : {}),
    ...(reviewed ? { reviewedBy: ctx.reviewerId } : {}),
    ...(steps.includes('approved') ? { approvedAt: at } : {}),
    rev: steps.length,
    idempotencyKey: `auto:${String(id)}`,
    createdAt: at,
    updatedAt: at,
  };
}

async function generateQuarter(ctx: Ctx, quarter: string, r: () => number): Promise<void> {
  const { Visit } = await import('../../server/visits/model');
  const uncounted = Math.round(VISITS * UNCOUNTED_SHARE);
  const total = VISITS + uncounted;
  const t0 = Date.now();
  for (let i = 0; i < total; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, total - i) }, (_, k) => {
      const n = i + k;
      const status = n < VISITS ? (r() < 0.01 ? 'disputed' : 'approved') : ['draft', 'submitted', 'returned'][n % 3];
      return visitDoc(ctx, quarter, status, r);
    });
    await Visit.collection.insertMany(docs, { ordered: false });
    if ((i / BATCH) % 25 === 24)
      log(`  ${quarter}: ${i + docs.length}/${total} visits (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  log(`  ${quarter}: ${VISITS} counted + ${uncounted} other visits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

export const previousQuarter = (q: string) => shiftQuarter(q, -1);
