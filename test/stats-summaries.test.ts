import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import type { Contribution } from '../server/stats/contribution';
import type { Moments } from '../server/stats/moments';
import {
  branchMeans,
  combineAreas,
  summarizeArea,
  summarizeBranch,
  type AreaSummary,
  type BranchSummary,
} from '../server/stats/summaries';

/**
 * A branch's quarter summed up from its visits' contributions and an area from its branches (SPEC
 * §3, §11, §15), worked out by hand: moments per slot with missing scores left out, counts per item,
 * violations in visit order, staff and auditors; the area's branch-score moments and the lowest and
 * highest branch total whatever order the branches come in. Pure.
 */

const contribution = (over: Partial<Contribution> = {}): Contribution => ({
  rev: 1,
  auditorId: 'aud-1',
  staffIds: [],
  scores: [null, null, null, null, null],
  items: [],
  violations: [],
  disputed: false,
  visitedAt: '2026-04-01T00:00:00.000Z',
  questionnaire: 'q:1',
  ...over,
});

/** Moments of some numbers, written out (not through moments.ts). */
const m = (...xs: number[]): Moments => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});

/** A branch summary whose every slot has the given scores. */
const branch = (totals: number[], over: Partial<BranchSummary> = {}): BranchSummary => ({
  seq: 1,
  visits: totals.length,
  scores: [m(...totals), m(), m(), m(), m(...totals)],
  items: {},
  violations: [],
  disputed: 0,
  staff: {},
  auditors: {},
  ...over,
});

describe('summarizeBranch', () => {
  test('no visits: an empty summary at the given change counter', () => {
    expect(summarizeBranch({}, 7)).toEqual({
      seq: 7,
      visits: 0,
      scores: [m(), m(), m(), m(), m()],
      items: {},
      violations: [],
      disputed: 0,
      staff: {},
      auditors: {},
    });
  });

  test('scores per slot as moments; a visit without a score in a slot leaves it out there only', () => {
    const s = summarizeBranch(
      {
        v1: contribution({ scores: [1, 0.5, null, 0, 0.5] }),
        v2: contribution({ scores: [0.5, null, null, 0.25, 0.75] }),
      },
      2,
    );
    expect(s.visits).toBe(2);
    expect(s.scores).toEqual([m(1, 0.5), m(0.5), m(), m(0, 0.25), m(0.5, 0.75)]);
    expect(branchMeans(s)).toEqual([0.75, 0.5, null, 0.125, 0.625]);
  });

  test('item counts: applicable once per visit that answered, failed where it failed', () => {
    const s = summarizeBranch(
      {
        v1: contribution({
          items: [
            { key: 'kyc', section: 'sales_compliance', failed: true },
            { key: 'greet', section: 'greeting', failed: false },
          ],
        }),
        v2: contribution({ items: [{ key: 'kyc', section: 'sales_compliance', failed: false }] }),
        v3: contribution({ items: [{ key: 'kyc', section: 'sales_compliance', failed: true }] }),
      },
      1,
    );
    expect(s.items).toEqual({
      kyc: { section: 'sales_compliance', applicable: 3, failed: 2 },
      greet: { section: 'greeting', applicable: 1, failed: 0 },
    });
  });

  test('violations in visit-id order whatever order the visits come in, with section and dispute', () => {
    const s = summarizeBranch(
      {
        v3: contribution({ violations: [{ itemKey: 'risk', sectionKey: null }], disputed: true }),
        v1: contribution({ violations: [{ itemKey: 'kyc', sectionKey: 'sales_compliance' }] }),
        v2: contribution({
          violations: [
            { itemKey: 'b', sectionKey: 'greeting' },
            { itemKey: 'a', sectionKey: 'greeting' },
          ],
        }),
      },
      1,
    );
    expect(s.violations).toEqual([
      { visitId: 'v1', itemKey: 'kyc', sectionKey: 'sales_compliance', disputed: false },
      { visitId: 'v2', itemKey: 'b', sectionKey: 'greeting', disputed: false },
      { visitId: 'v2', itemKey: 'a', sectionKey: 'greeting', disputed: false },
      { visitId: 'v3', itemKey: 'risk', sectionKey: null, disputed: true },
    ]);
    expect(s.disputed).toBe(1);
  });

  test('staff and auditors: visits that named them and the moments of those visits’ scores', () => {
    const s = summarizeBranch(
      {
        v1: contribution({ staffIds: ['s1', 's2'], auditorId: 'a1', scores: [1, null, null, null, 0.8] }),
        v2: contribution({ staffIds: ['s1'], auditorId: 'a2', scores: [0, null, null, null, 0.4] }),
        v3: contribution({ staffIds: [], auditorId: 'a1', scores: [0.5, null, null, null, null] }),
      },
      1,
    );
    expect(s.staff).toEqual({
      s1: { visits: 2, scores: [m(1, 0), m(), m(), m(), m(0.8, 0.4)] },
      s2: { visits: 1, scores: [m(1), m(), m(), m(), m(0.8)] },
    });
    expect(s.auditors).toEqual({
      a1: { visits: 2, scores: [m(1, 0.5), m(), m(), m(), m(0.8)] },
      a2: { visits: 1, scores: [m(0), m(), m(), m(), m(0.4)] },
    });
  });
});

describe('summarizeArea', () => {
  test('nothing: no branches, no scores, no spread', () => {
    expect(summarizeArea([], 4)).toEqual({
      seq: 4,
      branches: 0,
      visits: 0,
      branchScores: [m(), m(), m(), m(), m()],
      minTotal: null,
      maxTotal: null,
      items: {},
      violations: 0,
      disputed: 0,
    });
  });

  test('moments of the branch MEANS (each branch once, whatever its visits), lowest and highest total', () => {
    const a = summarizeArea([branch([0.5, 1]), branch([0.25]), branch([0.5, 0.5, 0.5, 0.5])], 1);
    expect(a.branches).toBe(3);
    expect(a.visits).toBe(7);
    expect(a.branchScores[4]).toEqual(m(0.75, 0.25, 0.5));
    expect(a.branchScores[1]).toEqual(m());
    expect(a.minTotal).toBe(0.25);
    expect(a.maxTotal).toBe(0.75);
  });

  test('the spread is right for descending and unordered branch totals too', () => {
    for (const order of [
      [0.9, 0.6, 0.3],
      [0.6, 0.3, 0.9],
      [0.3, 0.9, 0.6],
    ]) {
      const a = summarizeArea(
        order.map((t) => branch([t])),
        1,
      );
      expect([a.minTotal, a.maxTotal]).toEqual([0.3, 0.9]);
    }
  });

  test('a branch without visits is left out entirely; one without a total counts but not in the spread', () => {
    const idle = branch([], {
      items: { kyc: { section: 'sales_compliance', applicable: 2, failed: 2 } },
      violations: [{ visitId: 'x', itemKey: 'kyc', sectionKey: null, disputed: true }],
      disputed: 1,
    });
    const noTotal = branch([], { visits: 2, scores: [m(0.2), m(), m(), m(), m()] });
    const a = summarizeArea([idle, branch([0.6]), noTotal], 1);
    expect(a.branches).toBe(2);
    expect(a.visits).toBe(3);
    expect(a.branchScores[0]).toEqual(m(0.6, 0.2));
    expect(a.branchScores[4]).toEqual(m(0.6));
    expect([a.minTotal, a.maxTotal]).toEqual([0.6, 0.6]);
    expect(a.items).toEqual({});
    expect(a.violations).toBe(0);
    expect(a.disputed).toBe(0);
  });

  test('items, violations and disputes add up over the branches', () => {
    const a = summarizeArea(
      [
        branch([0.5], {
          items: { kyc: { section: 'sales_compliance', applicable: 2, failed: 1 } },
          violations: [
            { visitId: 'v1', itemKey: 'kyc', sectionKey: 'sales_compliance', disputed: false },
            { visitId: 'v2', itemKey: 'kyc', sectionKey: 'sales_compliance', disputed: true },
          ],
          disputed: 1,
        }),
        branch([0.7], {
          items: {
            kyc: { section: 'sales_compliance', applicable: 3, failed: 2 },
            greet: { section: 'greeting', applicable: 1, failed: 0 },
          },
          violations: [{ visitId: 'v3', itemKey: 'kyc', sectionKey: 'sales_compliance', disputed: true }],
          disputed: 2,
        }),
      ],
      1,
    );
    expect(a.items).toEqual({
      kyc: { section: 'sales_compliance', applicable: 5, failed: 3 },
      greet: { section: 'greeting', applicable: 1, failed: 0 },
    });
    expect(a.violations).toBe(3);
    expect(a.disputed).toBe(3);
  });
});

describe('combineAreas', () => {
  const area = (totals: number[], over: Partial<AreaSummary> = {}): AreaSummary => ({
    ...summarizeArea(
      totals.map((t) => branch([t, t])),
      1,
    ),
    ...over,
  });

  test('nothing: the empty area', () => {
    expect(combineAreas([], 9)).toEqual(summarizeArea([], 9));
  });

  test('counts and moments add up; the extremes are the parts’ extremes, in any order', () => {
    const parts = [area([0.4, 0.8]), area([]), area([0.2, 0.6]), area([0.9])];
    for (const order of [parts, [...parts].reverse(), [parts[2], parts[0], parts[3], parts[1]]]) {
      const b = combineAreas(order, 5);
      expect(b.seq).toBe(5);
      expect(b.branches).toBe(5);
      expect(b.visits).toBe(10);
      expect(b.branchScores[4].n).toBe(5);
      expect(b.branchScores[4].sum).toBeCloseTo(2.9, 12);
      expect(b.branchScores[4].sumSq).toBeCloseTo(0.16 + 0.64 + 0.04 + 0.36 + 0.81, 12);
      expect([b.minTotal, b.maxTotal]).toEqual([0.2, 0.9]);
    }
  });

  test('a part with only one extreme known gives that one', () => {
    const b = combineAreas([area([], { minTotal: 0.3 }), area([], { maxTotal: 0.4 })], 1);
    expect([b.minTotal, b.maxTotal]).toEqual([0.3, 0.4]);
  });

  test('items, violations and disputes add up', () => {
    const b = combineAreas(
      [
        area([0.5], { items: { kyc: { section: 'sales_compliance', applicable: 4, failed: 1 } }, violations: 2 }),
        area([0.5], {
          items: { kyc: { section: 'sales_compliance', applicable: 1, failed: 1 } },
          violations: 1,
          disputed: 3,
        }),
      ],
      1,
    );
    expect(b.items).toEqual({ kyc: { section: 'sales_compliance', applicable: 5, failed: 2 } });
    expect(b.violations).toBe(3);
    expect(b.disputed).toBe(3);
  });

  test('property: regions combined are the bank summed over all its branches at once', () => {
    const totals = fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 6 }), {
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(totals, (regions) => {
        const branches = regions.map((r) => r.map((t) => branch([t / 100])));
        const whole = summarizeArea(branches.flat(), 1);
        const combined = combineAreas(
          branches.map((b) => summarizeArea(b, 1)),
          1,
        );
        return (
          combined.branches === whole.branches &&
          combined.visits === whole.visits &&
          combined.minTotal === whole.minTotal &&
          combined.maxTotal === whole.maxTotal &&
          combined.branchScores[4].n === whole.branchScores[4].n &&
          Math.abs(combined.branchScores[4].sum - whole.branchScores[4].sum) < 1e-9
        );
      }),
      propertyRuns(200),
    );
  });
});
