import type { BranchScore, StaffScore } from '../server/results/aggregate';
import { confidenceFields, momentsOfMeans } from '../server/results/confidence';
import {
  branchRows,
  focusMoments,
  groupByRegion,
  scoresOf,
  staffRows,
  summaryRow,
  trendPoint,
} from '../server/results/rows';
import type { SampleMoments } from '../server/rules/confidence';

/**
 * The rows of the results report (server/results/rows.ts): the focus, trend, branch and staff rows
 * with their scores, previous quarter, spread and the moments their intervals rest on (SPEC §3, §11).
 * The §11 arithmetic itself is test/results-confidence-rows.test.ts's; here: which moments, which
 * previous quarter, which names, which order. Worked out by hand. Pure.
 */

const m = (...xs: number[]): SampleMoments => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});
const sections = (g: number | null, total: number | null) => ({
  sections: { greeting: g, product_knowledge: null, sales_compliance: null, follow_up: null },
  total,
});
/** A branch whose visits scored `totals` (greeting the same as the total). */
const branch = (code: string, region: string, ...totals: number[]): BranchScore => {
  const mean = totals.length ? totals.reduce((a, b) => a + b, 0) / totals.length : null;
  return {
    code,
    region,
    n: totals.length,
    ...sections(mean, mean),
    moments: [m(...totals), m(), m(), m(), m(...totals)],
  };
};

describe('scores and groups', () => {
  test('scoresOf copies the sections and the total, nothing else', () => {
    const b = branch('A', 'R1', 60, 70);
    const s = scoresOf(b);
    expect(s).toEqual(sections(65, 65));
    expect(s.sections).not.toBe(b.sections);
  });

  test('groupByRegion keeps the order of first appearance and of the branches within a region', () => {
    const [a, b, c] = [branch('A', 'R2', 1), branch('B', 'R1', 2), branch('C', 'R2', 3)];
    expect([...groupByRegion([a, b, c])]).toEqual([
      ['R2', [a, c]],
      ['R1', [b]],
    ]);
    expect(groupByRegion([]).size).toBe(0);
  });

  test("a single branch in focus rests on its visits' moments; anything else on the branch scores", () => {
    const one = branch('A', 'R1', 60, 62, 64);
    const other = branch('B', 'R1', 80);
    expect(focusMoments({ type: 'branch' }, [one])).toBe(one.moments);
    expect(focusMoments({ type: 'region' }, [one])).toEqual(momentsOfMeans([one]));
    expect(focusMoments({ type: 'branch' }, [one, other])).toEqual(momentsOfMeans([one, other]));
    const noMoments = { ...one, moments: undefined };
    expect(focusMoments({ type: 'branch' }, [noMoments])).toEqual(momentsOfMeans([noMoments]));
  });
});

describe('the focus row and the trend', () => {
  const focus = { type: 'region' as const, key: 'R1', name: 'North' };

  test('the mean of the branch scores, visits and branches counted, the spread, the §11 fields', () => {
    const now = [branch('A', 'R1', 60, 70), branch('B', 'R1', 75)];
    expect(summaryRow(focus, now, [])).toEqual({
      key: 'R1',
      name: 'North',
      n: 3,
      branches: 2,
      ...sections(70, 70),
      spread: { min: 65, max: 75, stdev: 5 },
      ...confidenceFields({ now: momentsOfMeans(now) }),
    });
  });

  test('with a previous quarter: its scores and the change of the branch scores’ means', () => {
    const now = [branch('A', 'R1', 60, 70), branch('B', 'R1', 75)];
    const before = [branch('A', 'R1', 50), branch('B', 'R1', 70), branch('C', 'R1', 60)];
    const row = summaryRow(focus, now, before);
    expect(row.previous).toEqual(sections(60, 60));
    expect(row).toEqual({
      key: 'R1',
      name: 'North',
      n: 3,
      branches: 2,
      ...sections(70, 70),
      previous: sections(60, 60),
      spread: { min: 65, max: 75, stdev: 5 },
      ...confidenceFields({ now: momentsOfMeans(now), before: momentsOfMeans(before) }),
    });
    expect(row.change?.delta).toBe(10);
  });

  test('nothing this quarter: no spread, no previous, n 0', () => {
    expect(summaryRow(focus, [], [])).toEqual({
      key: 'R1',
      name: 'North',
      n: 0,
      branches: 0,
      ...sections(null, null),
      ...confidenceFields({ now: momentsOfMeans([]) }),
    });
  });

  test('a trend point: the quarter, counts, scores and the interval of its total', () => {
    const one = branch('A', 'R1', 60, 62, 64);
    const { sd, ci95, smallSample } = confidenceFields({ now: one.moments });
    expect(trendPoint('2026-Q2', { type: 'branch' }, [one])).toEqual({
      quarter: '2026-Q2',
      n: 3,
      branches: 1,
      ...sections(62, 62),
      sd,
      ci95,
      smallSample,
    });
    expect(sd).toBeCloseTo(2, 12);
  });
});

describe('branch and staff rows', () => {
  test('branches sorted by code, named (else their code), their previous quarter matched by code', () => {
    const rows = branchRows(
      [branch('B', 'R2', 80, 90), branch('A', 'R1', 60, 62, 64)],
      [branch('B', 'R2', 70, 72), branch('Z', 'R1', 10)],
      new Map([['A', 'Alpha']]),
      90,
    );
    const a = branch('A', 'R1', 60, 62, 64);
    const b = branch('B', 'R2', 80, 90);
    expect(rows).toEqual([
      {
        key: 'A',
        name: 'Alpha',
        region: 'R1',
        n: 3,
        ...sections(62, 62),
        ...confidenceFields({ now: a.moments, bankTotal: 90 }),
      },
      {
        key: 'B',
        name: 'B',
        region: 'R2',
        n: 2,
        ...sections(85, 85),
        previous: sections(71, 71),
        ...confidenceFields({ now: b.moments, before: branch('B', 'R2', 70, 72).moments, bankTotal: 90 }),
      },
    ]);
    // 60, 62, 64 against a bank at 90: the interval's top (66.97) is below it.
    expect(rows[0].belowBank).toBe(true);
    expect(rows[1].change?.delta).toBe(14);
  });

  test('staff sorted by id, named with their branch where known, their previous quarter matched by id', () => {
    const person = (employeeId: string, ...totals: number[]): StaffScore => {
      const { code: _code, region: _region, ...rest } = branch(employeeId, '', ...totals);
      return { employeeId, ...rest };
    };
    const rows = staffRows(
      [person('s2', 80), person('s1', 60, 70)],
      [person('s1', 50, 52), person('s9', 10)],
      new Map([
        ['s1', { name: 'Li Na', branchCode: 'A' }],
        ['s2', { name: 'Wang Wei' }],
      ]),
    );
    expect(rows).toEqual([
      {
        key: 's1',
        name: 'Li Na',
        branchCode: 'A',
        n: 2,
        ...sections(65, 65),
        previous: sections(51, 51),
        ...confidenceFields({ now: person('s1', 60, 70).moments, before: person('s1', 50, 52).moments }),
      },
      {
        key: 's2',
        name: 'Wang Wei',
        n: 1,
        ...sections(80, 80),
        ...confidenceFields({ now: person('s2', 80).moments }),
      },
    ]);
    // Not in the names: the id stands for the name, and no branch is made up.
    expect(staffRows([person('s3', 50)], [], new Map())).toEqual([
      { key: 's3', name: 's3', n: 1, ...sections(50, 50), ...confidenceFields({ now: person('s3', 50).moments }) },
    ]);
  });
});
