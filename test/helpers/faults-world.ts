import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { created, FAULT_ADMIN, tokenOf } from './faults';

/** For the fault suite: a bank ready for visit traffic, run against the app as its own process (faults.ts). */
/** Every field given, so these are exactly the scoring sections the app derives (no defaults involved). */
export const FAULT_SECTIONS = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      { key: 'g1', type: 'yes_no', weight: 2, critical: false, allowNA: false, required: true },
      { key: 'g2', type: 'scale', weight: 1, critical: false, allowNA: false, required: true },
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      { key: 'p1', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true },
      { key: 'p2', type: 'scale', weight: 1, critical: false, allowNA: false, required: false },
    ],
  },
  {
    key: 'sales_compliance',
    weight: 30,
    items: [
      { key: 'c1', type: 'yes_no', weight: 1, critical: true, allowNA: false, required: true },
      { key: 'c2', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true },
    ],
  },
  {
    key: 'follow_up',
    weight: 20,
    items: [{ key: 'f1', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true }],
  },
] as const;

type Value = 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5;

/** A different, complete answer set per visit number, so a mixed-up or half-written visit shows in its scores. */
export function answersFor(n: number): { itemKey: string; value: Value; comment?: string }[] {
  const yn = (bit: number): Value => ((n >> bit) & 1 ? 'no' : 'yes');
  return [
    { itemKey: 'g1', value: yn(0) },
    { itemKey: 'g2', value: ((n % 5) + 1) as Value },
    { itemKey: 'p1', value: n % 3 === 0 ? 'na' : yn(1) },
    { itemKey: 'p2', value: (((n >> 2) % 5) + 1) as Value },
    { itemKey: 'c1', value: n % 7 === 0 ? 'no' : 'yes' },
    { itemKey: 'c2', value: yn(2) },
    {
      itemKey: 'f1',
      value: n % 4 === 0 ? 'na' : yn(3),
      ...(n % 5 === 0 ? { comment: `第 ${n} 次暗访：员工未主动留下联系方式` } : {}),
    },
  ];
}

export interface Auditor {
  id: string;
  email: string;
  token: string;
  assignments: string[];
}
export interface VisitWorldIds {
  bankId: string;
  questionnaireId: string;
  adminToken: string;
  auditors: Auditor[];
}

export function currentQuarter(zone = 8): string {
  const d = new Date(Date.now() + zone * 3600_000);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** A bank, three branches, the questionnaire, `auditors` auditors with `perAuditor` assignments each — all through the API. */
export async function buildVisitWorld(
  base: string,
  auditors: number,
  perAuditor: number,
  code = 'FLT',
): Promise<VisitWorldIds> {
  const adminToken = await tokenOf(base, FAULT_ADMIN.email, FAULT_ADMIN.password);
  const bankId = (
    await created(base, adminToken, '/api/v1/banks', {
      code,
      name: `故障测试银行 ${code}`,
      timezone: 'Asia/Shanghai',
      reportRecipients: [],
    })
  ).id;
  const branches = ['01', '02', '03'].map((n) => `${code}-${n}`);
  for (const [i, b] of branches.entries())
    await created(base, adminToken, `/api/v1/banks/${bankId}/branches`, {
      code: b,
      name: `支行 ${b}`,
      region: i < 2 ? '华东区' : '华南区',
    });
  const sections = FAULT_SECTIONS.map((s) => ({
    ...s,
    items: s.items.map((it) => ({ ...it, text: { zh: `题目 ${it.key}`, en: `Item ${it.key}` } })),
  }));
  const questionnaireId = (
    await created(base, adminToken, '/api/v1/questionnaires', { bankId, name: '故障测试问卷', sections })
  ).id;
  const window = {
    windowStart: new Date(Date.now() - 20 * 86400_000).toISOString(),
    windowEnd: new Date(Date.now() + 20 * 86400_000).toISOString(),
  };
  const list: Auditor[] = [];
  for (let a = 0; a < auditors; a++) {
    const email = `shopper${a + 1}@${code.toLowerCase()}.faults`;
    const id = (
      await created(base, adminToken, '/api/v1/users', {
        email,
        password: FAULT_ADMIN.password,
        name: `暗访员 ${a + 1}`,
        role: 'auditor',
      })
    ).id;
    list.push({ id, email, token: await tokenOf(base, email, FAULT_ADMIN.password), assignments: [] });
  }
  // A few at a time: the set-up should not take longer than the fault it prepares.
  const jobs = list.flatMap((au) => Array.from({ length: perAuditor }, (_, i) => ({ au, i })));
  await runPool(jobs, 4, async ({ au, i }) => {
    const body = {
      bankId,
      branchCode: branches[i % branches.length],
      auditorId: au.id,
      questionnaireId,
      quarter: currentQuarter(),
      scenario: '理财产品咨询',
      ...window,
    };
    au.assignments.push((await created(base, adminToken, '/api/v1/assignments', body)).id);
  });
  return { bankId, questionnaireId, adminToken, auditors: list };
}

export async function runPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export function visitBody(assignmentId: string, n: number): Record<string, unknown> {
  return {
    assignmentId,
    visitedAt: new Date(Date.now() - 3600_000).toISOString(),
    durationMinutes: 20 + (n % 30),
    staff: [{ description: `大堂经理，第 ${n} 号` }],
    answers: answersFor(n),
    summary: `故障测试暗访 ${n}`,
  };
}

/** The figures of one fault run, kept for BENCHMARKS.md (and printed with FAULTS_VERBOSE=1). */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.FAULTS_REPORT_DIR ?? path.join(os.tmpdir(), 'msa-faults-report');
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify({ case: name, at: new Date().toISOString(), ...figures });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${text}\n`);
  if (process.env.FAULTS_VERBOSE) process.stderr.write(`[faults] ${text}\n`);
}
