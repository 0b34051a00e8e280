import type { Express } from 'express';
import request from 'supertest';
import { quarterResults } from '../server/results/service';
import { resultsFromVisits } from '../server/results/visit-pass';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, type Fixture } from './helpers/foundation';
import { Q, resultsScenario, type BankFixture } from './helpers/results-fixtures';

/**
 * Results checked against figures worked out by hand from the fixture answers (arithmetic in the
 * comments here and, per visit, in resultsScenario in test/helpers/results-fixtures.ts).
 */

let app: Express;
let admin: string;
let b1: BankFixture;
let b2: BankFixture;
let v: Record<string, string>;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  ({ b1, b2, v } = await resultsScenario());

  const f: Fixture = { app, adminToken: admin };
  const users: [string, Record<string, unknown>][] = [
    ['east', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'region', region: 'East' } }],
    ['west', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'region', region: 'West' } }],
    ['pair', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'branches', branchCodes: ['E2', 'W1'] } }],
    [
      'most',
      { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'branches', branchCodes: ['E1', 'E2', 'E3', 'W1'] } },
    ],
    ['head', { role: 'bank_manager', bankId: b1.bankId, scope: { type: 'bank' } }],
    ['hr', { role: 'hr', bankId: b1.bankId, scope: { type: 'bank' } }],
    ['other', { role: 'bank_manager', bankId: b2.bankId, scope: { type: 'bank' } }],
    ['auditor', { role: 'auditor' }],
    ['reviewer', { role: 'reviewer' }],
  ];
  for (const [name, body] of users)
    tokens[name] = (
      await makeUser(f, { email: `${name}@test.local`, ...body } as Parameters<typeof makeUser>[1])
    ).token;
});
afterAll(stopTestApp);

const get = (token: string, query: Record<string, string>) =>
  request(app).get('/api/v1/results').query(query).set(bearer(token));
const results = async (token: string, level: string, extra: Record<string, string> = {}) => {
  const res = await get(token, { bankId: b1.bankId, quarter: Q, level, ...extra });
  expect(res.status).toBe(200);
  return res.body as {
    rows: Row[];
    keyProblems: KP[];
    violations: { visitId: string; branchCode: string; itemKey: string }[];
    summary: Row;
    trend: { quarter: string; total: number | null; n: number; branches: number }[];
  };
};
interface Row {
  key: string;
  name: string;
  n: number;
  branches?: number;
  sections: Record<string, number | null>;
  total: number | null;
  previous?: { total: number | null };
  spread?: { min: number; max: number; stdev: number };
  benchmark?: boolean;
  branchCode?: string;
}
interface KP {
  itemKey: string;
  failureRate: number;
  failed: number;
  applicable: number;
}
const byKey = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.key, r]));

describe('branch level (admin)', () => {
  test('branch score is the mean of its counted visits, per section and total; n counts visits', async () => {
    const rows = byKey((await results(admin, 'branch')).rows);
    expect(Object.keys(rows).sort()).toEqual(['E1', 'E2', 'E3', 'W1', 'W2']); // E4 only has a submitted visit
    // E1: greeting (100+25)/2 = 62.5; product (100+50)/2 = 75; compliance (100+50)/2 = 75; follow-up (100+0)/2 = 50;
    //     total (100+31.25)/2 = 65.625.
    expect(rows.E1).toMatchObject({
      n: 2,
      sections: { greeting: 62.5, product_knowledge: 75, sales_compliance: 75, follow_up: 50 },
      total: 65.625,
      name: '支行 E1',
    });
    // E2: one visit, critical failure zeroes compliance, follow-up null (N/A) stays null.
    expect(rows.E2.n).toBe(1);
    expect(rows.E2.sections).toEqual({
      greeting: 43.75,
      product_knowledge: 37.5,
      sales_compliance: 0,
      follow_up: null,
    });
    expect(rows.E2.total).toBeCloseTo(27.083333, 5);
    // E3: greeting (87.5+81.25+75)/3 = 81.25; product (75+12.5+50)/3 = 45.8333; compliance 100;
    //     follow-up (100+100)/2 = 100 (V6 null left out, not counted as 0); total (90.625+73.4375+75)/3 = 79.6875.
    expect(rows.E3.n).toBe(3);
    expect(rows.E3.sections.greeting).toBeCloseTo(81.25, 9);
    expect(rows.E3.sections.product_knowledge).toBeCloseTo(45.833333, 5);
    expect(rows.E3.sections.follow_up).toBe(100);
    expect(rows.E3.total).toBeCloseTo(79.6875, 9);
    // W2: only the disputed visit counts (the submitted 100 does not): total 12.5.
    expect(rows.W2).toMatchObject({
      n: 1,
      total: 12.5,
      sections: { greeting: 0, product_knowledge: 0, sales_compliance: 50, follow_up: 0 },
    });
  });

  test('previous quarter per branch, when the branch had visits then', async () => {
    const rows = byKey((await results(admin, 'branch')).rows);
    expect(rows.E1.previous?.total).toBe(100);
    expect(rows.W1.previous?.total).toBe(25);
    expect(rows.E3.previous).toBeUndefined();
  });
});

describe('region and bank level (admin)', () => {
  test('bank = mean of the branch means (each branch weighs the same), not the mean of visits', async () => {
    const { rows } = await results(admin, 'bank');
    expect(rows).toHaveLength(1);
    const bank = rows[0];
    expect(bank).toMatchObject({ key: 'B1', n: 8, branches: 5 });
    expect(bank.benchmark).toBeUndefined();
    // total (65.625 + 27.083333 + 79.6875 + 95.833333 + 12.5)/5 = 280.729167/5 = 56.145833.
    // The mean of the 8 visit totals would be 505.729167/8 = 63.216146.
    expect(bank.total).toBeCloseTo(56.145833, 5);
    // greeting (62.5+43.75+81.25+100+0)/5 = 57.5; compliance (75+0+100+100+50)/5 = 65;
    // product (75+37.5+45.8333+87.5+0)/5 = 49.1667; follow-up only 3 branches have one: (50+100+0)/3 = 50.
    expect(bank.sections.greeting).toBeCloseTo(57.5, 9);
    expect(bank.sections.sales_compliance).toBeCloseTo(65, 9);
    expect(bank.sections.product_knowledge).toBeCloseTo(49.166667, 5);
    expect(bank.sections.follow_up).toBeCloseTo(50, 9);
    // previous quarter: branches E1 100 and W1 25 → 62.5 (change 56.1458 − 62.5 = −6.3542).
    expect(bank.previous?.total).toBe(62.5);
    // spread of branch totals: min 12.5 (W2), max 95.8333 (W1); population stdev: deviations from 56.1458 are
    // 9.4792, −29.0625, 23.5417, 39.6875, −43.6458; squares sum 4968.75; /5 = 993.75; √ = 31.5238.
    expect(bank.spread?.min).toBe(12.5);
    expect(bank.spread?.max).toBeCloseTo(95.833333, 5);
    expect(bank.spread?.stdev).toBeCloseTo(31.5238, 4);
  });

  test('regions: mean of their branch means with n, branches, spread and previous', async () => {
    const rows = byKey((await results(admin, 'region')).rows);
    expect(Object.keys(rows).sort()).toEqual(['East', 'West']);
    // East: 3 branches, 2+1+3 = 6 visits; total (65.625+27.0833+79.6875)/3 = 57.4653;
    // follow-up (50 + 100)/2 = 75 (E2 has none); compliance (75+0+100)/3 = 58.3333.
    expect(rows.East).toMatchObject({ n: 6, branches: 3 });
    expect(rows.East.total).toBeCloseTo(57.465278, 5);
    expect(rows.East.sections.follow_up).toBe(75);
    expect(rows.East.sections.sales_compliance).toBeCloseTo(58.333333, 5);
    expect(rows.East.previous?.total).toBe(100);
    // East spread: mean 57.4653; population variance ((8.1597)² + (−30.3819)² + (22.2222)²)/3 = 494.4903; √ = 22.2371.
    expect(rows.East.spread?.min).toBeCloseTo(27.083333, 5);
    expect(rows.East.spread?.max).toBe(79.6875);
    expect(rows.East.spread?.stdev).toBeCloseTo(22.2371, 4);
    // West: (95.8333 + 12.5)/2 = 54.1667; deviations ±41.6667 → population stdev 41.6667 (a sample stdev would be 58.93).
    expect(rows.West).toMatchObject({ n: 2, branches: 2 });
    expect(rows.West.total).toBeCloseTo(54.166667, 5);
    expect(rows.West.spread?.stdev).toBeCloseTo(41.666667, 5);
    expect(rows.West.previous?.total).toBe(25);
  });

  test('trend: the last four quarters of the scope, oldest first', async () => {
    const { trend } = await results(admin, 'bank');
    expect(trend.map((t) => t.quarter)).toEqual(['2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2']);
    expect(trend[0]).toMatchObject({ n: 0, branches: 0, total: null });
    expect(trend[1]).toMatchObject({ n: 1, branches: 1, total: 100 }); // 2025-Q4: E2 100; 2025-Q2 visit left out
    expect(trend[2]).toMatchObject({ n: 2, branches: 2, total: 62.5 });
    expect(trend[3].total).toBeCloseTo(56.145833, 5);
  });

  test("key problems: failure rate over applicable answers, N/A excluded, item type of the visit's version", async () => {
    const { keyProblems } = await results(admin, 'bank');
    // Counted visits V1–V7, V9 (8). Failed = scored 0 (yes/no "no", scale 1):
    //   f1: applicable 5 (V3, V6, V7 N/A), failed 2 (V2, V9) → 0.4
    //   p1: 8, failed 3 (V3, V5, V9) → 0.375
    //   p2: 8, failed 3: V2 scale 1, V9 scale 1, V6 "no" on v2 (v1 would call it not a scale value) → 0.375
    //   g3: 6 (V2, V7 N/A), failed 2 (V3, V9) → 0.3333
    //   s2: 7 (V5 N/A), failed 2 (V2, V9) → 0.2857
    //   g1: 8, failed 2 (V2, V9) → 0.25;  g2: 8, failed 2 (V6, V9 scale 1) → 0.25;  s1: 8, failed 1 (V3) → 0.125
    // Ties on rate and count are ordered by item key.
    expect(keyProblems.map((k) => [k.itemKey, k.failed, k.applicable])).toEqual([
      ['f1', 2, 5],
      ['p1', 3, 8],
      ['p2', 3, 8],
      ['g3', 2, 6],
      ['s2', 2, 7],
      ['g1', 2, 8],
      ['g2', 2, 8],
      ['s1', 1, 8],
    ]);
    expect(keyProblems[0].failureRate).toBe(0.4);
    expect(keyProblems[3].failureRate).toBeCloseTo(1 / 3, 9);
  });

  test('violations: critical failures of counted visits only, with visit and branch', async () => {
    const { violations } = await results(admin, 'bank');
    // V3 failed s1; the returned visit in E1 also failed s1 but does not count; bank B2's does not belong here.
    expect(violations).toEqual([expect.objectContaining({ visitId: v.V3, branchCode: 'E2', itemKey: 's1' })]);
  });

  test('staff: mean over the counted visits that identified them, with previous quarter', async () => {
    const rows = byKey((await results(admin, 'staff')).rows);
    expect(Object.keys(rows).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    // S1: V1 100 and V2 31.25 → 65.625 (the returned and draft visits naming S1 do not count); previous 100.
    expect(rows.S1).toMatchObject({ name: '张三', branchCode: 'E1', n: 2, total: 65.625, previous: { total: 100 } });
    // S4 named twice in V5 counts V5 once: V4 90.625, V5 73.4375 → 82.03125; greeting (87.5+81.25)/2 = 84.375.
    expect(rows.S4).toMatchObject({ n: 2, total: 82.03125 });
    expect(rows.S4.sections.greeting).toBe(84.375);
    // S5 in W1 (V7 95.8333) and in W2's disputed V9 (12.5): (95.8333+12.5)/2 = 54.1667; previous 25.
    expect(rows.S5.n).toBe(2);
    expect(rows.S5.total).toBeCloseTo(54.166667, 5);
    expect(rows.S5.previous?.total).toBe(25);
  });

  test('drill-down narrows an admin to a region or a branch', async () => {
    const west = await results(admin, 'branch', { region: 'West' });
    expect(west.rows.map((r) => r.key)).toEqual(['W1', 'W2']);
    expect(west.summary.total).toBeCloseTo(54.166667, 5);
    expect(west.violations).toEqual([]);
    const e3 = await results(admin, 'staff', { branchCode: 'E3' });
    expect(e3.rows.map((r) => r.key)).toEqual(['S4']);
    expect(e3.summary).toMatchObject({ n: 3, branches: 1, total: 79.6875 });
  });
});

describe('scope cuts', () => {
  test('a region manager sees their region in full and the bank only as a labelled benchmark', async () => {
    const region = await results(tokens.east, 'region');
    expect(region.rows.map((r) => r.key)).toEqual(['East']);
    expect(region.rows[0].spread?.stdev).toBeCloseTo(22.2371, 4);
    expect(region.rows[0].benchmark).toBeUndefined();

    const bank = await results(tokens.east, 'bank');
    expect(bank.rows).toHaveLength(1);
    expect(bank.rows[0]).toMatchObject({ key: 'B1', benchmark: true, n: 8, branches: 5 });
    expect(bank.rows[0].total).toBeCloseTo(56.145833, 5);
    expect(bank.rows[0].spread).toBeUndefined(); // min/max would reveal single branches outside the region
    // previous quarter of the bank had one branch (W1) outside East: withheld, it would reveal W1's 25.
    expect(bank.rows[0].previous).toBeUndefined();
    expect(bank.summary.total).toBeCloseTo(57.465278, 5);

    const branches = await results(tokens.east, 'branch');
    expect(branches.rows.map((r) => r.key)).toEqual(['E1', 'E2', 'E3']);
    const staff = await results(tokens.east, 'staff');
    expect(staff.rows.map((r) => r.key)).toEqual(['S1', 'S2', 'S3', 'S4']);
    // East only (V1–V6): p1 2/6, p2 2/6, f1 1/4 (V3, V6 N/A), g3 1/5, s2 1/5, g1 1/6, g2 1/6, s1 1/6.
    expect(bank.keyProblems.map((k) => [k.itemKey, k.failed, k.applicable])).toEqual([
      ['p1', 2, 6],
      ['p2', 2, 6],
      ['f1', 1, 4],
      ['g3', 1, 5],
      ['s2', 1, 5],
      ['g1', 1, 6],
      ['g2', 1, 6],
      ['s1', 1, 6],
    ]);
    expect(bank.violations.map((x) => x.visitId)).toEqual([v.V3]);

    const west = await results(tokens.west, 'bank');
    expect(west.violations).toEqual([]);
    expect(west.summary.total).toBeCloseTo(54.166667, 5);
  });

  test('a region manager cannot drill into another region or its branches (404)', async () => {
    expect((await get(tokens.east, { bankId: b1.bankId, quarter: Q, region: 'West' })).status).toBe(404);
    expect((await get(tokens.east, { bankId: b1.bankId, quarter: Q, branchCode: 'W1' })).status).toBe(404);
    expect((await get(tokens.east, { bankId: b1.bankId, quarter: Q, branchCode: 'NOPE' })).status).toBe(404);
  });

  test('a branches manager: own branches in full, wider areas as benchmarks only when enough is hidden', async () => {
    const branches = await results(tokens.pair, 'branch');
    expect(branches.rows.map((r) => r.key)).toEqual(['E2', 'W1']);
    // own scope: (27.0833 + 95.8333)/2 = 61.4583
    expect(branches.summary.total).toBeCloseTo(61.458333, 5);
    const regions = await results(tokens.pair, 'region');
    // East hides E1 and E3 (2) → benchmark; West would hide only W2 (1) → withheld, it would give W2's score away.
    expect(regions.rows.map((r) => [r.key, r.benchmark])).toEqual([['East', true]]);
    expect(regions.rows[0].spread).toBeUndefined();
    expect(regions.violations.map((x) => x.visitId)).toEqual([v.V3]);
    // Only W2 is outside "most"'s scope: the bank figure is withheld.
    expect((await results(tokens.most, 'bank')).rows).toEqual([]);
  });

  test('whole-bank manager and HR see the bank in full', async () => {
    for (const who of ['head', 'hr']) {
      const { rows } = await results(tokens[who], 'bank');
      expect(rows[0].benchmark).toBeUndefined();
      expect(rows[0].spread?.min).toBe(12.5);
    }
  });

  test("another bank's user gets 404; auditors and reviewers 403; no token 401", async () => {
    expect((await get(tokens.other, { bankId: b1.bankId, quarter: Q })).status).toBe(404);
    const own = await get(tokens.other, { bankId: b2.bankId, quarter: Q, level: 'branch' });
    expect(own.body.rows.map((r: Row) => r.key)).toEqual(['X1']);
    expect((await get(tokens.auditor, { bankId: b1.bankId, quarter: Q })).status).toBe(403);
    expect((await get(tokens.reviewer, { bankId: b1.bankId, quarter: Q })).status).toBe(403);
    expect((await request(app).get('/api/v1/results').query({ bankId: b1.bankId, quarter: Q })).status).toBe(401);
  });

  test('the service itself refuses roles outside results', async () => {
    await expect(
      quarterResults({ id: 'x', email: 'a@b', name: 'a', role: 'auditor' }, { bankId: b1.bankId, quarter: Q }),
    ).rejects.toMatchObject({ status: 403 });
  });
});

describe('query validation', () => {
  test.each([
    [{ quarter: Q }, 'bankId'],
    [{ bankId: 'B1', quarter: Q }, 'bankId'],
    [{ bankId: 'x', quarter: '2026-Q5' }, 'quarter'],
    [{ bankId: 'x', quarter: Q, level: 'country' }, 'level'],
    [{ bankId: 'x', quarter: Q, extra: '1' }, '(root)'],
  ])('%j → 400 naming %s', async (query: Record<string, string>, field) => {
    const q = { ...query, ...(query.bankId === 'x' ? { bankId: b1.bankId } : {}) };
    const res = await get(admin, q);
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  test('an unknown bank is 404', async () => {
    expect((await get(admin, { bankId: '0123456789abcdef01234567', quarter: Q })).status).toBe(404);
  });
});

describe('admin overview', () => {
  test('visits per state and coverage per bank', async () => {
    const res = await request(app).get('/api/v1/overview').query({ quarter: Q }).set(bearer(admin));
    expect(res.status).toBe(200);
    const bank = res.body.banks.find((b: { code: string }) => b.code === 'B1');
    // 2026-Q2 in B1: approved V1–V7 (7), disputed V9, submitted V8 and E4's, returned 1, draft 1.
    expect(bank.visits).toEqual({ draft: 1, submitted: 2, returned: 1, approved: 7, disputed: 1, total: 12 });
    // planned = branches with an assignment: E1, E2, E3, E4, W1, W2 (6); visited (counted) = all but E4 (5).
    expect(bank.branches).toEqual({ total: 6, planned: 6, visited: 5, visitedPlanned: 5 });
    expect(bank.coverage).toBeCloseTo(5 / 6, 9);
    const other = res.body.banks.find((b: { code: string }) => b.code === 'B2');
    expect(other.visits.approved).toBe(1);
    expect((await request(app).get('/api/v1/overview').set(bearer(tokens.head))).status).toBe(403);
    expect((await request(app).get('/api/v1/overview').query({ quarter: 'Q2' }).set(bearer(admin))).status).toBe(400);
  });
});

describe('the kept statistics against the streaming reference path', () => {
  const bankWide = { id: 'p-head', email: 'h@b', name: 'h', role: 'bank_manager' as const };
  /** Numbers equal within 1e-9 (sums of squares in another order), everything else exactly. */
  const close = (a: unknown, b: unknown): void => {
    if (typeof a === 'number' && typeof b === 'number') {
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9);
    } else if (a && b && typeof a === 'object' && typeof b === 'object') {
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const k of Object.keys(a)) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
    } else expect(a).toEqual(b);
  };

  test.each([
    ['the whole bank', { type: 'bank' }, {}],
    ['one region', { type: 'region', region: 'East' }, {}],
    ['some branches', { type: 'branches', branchCodes: ['E2', 'W1'] }, {}],
    ['the whole bank narrowed to a branch', { type: 'bank' }, { branchCode: 'E3' }],
  ])('%s: every figure of every level equals the recomputation from the visits', async (_n, scope, extra) => {
    const p = { ...bankWide, bankId: b1.bankId, scope } as Parameters<typeof quarterResults>[0];
    const input = { bankId: b1.bankId, quarter: Q, ...extra };
    const kept = await quarterResults(p, input);
    const streamed = await resultsFromVisits(p, input);
    expect(kept.branches.length).toBeGreaterThan(0);
    close(kept, streamed);
  });
});
