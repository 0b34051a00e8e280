import { Assignment } from '../../server/assignments/model';
import { Bank, Branch, Staff } from '../../server/banks/model';
import { Questionnaire, QuestionnaireVersion } from '../../server/questionnaires/model';
import { scoreVisit, type Answer, type AnswerValue, type ScoringSection } from '../../server/rules/scoring';
import { User } from '../../server/users/model';
import { noteChange } from '../../server/visits/changes';
import { Visit } from '../../server/visits/model';
import { type VisitStatus } from '../../server/visits/service';

/**
 * Fixtures for the results tests, written straight through the models (the visit API is another
 * feature). Each visit's stored scores come from scoreVisit on its own answers and version, exactly
 * as the visit service stores them.
 */

/** Version 1 of the fixture questionnaire (section weights 25 each, so a total is the mean of the sections present). */
export const SECTIONS_V1: ScoringSection[] = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      { key: 'g1', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true },
      { key: 'g2', type: 'scale', weight: 1, critical: false, allowNA: false, required: true },
      { key: 'g3', type: 'yes_no', weight: 2, critical: false, allowNA: true, required: true },
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      { key: 'p1', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true },
      { key: 'p2', type: 'scale', weight: 1, critical: false, allowNA: false, required: true },
    ],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      { key: 's1', type: 'yes_no', weight: 1, critical: true, allowNA: false, required: true },
      { key: 's2', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true },
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [{ key: 'f1', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true }],
  },
];

/** Version 2: item p2 became a yes/no question (so failure of p2 depends on the visit's version). */
export const SECTIONS_V2: ScoringSection[] = SECTIONS_V1.map((s) => ({
  ...s,
  items: s.items.map((i) => (i.key === 'p2' ? { ...i, type: 'yes_no' as const } : i)),
}));

const text = (key: string) => ({ zh: `题目 ${key}`, en: `Item ${key}` });
const withText = (sections: ScoringSection[]) =>
  sections.map((s) => ({ ...s, items: s.items.map((i) => ({ ...i, text: text(i.key) })) }));

export interface BankFixture {
  bankId: string;
  questionnaireId: string;
  auditorId: string;
}

export async function makeAuditor(email: string): Promise<string> {
  const u = await User.create({
    email,
    name: email,
    passwordHash: 'x',
    role: 'auditor',
    auditorCode: `A-${email.slice(0, 6).toUpperCase()}`,
  });
  return String(u._id);
}

export async function makeResultsBank(
  code: string,
  branches: { code: string; region: string; name?: string }[],
  staff: { employeeId: string; branchCode: string; name?: string }[],
  auditorId: string,
): Promise<BankFixture> {
  const bank = await Bank.create({ code, name: `${code} 银行`, timezone: 'Asia/Shanghai' });
  const bankId = String(bank._id);
  const regionOf = new Map(branches.map((b) => [b.code, b.region]));
  await Branch.insertMany(
    branches.map((b) => ({ bankId, code: b.code, name: b.name ?? `支行 ${b.code}`, region: b.region })),
  );
  if (staff.length) {
    await Staff.insertMany(
      staff.map((s) => ({
        bankId,
        employeeId: s.employeeId,
        name: s.name ?? `员工 ${s.employeeId}`,
        branchCode: s.branchCode,
        region: regionOf.get(s.branchCode),
      })),
    );
  }
  const q = await Questionnaire.create({ bankId, name: '标准问卷', latestVersion: 2 });
  await QuestionnaireVersion.create({
    questionnaireId: q._id,
    bankId,
    version: 1,
    name: '标准问卷',
    sections: withText(SECTIONS_V1),
  });
  await QuestionnaireVersion.create({
    questionnaireId: q._id,
    bankId,
    version: 2,
    name: '标准问卷',
    sections: withText(SECTIONS_V2),
  });
  return { bankId, questionnaireId: String(q._id), auditorId };
}

/** A mid-quarter moment, so the quarter of the visit time is the same in any time zone. */
function midQuarter(quarter: string): Date {
  const [y, q] = quarter.split('-Q').map(Number);
  return new Date(Date.UTC(y, (q - 1) * 3 + 1, 10, 4, 0, 0));
}

export interface VisitSpec {
  branchCode: string;
  region: string;
  quarter: string;
  status?: VisitStatus;
  version?: 1 | 2;
  staffIds?: string[];
  /** Answers as itemKey → value. */
  answers: Record<string, AnswerValue>;
}

/** Stores a visit (with its own assignment) whose scores are what scoreVisit gives for its answers. */
export async function addVisit(f: BankFixture, spec: VisitSpec): Promise<string> {
  const version = spec.version ?? 1;
  const answers: Answer[] = Object.entries(spec.answers).map(([itemKey, value]) => ({ itemKey, value }));
  const scored = scoreVisit(version === 1 ? SECTIONS_V1 : SECTIONS_V2, answers);
  const at = midQuarter(spec.quarter);
  const assignment = await Assignment.create({
    bankId: f.bankId,
    branchCode: spec.branchCode,
    region: spec.region,
    auditorId: f.auditorId,
    questionnaireId: f.questionnaireId,
    quarter: spec.quarter,
    windowStart: new Date(at.getTime() - 86400_000),
    windowEnd: new Date(at.getTime() + 86400_000),
    scenario: '理财咨询',
  });
  const visit = await Visit.create({
    assignmentId: assignment._id,
    bankId: f.bankId,
    branchCode: spec.branchCode,
    region: spec.region,
    auditorId: f.auditorId,
    questionnaireId: f.questionnaireId,
    questionnaireVersion: version,
    quarter: spec.quarter,
    visitedAt: at,
    durationMinutes: 30,
    staffIds: spec.staffIds ?? [],
    staff: (spec.staffIds ?? []).map((employeeId) => ({ employeeId })),
    answers: answers.map((a) => ({ ...a, comment: 'a comment the results never read' })),
    status: spec.status ?? 'approved',
    scores: { sections: scored.sections, total: scored.total },
    violations: scored.violations,
  });
  // Stored behind the visit service's back: noted for the statistics. Noted after the write, so
  // without the revision a note written before a write carries (the write has landed already).
  await noteChange({ _id: visit._id, bankId: visit.bankId });
  return String(visit._id);
}

/** A planned branch: an assignment in the quarter without a visit. */
export async function planBranch(f: BankFixture, branchCode: string, region: string, quarter: string): Promise<void> {
  const at = midQuarter(quarter);
  await Assignment.create({
    bankId: f.bankId,
    branchCode,
    region,
    auditorId: f.auditorId,
    questionnaireId: f.questionnaireId,
    quarter,
    windowStart: at,
    windowEnd: new Date(at.getTime() + 86400_000),
    scenario: '开户',
  });
}

export const Q = '2026-Q2';
export const PREV = '2026-Q1';
export const ALL_GOOD = { g1: 'yes', g2: 5, g3: 'yes', p1: 'yes', p2: 5, s1: 'yes', s2: 'yes', f1: 'yes' } as const;
const ALL_BAD = { g1: 'no', g2: 1, g3: 'no', p1: 'no', p2: 1, s1: 'yes', s2: 'no', f1: 'no' } as const;

/**
 * The results scenario: bank B1 (East E1–E4, West W1–W2, staff S1–S5) and bank B2, quarter 2026-Q2
 * with 2026-Q1 before it. Each visit's scores are worked out by hand in the comments.
 * Questionnaire (SECTIONS_V1 above), section weights 25 each:
 *   greeting: g1 yes/no w1, g2 scale w1, g3 yes/no w2 (N/A allowed)
 *   product_knowledge: p1 yes/no w1, p2 scale w1 (v2: p2 is yes/no)
 *   sales_compliance: s1 yes/no w1 CRITICAL, s2 yes/no w1 (N/A allowed)
 *   follow_up: f1 yes/no w1 (N/A allowed)
 * Scale score = (v-1)/4. With equal section weights a visit total is the mean of its non-null sections.
 */
export async function resultsScenario(): Promise<{ b1: BankFixture; b2: BankFixture; v: Record<string, string> }> {
  const v: Record<string, string> = {};
  const auditorId = await makeAuditor('shopper@test.local');
  const b1 = await makeResultsBank(
    'B1',
    [
      { code: 'E1', region: 'East' },
      { code: 'E2', region: 'East' },
      { code: 'E3', region: 'East' },
      { code: 'E4', region: 'East' },
      { code: 'W1', region: 'West' },
      { code: 'W2', region: 'West' },
    ],
    [
      { employeeId: 'S1', branchCode: 'E1', name: '张三' },
      { employeeId: 'S2', branchCode: 'E1' },
      { employeeId: 'S3', branchCode: 'E2' },
      { employeeId: 'S4', branchCode: 'E3' },
      { employeeId: 'S5', branchCode: 'W1' },
    ],
    auditorId,
  );
  const b2 = await makeResultsBank('B2', [{ code: 'X1', region: 'North' }], [], auditorId);
  const east = (code: string) => ({ branchCode: code, region: 'East', quarter: Q });
  const west = (code: string) => ({ branchCode: code, region: 'West', quarter: Q });

  // E1, two visits.
  // V1 all 100 → total 100.
  v.V1 = await addVisit(b1, { ...east('E1'), staffIds: ['S1'], answers: { ...ALL_GOOD } });
  // V2 greeting (0·1 + 0.5·1)/2 = 25 (g3 N/A, weight left out); product (1+0)/2 = 50; compliance (1+0)/2 = 50;
  //    follow-up 0; total (25+50+50+0)/4 = 31.25.
  v.V2 = await addVisit(b1, {
    ...east('E1'),
    staffIds: ['S1', 'S2'],
    answers: { g1: 'no', g2: 3, g3: 'na', p1: 'yes', p2: 1, s1: 'yes', s2: 'no', f1: 'no' },
  });
  // E2, one visit with a critical failure:
  // V3 greeting (1 + 0.75 + 0·2)/4 = 43.75; product (0 + 0.75)/2 = 37.5; compliance s1 critical "no" → 0
  //    (would be 50); follow-up N/A → null; total (43.75+37.5+0)/3 = 27.083333.
  v.V3 = await addVisit(b1, {
    ...east('E2'),
    staffIds: ['S3'],
    answers: { g1: 'yes', g2: 4, g3: 'no', p1: 'no', p2: 4, s1: 'no', s2: 'yes', f1: 'na' },
  });
  // E3, three visits (one on version 2):
  // V4 greeting (1 + 0.5 + 2)/4 = 87.5; product (1+0.5)/2 = 75; 100; 100; total 362.5/4 = 90.625.
  v.V4 = await addVisit(b1, { ...east('E3'), staffIds: ['S4'], answers: { ...ALL_GOOD, g2: 3, p2: 3 } });
  // V5 greeting (1 + 0.25 + 2)/4 = 81.25; product (0 + 0.25)/2 = 12.5; compliance s1 only = 100; 100;
  //    total 293.75/4 = 73.4375.
  v.V5 = await addVisit(b1, {
    ...east('E3'),
    staffIds: ['S4', 'S4'],
    answers: { ...ALL_GOOD, g2: 2, p1: 'no', p2: 2, s2: 'na' },
  });
  // V6 (v2, p2 yes/no) greeting (1 + 0 + 2)/4 = 75; product (1+0)/2 = 50; 100; follow-up null; total 225/3 = 75.
  v.V6 = await addVisit(b1, { ...east('E3'), version: 2, answers: { ...ALL_GOOD, g2: 1, p2: 'no', f1: 'na' } });
  // W1, one visit: V7 greeting (1+1)/2 = 100 (g3 N/A); product (1+0.75)/2 = 87.5; 100; follow-up null;
  //    total 287.5/3 = 95.833333.
  v.V7 = await addVisit(b1, { ...west('W1'), staffIds: ['S5'], answers: { ...ALL_GOOD, g3: 'na', p2: 4, f1: 'na' } });
  // W2, a DISPUTED visit (counts): V9 greeting 0; product 0; compliance (1+0)/2 = 50; follow-up 0; total 12.5.
  v.V9 = await addVisit(b1, { ...west('W2'), status: 'disputed', staffIds: ['S5'], answers: { ...ALL_BAD } });
  // Not counted: submitted, returned, draft — all perfect or all bad, so counting them would move every figure.
  v.V8 = await addVisit(b1, { ...west('W2'), status: 'submitted', answers: { ...ALL_GOOD } });
  await addVisit(b1, { ...east('E1'), status: 'returned', staffIds: ['S1'], answers: { ...ALL_BAD, s1: 'no' } });
  await addVisit(b1, { ...east('E1'), status: 'draft', staffIds: ['S1'], answers: { ...ALL_BAD } });
  await addVisit(b1, { ...east('E4'), status: 'submitted', answers: { ...ALL_BAD } });
  await planBranch(b1, 'E4', 'East', Q);

  // Previous quarter: E1 100 (staff S1); W1 all bad but s1 yes → greeting 0, product 0, compliance 100,
  // follow-up 0 → total 25 (staff S5).
  await addVisit(b1, { branchCode: 'E1', region: 'East', quarter: PREV, staffIds: ['S1'], answers: { ...ALL_GOOD } });
  await addVisit(b1, {
    branchCode: 'W1',
    region: 'West',
    quarter: PREV,
    staffIds: ['S5'],
    answers: { ...ALL_BAD, s2: 'yes' },
  });
  // 2025-Q4 (in the four-quarter trend): E2 100. 2025-Q2 is outside the trend and must not appear.
  await addVisit(b1, { branchCode: 'E2', region: 'East', quarter: '2025-Q4', answers: { ...ALL_GOOD } });
  await addVisit(b1, { branchCode: 'E2', region: 'East', quarter: '2025-Q2', answers: { ...ALL_BAD } });

  // Another bank: must never leak into B1's figures.
  v.X = await addVisit(b2, { branchCode: 'X1', region: 'North', quarter: Q, answers: { ...ALL_BAD, s1: 'no' } });

  return { b1, b2, v };
}
