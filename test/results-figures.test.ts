import {
  areaScores,
  areaSpread,
  branchScore,
  branchScores,
  keyProblems,
  staffScores,
  violationRows,
} from '../server/results/figures';
import type { AreaSummary, BranchSummary, Moments, PersonSummary } from '../server/stats/service';

/**
 * The stats door (server/stats/service.ts) also opens the database side of the kept statistics, and
 * through it half the app; figures.ts takes only its pure re-exports (the moments' means and spreads,
 * the total's slot). Under mutation testing every mutant reloads the module graph, so the door is
 * replaced here by exactly those re-exports, the same functions.
 */
jest.mock('../server/stats/service', () => ({
  ...jest.requireActual('../server/stats/moments'),
  TOTAL: jest.requireActual('../server/stats/contribution').TOTAL,
}));

/**
 * The kept statistics as published figures (SPEC §3): a branch's scores are the means of its visits'
 * scores, an area's the means of its branch scores, the spread the lowest, highest and population sd
 * of the branch totals, staff scores over every branch that named them, key problems and violations
 * in a fixed order. Worked out by hand. Pure.
 */

const m = (...xs: number[]): Moments => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});

const summary = (over: Partial<BranchSummary> = {}): BranchSummary => ({
  seq: 1,
  visits: 2,
  scores: [m(1, 0.5), m(0.5), m(), m(0, 0.25), m(0.5, 0.75)],
  items: {},
  violations: [],
  disputed: 0,
  staff: {},
  auditors: {},
  ...over,
});

const area = (over: Partial<AreaSummary> = {}): AreaSummary => ({
  seq: 1,
  branches: 3,
  visits: 6,
  branchScores: [m(1, 0.5, 0.75), m(), m(0.2), m(0, 1), m(0.5, 0.8, 0.2)],
  minTotal: 0.2,
  maxTotal: 0.8,
  items: {},
  violations: 0,
  disputed: 0,
  ...over,
});

describe('branch scores', () => {
  test('one branch: code, region, visits and the mean of each slot (none where nothing was scored)', () => {
    expect(branchScore('B01', 'North', summary())).toEqual({
      code: 'B01',
      region: 'North',
      n: 2,
      sections: { greeting: 0.75, product_knowledge: 0.5, sales_compliance: null, follow_up: 0.125 },
      total: 0.625,
      // SPEC §11: the slots' moments travel with the branch (a copy, for the intervals).
      moments: summary().scores,
    });
  });

  test('the branches of several regions; a branch without counted visits is left out', () => {
    const regions = new Map<string, Record<string, BranchSummary>>([
      ['North', { B02: summary({ visits: 0, scores: [m(), m(), m(), m(), m(0.9)] }), B01: summary() }],
      ['South', { S01: summary({ visits: 1, scores: [m(), m(), m(), m(), m(0.3)] }) }],
    ]);
    expect(branchScores(regions).map((b) => [b.region, b.code, b.n, b.total])).toEqual([
      ['North', 'B01', 2, 0.625],
      ['South', 'S01', 1, 0.3],
    ]);
    expect(branchScores(new Map())).toEqual([]);
  });
});

describe('area scores and spread', () => {
  test('the means of the branch scores per slot', () => {
    expect(areaScores(area())).toEqual({
      sections: { greeting: 0.75, product_knowledge: null, sales_compliance: 0.2, follow_up: 0.5 },
      total: 0.5,
    });
  });

  test('spread: lowest, highest and the population sd of the branch totals', () => {
    // totals 0.5, 0.8, 0.2: mean 0.5, squared deviations 0, 0.09, 0.09, population variance 0.06.
    const s = areaSpread(area());
    expect(s?.min).toBe(0.2);
    expect(s?.max).toBe(0.8);
    expect(s?.stdev).toBeCloseTo(Math.sqrt(0.06), 12);
    expect(areaSpread(area({ branchScores: [m(), m(), m(), m(), m(0.4)], minTotal: 0.4, maxTotal: 0.4 }))).toEqual({
      min: 0.4,
      max: 0.4,
      stdev: 0,
    });
  });

  test('no spread when any part of it is unknown', () => {
    expect(areaSpread(area({ minTotal: null }))).toBeNull();
    expect(areaSpread(area({ maxTotal: null }))).toBeNull();
    expect(areaSpread(area({ branchScores: [m(), m(), m(), m(), m()] }))).toBeNull();
  });
});

describe('staff scores', () => {
  const person = (visits: number, totals: number[]): PersonSummary => ({
    visits,
    scores: [m(...totals), m(), m(), m(), m(...totals)],
  });

  test('over every branch that named them: visits add up, the mean is over all their visits', () => {
    const rows = staffScores([
      summary({ staff: { s1: person(2, [1, 0.5]), s2: person(1, [0.2]) } }),
      summary({ staff: { s1: person(1, [0]) } }),
      summary({ staff: {} }),
    ]);
    // SPEC §11: each slot's moments are those of all their visits (1, 0.5 and 0: sum 1.5, squares 1.25).
    const s1 = { n: 3, sum: 1.5, sumSq: 1.25 };
    const s2 = { n: 1, sum: 0.2, sumSq: 0.2 * 0.2 };
    const Z = { n: 0, sum: 0, sumSq: 0 };
    expect(rows).toEqual([
      {
        employeeId: 's1',
        n: 3,
        sections: { greeting: 0.5, product_knowledge: null, sales_compliance: null, follow_up: null },
        total: 0.5,
        moments: [s1, Z, Z, Z, s1],
      },
      {
        employeeId: 's2',
        n: 1,
        sections: { greeting: 0.2, product_knowledge: null, sales_compliance: null, follow_up: null },
        total: 0.2,
        moments: [s2, Z, Z, Z, s2],
      },
    ]);
    expect(staffScores([])).toEqual([]);
  });

  test('the branches’ summaries are read, never changed', () => {
    const b = summary({ staff: { s1: person(2, [1, 0.5]) } });
    const before = JSON.stringify(b);
    staffScores([b, summary({ staff: { s1: person(1, [0]) } })]);
    expect(JSON.stringify(b)).toBe(before);
  });
});

describe('key problems', () => {
  test('counts added up over the parts, ranked by failure rate, then failures, then item key', () => {
    const rows = keyProblems([
      {
        kyc: { section: 'sales_compliance', applicable: 4, failed: 1 },
        greet: { section: 'greeting', applicable: 2, failed: 0 },
      },
      {
        kyc: { section: 'sales_compliance', applicable: 4, failed: 3 },
        risk: { section: 'sales_compliance', applicable: 2, failed: 1 },
        call: { section: 'follow_up', applicable: 4, failed: 2 },
      },
    ]);
    // Every rate is 0.5 (1 + 3 of 8, 2 of 4, 1 of 2): more failures first; greet never failed.
    expect(rows).toEqual([
      { itemKey: 'kyc', sectionKey: 'sales_compliance', failureRate: 0.5, failed: 4, applicable: 8 },
      { itemKey: 'call', sectionKey: 'follow_up', failureRate: 0.5, failed: 2, applicable: 4 },
      { itemKey: 'risk', sectionKey: 'sales_compliance', failureRate: 0.5, failed: 1, applicable: 2 },
    ]);
    expect(keyProblems([])).toEqual([]);
  });
});

describe('violation rows', () => {
  const v = (branchCode: string, visitId: string, itemKey: string) => ({
    branchCode,
    region: `R-${branchCode}`,
    visitId,
    itemKey,
    sectionKey: itemKey === 'x' ? null : ('sales_compliance' as const),
    disputed: visitId === 'v2',
    extra: 'not published',
  });

  test('sorted by branch, then visit, then item, whatever the input order; only the published fields', () => {
    const rows = violationRows([v('B2', 'v1', 'a'), v('B1', 'v3', 'b'), v('B1', 'v2', 'x'), v('B1', 'v3', 'a')]);
    expect(rows).toEqual([
      { visitId: 'v2', branchCode: 'B1', region: 'R-B1', itemKey: 'x', sectionKey: null, disputed: true },
      {
        visitId: 'v3',
        branchCode: 'B1',
        region: 'R-B1',
        itemKey: 'a',
        sectionKey: 'sales_compliance',
        disputed: false,
      },
      {
        visitId: 'v3',
        branchCode: 'B1',
        region: 'R-B1',
        itemKey: 'b',
        sectionKey: 'sales_compliance',
        disputed: false,
      },
      {
        visitId: 'v1',
        branchCode: 'B2',
        region: 'R-B2',
        itemKey: 'a',
        sectionKey: 'sales_compliance',
        disputed: false,
      },
    ]);
  });

  test('descending input comes out ascending; equal rows keep their place', () => {
    const rows = violationRows([v('B3', 'v9', 'c'), v('B2', 'v5', 'b'), v('B1', 'v1', 'a'), v('B1', 'v1', 'a')]);
    expect(rows.map((r) => `${r.branchCode}/${r.visitId}/${r.itemKey}`)).toEqual([
      'B1/v1/a',
      'B1/v1/a',
      'B2/v5/b',
      'B3/v9/c',
    ]);
    expect(violationRows([])).toEqual([]);
  });
});
