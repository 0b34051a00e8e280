import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import type { Moments } from '../server/stats/moments';
import {
  BUCKETS,
  bucketOf,
  bucketPart,
  intoBuckets,
  regionSummary,
  regionViolations,
  violationsOf,
  type BucketBranches,
  type RegionBuckets,
} from '../server/stats/buckets';
import { summarizeArea, type BranchSummary, type ViolationEntry } from '../server/stats/summaries';

/**
 * A region's branches kept in buckets (SPEC §15): the bucket of a code is FNV-1a (worked out here
 * with BigInt, independently), every branch lies in exactly one bucket, and the region summed up from
 * its buckets' parts is the region summed up from all its branches at once — counts and items
 * exactly, moments within 1e-9 — with the same violations in the same order. Pure.
 */

/** FNV-1a 32-bit over UTF-16 code units, with BigInt arithmetic (not the module's Math.imul). */
function fnv1a(code: string): number {
  let h = 0x811c9dc5n;
  for (const ch of code.split('')) {
    h ^= BigInt(ch.charCodeAt(0));
    h = (h * 0x01000193n) % 0x100000000n;
  }
  return Number(h % 16n);
}

const m = (...xs: number[]): Moments => ({
  n: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});

const violation = (visitId: string, itemKey = 'kyc'): ViolationEntry => ({
  visitId,
  itemKey,
  sectionKey: 'sales_compliance',
  disputed: false,
});

const branch = (totals: number[], over: Partial<BranchSummary> = {}): BranchSummary => ({
  seq: 1,
  visits: totals.length,
  scores: [m(...totals), m(), m(...totals.map((t) => t / 2)), m(), m(...totals)],
  items: {},
  violations: [],
  disputed: 0,
  staff: {},
  auditors: {},
  ...over,
});

describe('bucketOf', () => {
  test('FNV-1a of the code modulo 16, for known codes', () => {
    expect(BUCKETS).toBe(16);
    expect(bucketOf('')).toBe(0x811c9dc5 % 16);
    for (const code of ['BR000001', 'BR024999', 'N1', 'S1', '上海01', 'a', 'b'])
      expect([code, bucketOf(code)]).toEqual([code, fnv1a(code)]);
  });

  // Any UTF-16 code units (what the hash reads), lone surrogates included. Not fast-check's
  // `unit: 'binary'` strings: their set-up takes seconds on every load, once per mutant's run.
  const anyCode = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 })
    .map((units) => String.fromCharCode(...units));

  test('property: any code gets the FNV-1a bucket, in 0..15', () => {
    fc.assert(
      fc.property(anyCode, (code) => {
        const k = bucketOf(code);
        return k === fnv1a(code) && k >= 0 && k < BUCKETS;
      }),
      propertyRuns(300),
    );
  });

  test('a region of 500 branch codes fills every bucket, none with more than twice its share', () => {
    const counts = new Array<number>(BUCKETS).fill(0);
    for (let i = 0; i < 500; i++) counts[bucketOf(`BR${String(i).padStart(6, '0')}`)] += 1;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual((2 * 500) / BUCKETS);
  });
});

describe('intoBuckets', () => {
  test('each branch in its own bucket, codes in order within a bucket', () => {
    const codes = ['Z9', 'A1', 'M5', 'B2', 'C3', 'Q7', 'D4', 'K8', 'E5', 'F6'];
    const branches = Object.fromEntries(codes.map((c) => [c, branch([0.5])]));
    const buckets = intoBuckets(branches);
    const seen: string[] = [];
    for (const [k, part] of buckets) {
      expect(Object.keys(part).length).toBeGreaterThan(0);
      for (const code of Object.keys(part)) {
        expect([code, bucketOf(code)]).toEqual([code, k]);
        expect(part[code]).toBe(branches[code]);
      }
      expect(Object.keys(part)).toEqual([...Object.keys(part)].sort());
      seen.push(...Object.keys(part));
    }
    expect(seen.sort()).toEqual([...codes].sort());
  });

  test('codes of the same bucket keep code order whatever order they came in', () => {
    const k = bucketOf('BR000001');
    const inBucket = Array.from({ length: 400 }, (_, i) => `X${i}`).filter((c) => bucketOf(c) === k);
    expect(inBucket.length).toBeGreaterThan(3);
    const reversed = Object.fromEntries([...inBucket].reverse().map((c) => [c, branch([0.1])]));
    expect(Object.keys(intoBuckets(reversed).get(k) ?? {})).toEqual([...inBucket].sort());
  });

  test('nothing: no bucket', () => {
    expect(intoBuckets({}).size).toBe(0);
  });
});

describe('violationsOf and bucketPart', () => {
  test('violations carry their branch, branches in code order, each branch in its own order', () => {
    const branches: BucketBranches = {
      B2: branch([0.5], { violations: [violation('v9', 'b'), violation('v1', 'a')] }),
      A1: branch([0.4], { violations: [violation('v5')] }),
      C3: branch([0.3]),
    };
    expect(violationsOf(branches)).toEqual([
      { ...violation('v5'), branchCode: 'A1' },
      { ...violation('v9', 'b'), branchCode: 'B2' },
      { ...violation('v1', 'a'), branchCode: 'B2' },
    ]);
  });

  test('a bucket part: the area of its branches at the bucket’s seq, with its violations', () => {
    const branches: BucketBranches = {
      B2: branch([0.5, 0.7], { violations: [violation('v2')], disputed: 1 }),
      A1: branch([0.4]),
    };
    const part = bucketPart(branches, 42);
    expect(part.summary).toEqual(summarizeArea(Object.values(branches), 42));
    expect(part.summary.seq).toBe(42);
    expect(part.violations).toEqual([{ ...violation('v2'), branchCode: 'B2' }]);
  });
});

describe('a region from its buckets', () => {
  test('regionSummary combines the parts at the region’s seq; nothing gives the empty area', () => {
    expect(regionSummary({}, 3)).toEqual(summarizeArea([], 3));
    const parts: RegionBuckets = {
      1: bucketPart({ A: branch([0.2, 0.4]) }, 5),
      7: bucketPart({ B: branch([0.9]), C: branch([]) }, 6),
    };
    const r = regionSummary(parts, 11);
    expect(r.seq).toBe(11);
    expect([r.branches, r.visits, r.maxTotal]).toEqual([2, 3, 0.9]);
    expect(r.minTotal).toBeCloseTo(0.3, 12);
    expect(r.branchScores[4].n).toBe(2);
  });

  test('regionViolations: every bucket’s, in branch-code order, each branch in its own order', () => {
    const parts: RegionBuckets = {
      9: { summary: summarizeArea([], 1), violations: [{ ...violation('v3'), branchCode: 'C' }] },
      2: {
        summary: summarizeArea([], 1),
        violations: [
          { ...violation('v8'), branchCode: 'B' },
          { ...violation('v1'), branchCode: 'B' },
          { ...violation('v4'), branchCode: 'D' },
        ],
      },
      5: { summary: summarizeArea([], 1), violations: [{ ...violation('v2'), branchCode: 'A' }] },
    };
    expect(regionViolations(parts).map((v) => [v.branchCode, v.visitId])).toEqual([
      ['A', 'v2'],
      ['B', 'v8'],
      ['B', 'v1'],
      ['C', 'v3'],
      ['D', 'v4'],
    ]);
  });

  const aBranch = fc
    .record({
      totals: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 }),
      failed: fc.nat(3),
      violations: fc.array(fc.constantFrom('kyc', 'risk', 'id'), { maxLength: 3 }),
      disputed: fc.nat(2),
    })
    .map(({ totals, failed, violations, disputed }) =>
      branch(
        totals.map((t) => t / 100),
        {
          items: totals.length ? { kyc: { section: 'sales_compliance', applicable: totals.length, failed } } : {},
          violations: violations.map((item, i) => violation(`v${i}`, item)),
          disputed,
        },
      ),
    );

  test('property: a region summed up from its buckets is the region summed up from all its branches', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Z0-9]{1,6}$/), aBranch, { maxKeys: 40 }), (branches) => {
        const parts: RegionBuckets = {};
        for (const [k, part] of intoBuckets(branches)) parts[k] = bucketPart(part, 1);
        const whole = summarizeArea(Object.values(branches), 1);
        const viaBuckets = regionSummary(parts, 1);
        expect([viaBuckets.branches, viaBuckets.visits, viaBuckets.violations, viaBuckets.disputed]).toEqual([
          whole.branches,
          whole.visits,
          whole.violations,
          whole.disputed,
        ]);
        expect([viaBuckets.minTotal, viaBuckets.maxTotal]).toEqual([whole.minTotal, whole.maxTotal]);
        expect(viaBuckets.items).toEqual(whole.items);
        viaBuckets.branchScores.forEach((s, i) => {
          expect(s.n).toBe(whole.branchScores[i].n);
          expect(Math.abs(s.sum - whole.branchScores[i].sum)).toBeLessThanOrEqual(1e-9);
          expect(Math.abs(s.sumSq - whole.branchScores[i].sumSq)).toBeLessThanOrEqual(1e-9);
        });
        expect(regionViolations(parts)).toEqual(violationsOf(branches));
      }),
      propertyRuns(200),
    );
  });
});
