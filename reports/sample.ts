import type {
  AreaFigures,
  BranchDetail,
  BranchFigures,
  KeyProblem,
  Lang,
  RegionFigures,
  ReportSnapshot,
  Scores,
  SectionKey,
  Violation,
  VisitDetail,
} from './types';

/**
 * A sample snapshot (a Chinese bank, three regions, Chinese branch names) for developing the
 * builders, for their tests and for the benchmark; deterministic, so every run renders the same.
 */
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
  const sections = Object.fromEntries(
    SECTIONS.map((k) => [k, Math.min(100, Math.max(0, base + (rnd() - 0.5) * 30))]),
  ) as Record<SectionKey, number>;
  const total = SECTIONS.reduce((s, k) => s + sections[k], 0) / 4;
  return { sections, total };
}

const REGIONS = ['华东区', '华南区', '华北区'];
const CITIES = ['上海', '杭州', '广州', '深圳', '北京', '天津', '南京', '苏州'];
const DISTRICTS = ['浦东', '徐汇', '西湖', '天河', '福田', '朝阳', '海淀', '鼓楼', '静安', '南山'];

export const PROBLEM: KeyProblem = {
  itemKey: 'c_risk_disclosure',
  sectionKey: 'sales_compliance',
  text: { zh: '风险揭示书逐项讲解并由顾客亲笔签字确认', en: 'The risk disclosure was explained and signed' },
  failureRate: 0.375,
  failed: 3,
  applicable: 8,
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
  const trend = (base: number): AreaFigures['trend'] =>
    ['2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3'].map((quarter, i) => ({
      quarter,
      n: 50 + i,
      branches: 40 + i,
      ...scores(rnd, base + i * 2),
    }));
  const violations: Violation[] = branches.slice(0, 7).map((b, i) => ({
    visitId: `v${i}`,
    branchCode: b.code,
    branchName: b.name,
    region: b.region,
    itemKey: PROBLEM.itemKey,
    sectionKey: 'sales_compliance',
    text: PROBLEM.text,
    visitedAt: '2026-08-0' + ((i % 9) + 1) + 'T02:30:00.000Z',
  }));
  const bankFigures: AreaFigures = {
    key: 'JNCB',
    name: '江南商业银行',
    n: branches.reduce((s, b) => s + b.n, 0),
    branches: count,
    branchesTotal: count + 5,
    sections: { greeting: 84.25, product_knowledge: 71.05, sales_compliance: 66.6666, follow_up: 90 },
    total: 77.9875,
    previous: { sections: { greeting: 80, product_knowledge: 70, sales_compliance: 70, follow_up: 88 }, total: 77 },
    spread: { min: 51.2, max: 97.35, stdev: 9.87 },
    trend: [
      ...trend(70).slice(0, 3),
      {
        quarter: '2026-Q3',
        n: 120,
        branches: count,
        sections: { greeting: 84.25, product_knowledge: 71.05, sales_compliance: 66.6666, follow_up: 90 },
        total: 77.9875,
      },
    ],
    branchTotals: branches.map((b) => b.total as number),
  };
  const regions: RegionFigures[] = REGIONS.map((name, i) => {
    const mine = branches.filter((b) => b.region === name);
    return {
      key: name,
      name,
      n: mine.reduce((s, b) => s + b.n, 0),
      branches: mine.length,
      branchesTotal: mine.length + 1,
      ...scores(rnd, 70 + i * 4),
      previous: scores(rnd, 70),
      spread: { min: 55 + i, max: 95 - i, stdev: 8 + i },
      trend: trend(68 + i),
      branchTotals: mine.map((b) => b.total as number),
      keyProblems: [PROBLEM],
      violations: violations.filter((v) => v.region === name),
      bankBenchmark: i === 2 ? null : { sections: bankFigures.sections, total: bankFigures.total },
    };
  });
  return {
    format: 1,
    bank: {
      id: '0123456789abcdef01234567',
      code: 'JNCB',
      name: '江南商业银行',
      language: opts.lang ?? 'zh',
      timezone: 'Asia/Shanghai',
    },
    quarter: '2026-Q3',
    version: 2,
    generatedAt: '2026-10-08T01:15:00.000Z',
    bankFigures,
    regions,
    branches,
    keyProblems: [
      PROBLEM,
      {
        itemKey: 'f_call',
        sectionKey: 'follow_up',
        text: { zh: '承诺时间内回访', en: 'Called back in time' },
        failureRate: 0.2,
        failed: 2,
        applicable: 10,
      },
    ],
    violations,
    questionnaires: [
      { name: '网点服务暗访问卷', version: 3, sectionWeights: SECTIONS.map((key) => ({ key, weight: 25 })) },
    ],
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
      {
        itemKey: 'g_greet_30s',
        sectionKey: 'greeting',
        text: { zh: '顾客进门30秒内有员工主动问候', en: 'Greeted within 30 seconds' },
        critical: false,
        value: 'yes',
        score: 100,
        comment: '进门即有人问候',
      },
      {
        itemKey: 'g_wait_time',
        sectionKey: 'greeting',
        text: { zh: '等待时间', en: 'Waiting time' },
        critical: false,
        value: 4,
        score: 75,
        comment: null,
      },
      {
        itemKey: 'c_risk_disclosure',
        sectionKey: 'sales_compliance',
        text: PROBLEM.text,
        critical: true,
        value: 'no',
        score: 0,
        comment: '未讲解风险揭示书，直接让顾客签字',
      },
      {
        itemKey: 'c_dual_recording',
        sectionKey: 'sales_compliance',
        text: { zh: '双录', en: 'Dual recording' },
        critical: true,
        value: 'na',
        score: null,
        comment: null,
      },
    ],
    violations: ['c_risk_disclosure'],
  }));
  const detail: BranchDetail = {
    code,
    benchmarks: {
      region: { sections: b.sections, total: 74.44 },
      bank: { sections: s.bankFigures.sections, total: s.bankFigures.total },
    },
    visits: details,
    keyProblems: [PROBLEM],
    violations: s.violations.filter((v) => v.branchCode === code),
  };
  return { ...s, branchDetails: [detail] };
}
