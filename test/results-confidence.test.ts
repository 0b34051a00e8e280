import type { Express } from 'express';
import { jStat } from 'jstat';
import request from 'supertest';
import type { AnswerValue } from '../server/rules/scoring';
import { SECTION_KEYS } from '../server/rules/scoring';
import { Visit } from '../server/visits/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser } from './helpers/foundation';
import { signIn } from './helpers/web';
import { addVisit, makeAuditor, makeResultsBank, PREV, Q, type BankFixture } from './helpers/results-fixtures';

/**
 * SPEC §11 on GET /api/v1/results: every n, sd, ci95, p and significant flag of every level is
 * recomputed here independently — from the raw visit documents, with jStat's t distribution (the
 * product uses stdlib's) and the textbook formulas on plain arrays, not the kept moments.
 */

let app: Express;
let admin: string;
let f: BankFixture;

type Slot = (typeof SECTION_KEYS)[number] | 'total';
const SLOTS: Slot[] = [...SECTION_KEYS, 'total'];

/** A small deterministic generator, so the scenario has real variance but is the same every run. */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function answers(rand: () => number, level: number): Record<string, AnswerValue> {
  const yn = (): AnswerValue => (rand() < level ? 'yes' : 'no');
  const scale = (): AnswerValue =>
    Math.max(1, Math.min(5, Math.round(1 + 4 * level + (rand() - 0.5) * 2))) as AnswerValue;
  return {
    g1: yn(),
    g2: scale(),
    g3: yn(),
    p1: yn(),
    p2: scale(),
    s1: 'yes',
    s2: yn(),
    f1: rand() < 0.2 ? 'na' : yn(),
  };
}

// Branch → visits per quarter and how good they are. N1 improves a lot; S1 has one visit (small);
// N3 is poor against a good bank (below the bank); S2 has two visits (small sample with an interval).
const PLAN: { code: string; region: string; now: [number, number]; before: [number, number] }[] = [
  { code: 'N1', region: 'North', now: [8, 0.9], before: [7, 0.35] },
  { code: 'N2', region: 'North', now: [6, 0.75], before: [5, 0.7] },
  { code: 'N3', region: 'North', now: [9, 0.25], before: [4, 0.3] },
  { code: 'S1', region: 'South', now: [1, 0.8], before: [3, 0.6] },
  { code: 'S2', region: 'South', now: [2, 0.85], before: [0, 0] },
  { code: 'S3', region: 'South', now: [5, 0.8], before: [5, 0.78] },
];

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  const auditorId = await makeAuditor('ci-shopper@test.local');
  f = await makeResultsBank(
    'CI',
    PLAN.map((p) => ({ code: p.code, region: p.region })),
    PLAN.map((p) => ({ employeeId: `E-${p.code}`, branchCode: p.code })),
    auditorId,
  );
  const rand = rng(20261205);
  for (const p of PLAN)
    for (const [quarter, [count, level]] of [
      [Q, p.now],
      [PREV, p.before],
    ] as const)
      for (let i = 0; i < count; i++)
        await addVisit(f, {
          branchCode: p.code,
          region: p.region,
          quarter,
          staffIds: i % 2 === 0 ? [`E-${p.code}`] : [],
          answers: answers(rand, level),
        });
});
afterAll(stopTestApp);

// ---- the independent recomputation

interface Stored {
  branchCode: string;
  region: string;
  quarter: string;
  staffIds: string[];
  scores: { sections: Record<string, number | null>; total: number | null };
}

async function counted(): Promise<Stored[]> {
  return (await Visit.find({
    bankId: f.bankId,
    status: { $in: ['approved', 'disputed'] },
  }).lean()) as unknown as Stored[];
}

const valueOf = (v: Stored, slot: Slot) => (slot === 'total' ? v.scores.total : v.scores.sections[slot]);
const nums = (xs: (number | null | undefined)[]) => xs.filter((x): x is number => typeof x === 'number');
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function sdOf(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = avg(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

function expected(xs: number[]) {
  const sd = sdOf(xs);
  const m = xs.length ? avg(xs) : null;
  const half = sd === null ? null : (jStat.studentt.inv(0.975, xs.length - 1) * sd) / Math.sqrt(xs.length);
  return {
    n: xs.length,
    sd,
    ci95: m === null || half === null ? null : [m - half, m + half],
    smallSample: xs.length < 3,
  };
}

function expectedChange(now: number[], before: number[]) {
  const delta = avg(now) - avg(before);
  if (now.length < 2 || before.length < 2) return { delta, p: null, significant: null };
  const va = (sdOf(now) as number) ** 2 / now.length;
  const vb = (sdOf(before) as number) ** 2 / before.length;
  if (va + vb === 0) return { delta, p: null, significant: null };
  const t = delta / Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (now.length - 1) + vb ** 2 / (before.length - 1));
  const p = 2 * jStat.studentt.cdf(-Math.abs(t), df);
  return { delta, p, significant: p < 0.05 };
}

interface ScoreFig {
  n: number;
  sd: number | null;
  ci95: [number, number] | null;
  smallSample: boolean;
  change?: { delta: number; p: number | null; significant: boolean | null };
}
interface Row {
  key: string;
  total: number | null;
  sd: number | null;
  ci95: [number, number] | null;
  smallSample: boolean;
  change?: ScoreFig['change'];
  belowBank?: boolean;
  benchmark?: boolean;
  previous?: unknown;
  confidence: { sections: Record<string, ScoreFig>; total: ScoreFig };
}

const near = (a: number | null | undefined, b: number | null | undefined, what: string) => {
  if (a === null || a === undefined || b === null || b === undefined) expect({ what, a }).toEqual({ what, a: b });
  else expect({ what, ok: Math.abs(a - b) < 1e-6 }).toEqual({ what, ok: true });
};

function compare(fig: ScoreFig, now: number[], before: number[] | null, what: string) {
  const want = expected(now);
  expect({ what, n: fig.n, small: fig.smallSample }).toEqual({ what, n: want.n, small: want.smallSample });
  near(fig.sd, want.sd, `${what} sd`);
  near(fig.ci95?.[0], want.ci95?.[0], `${what} ci lo`);
  near(fig.ci95?.[1], want.ci95?.[1], `${what} ci hi`);
  if (before === null || before.length === 0 || now.length === 0) {
    expect({ what, change: fig.change }).toEqual({ what, change: undefined });
    return;
  }
  const c = expectedChange(now, before);
  near(fig.change?.delta, c.delta, `${what} delta`);
  near(fig.change?.p, c.p, `${what} p`);
  expect({ what, significant: fig.change?.significant }).toEqual({ what, significant: c.significant });
}

/** Every slot of a row against its values now and before; the row's top fields are the total's. */
function compareRow(row: Row, valuesNow: (s: Slot) => number[], valuesBefore: ((s: Slot) => number[]) | null) {
  for (const s of SLOTS) {
    const fig = s === 'total' ? row.confidence.total : row.confidence.sections[s];
    compare(fig, valuesNow(s), valuesBefore ? valuesBefore(s) : null, `${row.key} ${s}`);
  }
  expect([row.sd, row.ci95, row.smallSample, row.change]).toEqual([
    row.confidence.total.sd,
    row.confidence.total.ci95,
    row.confidence.total.smallSample,
    row.confidence.total.change,
  ]);
}

async function results(token: string, level: string) {
  const res = await request(app)
    .get('/api/v1/results')
    .query({ bankId: f.bankId, quarter: Q, level })
    .set(bearer(token));
  expect(res.status).toBe(200);
  return res.body as { rows: Row[]; summary: Row; trend: { quarter: string; ci95: [number, number] | null }[] };
}

/** Branch means per quarter from the raw visits. */
function branchMeans(visits: Stored[], quarter: string) {
  const out = new Map<string, { region: string; means: Record<Slot, number | null> }>();
  for (const code of new Set(visits.filter((v) => v.quarter === quarter).map((v) => v.branchCode))) {
    const mine = visits.filter((v) => v.quarter === quarter && v.branchCode === code);
    const means = Object.fromEntries(
      SLOTS.map((s) => {
        const xs = nums(mine.map((v) => valueOf(v, s)));
        return [s, xs.length ? avg(xs) : null];
      }),
    ) as Record<Slot, number | null>;
    out.set(code, { region: mine[0].region, means });
  }
  return out;
}

describe('SPEC §11 on the results, recomputed from the raw visits', () => {
  test('branch rows: over the visits; change by Welch; belowBank against the bank score', async () => {
    const visits = await counted();
    const { rows } = await results(admin, 'branch');
    const bank = (await results(admin, 'bank')).rows[0];
    expect(rows.map((r) => r.key)).toEqual(['N1', 'N2', 'N3', 'S1', 'S2', 'S3']);
    for (const row of rows) {
      const of = (q: string) => (s: Slot) =>
        nums(visits.filter((v) => v.quarter === q && v.branchCode === row.key).map((v) => valueOf(v, s)));
      compareRow(row, of(Q), row.previous ? of(PREV) : null);
      const hi = row.ci95?.[1];
      expect({ branch: row.key, below: row.belowBank }).toEqual({
        branch: row.key,
        below: hi !== undefined && hi < (bank.total as number),
      });
    }
    const by = new Map(rows.map((r) => [r.key, r]));
    // The scenario's shape, so the checks above met every case:
    expect(by.get('N1')?.change?.significant).toBe(true);
    expect(by.get('N2')?.change?.significant).toBe(false);
    expect(by.get('S1')).toMatchObject({
      sd: null,
      ci95: null,
      smallSample: true,
      change: { p: null, significant: null },
    });
    expect(by.get('S2')).toMatchObject({ smallSample: true });
    expect(by.get('S2')?.ci95).not.toBeNull();
    expect(by.get('S2')?.change).toBeUndefined();
    expect(by.get('N3')?.belowBank).toBe(true);
    expect(by.get('N1')?.belowBank).toBe(false);
  });

  test('region and bank rows: over the branch scores (each branch one value)', async () => {
    const visits = await counted();
    const now = branchMeans(visits, Q);
    const before = branchMeans(visits, PREV);
    const of = (m: typeof now, region?: string) => (s: Slot) =>
      nums([...m.values()].filter((b) => !region || b.region === region).map((b) => b.means[s]));
    const regions = (await results(admin, 'region')).rows;
    expect(regions.map((r) => r.key)).toEqual(['North', 'South']);
    for (const r of regions) compareRow(r, of(now, r.key), of(before, r.key));
    const bank = (await results(admin, 'bank')).rows[0];
    compareRow(bank, of(now), of(before));
    expect(bank.confidence.total.n).toBe(6);
    // South has three visited branches now and two before.
    expect(regions[1].confidence.total.n).toBe(3);
  });

  test('staff rows: over the visits that named them', async () => {
    const visits = await counted();
    const { rows } = await results(admin, 'staff');
    expect(rows.length).toBe(6);
    for (const row of rows) {
      const of = (q: string) => (s: Slot) =>
        nums(visits.filter((v) => v.quarter === q && v.staffIds.includes(row.key)).map((v) => valueOf(v, s)));
      compareRow(row, of(Q), row.previous ? of(PREV) : null);
    }
  });

  test('the trend carries the interval of each quarter; a one-branch focus rests on its visits', async () => {
    const visits = await counted();
    const { trend } = await results(admin, 'bank');
    const now = branchMeans(visits, Q);
    const want = expected(nums([...now.values()].map((b) => b.means.total)));
    near(trend[3].ci95?.[0], want.ci95?.[0], 'trend ci lo');
    const res = await request(app)
      .get('/api/v1/results')
      .query({ bankId: f.bankId, quarter: Q, level: 'branch', branchCode: 'N1' })
      .set(bearer(admin));
    const n1 = nums(visits.filter((v) => v.quarter === Q && v.branchCode === 'N1').map((v) => v.scores.total));
    expect(res.body.summary.confidence.total.n).toBe(8);
    near(res.body.summary.ci95[1], expected(n1).ci95?.[1], 'branch focus ci hi');
  });

  test('a benchmark (the bank for a region manager) shows no sd, interval or p', async () => {
    const { token } = await makeUser(
      { app, adminToken: admin },
      { email: 'north@test.local', role: 'bank_manager', bankId: f.bankId, scope: { type: 'region', region: 'North' } },
    );
    const bank = (await results(token, 'bank')).rows[0];
    expect(bank.benchmark).toBe(true);
    expect(bank).toMatchObject({ sd: null, ci95: null, change: { p: null, significant: null } });
    for (const k of SECTION_KEYS) expect(bank.confidence.sections[k]).toMatchObject({ sd: null, ci95: null });
    // Their own region keeps its figures, and branch rows still compare with the bank score shown.
    const north = (await results(token, 'region')).rows[0];
    expect(north.ci95).not.toBeNull();
    const branches = (await results(token, 'branch')).rows;
    expect(branches.find((b) => b.key === 'N3')?.belowBank).toBe(true);
  });
});

describe('SPEC §11 on the dashboard', () => {
  const rowOf = (html: string, code: string) => {
    const at = html.indexOf(`>${code}</a></td>`);
    return at < 0 ? '' : html.slice(at, html.indexOf('</tr>', at));
  };
  const halfWidth = (r: Row) => (r.ci95 ? ((r.ci95[1] - r.ci95[0]) / 2).toFixed(1) : '');

  test('± beside every mean, the change marked significant / not significant / too little data, below-bank tags, whiskers', async () => {
    const rows = (await results(admin, 'branch')).rows;
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'en');
    const html = (await agent.get(`/results?bankId=${f.bankId}&quarter=${Q}`)).text;
    const n1 = rowOf(html, 'N1');
    expect(n1).toContain(`± ${halfWidth(rows[0])}`);
    expect(n1).toContain('res-verdict sig');
    expect(n1).toContain('>significant<');
    expect(rowOf(html, 'N2')).toContain('>not significant<');
    // N2's change is not significant: its arrow is not coloured.
    expect(rowOf(html, 'N2')).toMatch(/res-change (up|down|flat) unsure/);
    expect(rowOf(html, 'S1')).toContain('>too little data<');
    expect(rowOf(html, 'S1')).not.toContain('±');
    expect(rowOf(html, 'N3')).toContain('below the bank');
    expect(rowOf(html, 'N1')).not.toContain('below the bank');
    expect(html.match(/class="whisker"/g)?.length).toBeGreaterThanOrEqual(5 + 1);
    expect(html).toContain('How to read these numbers');
    expect(html).toContain('(Welch');
  });

  test('a small-sample row at the top or bottom of the league table is called out', async () => {
    const agent = await signIn(app, ADMIN.email, ADMIN.password, 'zh');
    const html = (await agent.get(`/results?bankId=${f.bankId}&quarter=${Q}&sort=-n`)).text;
    // Sorted by n descending, the bottom row is S1 with one visit.
    expect(html).toContain('请谨慎解读');
    expect(html).toMatch(/请谨慎解读：本表首行或末行的 S1/);
    expect(html).toContain('如何解读这些数字');
    // Sorted by code, the edges are N1 (8 visits) and S3 (5 visits): nothing to call out.
    const byCode = (await agent.get(`/results?bankId=${f.bankId}&quarter=${Q}&sort=key`)).text;
    expect(byCode.slice(byCode.indexOf('id="branches"'))).not.toContain('请谨慎解读');
  });
});
