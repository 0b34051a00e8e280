import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { jStat } from 'jstat';
import {
  changeOf,
  confidenceOf,
  isBelow,
  momentsOfValues,
  tQuantileAt,
  twoSidedP,
  welch,
} from '../server/rules/confidence';

/**
 * SPEC §11 against published reference values (t tables, R's documented t.test output on the
 * `sleep` data) and against a second implementation of the t distribution (jStat), never only
 * against our own arithmetic.
 */

// Student's sleep data (R: datasets::sleep), extra hours of sleep per patient under two drugs.
const DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

/** Straight from the definitions, on the raw values (not from moments): a second computation. */
function direct(xs: number[]) {
  const n = xs.length;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  return { n, m, sd };
}

describe('t quantiles', () => {
  // Two-sided 95 % critical values from any printed t table (three decimals).
  test.each([
    [1, 12.706],
    [2, 4.303],
    [5, 2.571],
    [10, 2.228],
    [30, 2.042],
  ])('df %d: t(0.975) = %d as in the printed tables', (df, table) => {
    expect(tQuantileAt(0.975, df)).toBeCloseTo(table, 3);
  });

  test.each([1, 2, 3.5, 5, 7.25, 10, 17.776, 30, 120])('df %d equals jStat to 1e-6', (df) => {
    expect(Math.abs(tQuantileAt(0.975, df) - jStat.studentt.inv(0.975, df))).toBeLessThan(1e-6);
  });

  test('two-sided p equals jStat at fractional df, and the tables: t = 2.228 at df 10 is p = 0.05', () => {
    for (const [t, df] of [
      [-1.8608, 17.776],
      [0.5, 3.3],
      [2.9, 6.41],
      [4.2, 1.7],
    ])
      expect(Math.abs(twoSidedP(t, df) - 2 * jStat.studentt.cdf(-Math.abs(t), df))).toBeLessThan(1e-7);
    expect(twoSidedP(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(twoSidedP(0, 4)).toBe(1);
  });
});

describe('the interval of a mean', () => {
  test("R's t.test(sleep drug 1): mean 0.75, 95 % CI [-0.5297804, 2.0297804]", () => {
    const c = confidenceOf(momentsOfValues(DRUG1));
    expect(c.n).toBe(10);
    expect(c.mean).toBeCloseTo(0.75, 12);
    expect(c.sd).toBeCloseTo(1.78901, 5);
    expect(c.ci95?.[0]).toBeCloseTo(-0.5297804, 6);
    expect(c.ci95?.[1]).toBeCloseTo(2.0297804, 6);
    expect(c.smallSample).toBe(false);
  });

  test('n = 0, 1, 2: no sd and no interval below two values; small sample below three', () => {
    expect(confidenceOf(momentsOfValues([]))).toEqual({ n: 0, mean: null, sd: null, ci95: null, smallSample: true });
    expect(confidenceOf(momentsOfValues([70]))).toEqual({ n: 1, mean: 70, sd: null, ci95: null, smallSample: true });
    const two = confidenceOf(momentsOfValues([70, 80]));
    // sd = √50; half width = 12.706 · √50 / √2 = 12.706 · 5 = 63.53
    expect(two.sd).toBeCloseTo(Math.sqrt(50), 12);
    expect(two.ci95?.[1]).toBeCloseTo(75 + 12.7062047 * 5, 5);
    expect(two.smallSample).toBe(true);
    expect(confidenceOf(momentsOfValues([70, 80, 90])).smallSample).toBe(false);
  });

  test('moments leave out what is not a finite number', () => {
    expect(momentsOfValues([70, null, Number.NaN, undefined, Infinity, -Infinity, 80])).toEqual({
      n: 2,
      sum: 150,
      sumSq: 11300,
    });
  });

  test('equal values: sd 0 and a zero-width interval, never NaN from rounding', () => {
    const c = confidenceOf(momentsOfValues([83.3333333333, 83.3333333333, 83.3333333333]));
    expect(c.sd).toBe(0);
    expect(c.ci95?.[0]).toBeCloseTo(83.3333333333, 9);
  });

  test('any sample: the interval from moments equals the one from the raw values with jStat', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 2, maxLength: 40 }), (xs) => {
        const c = confidenceOf(momentsOfValues(xs));
        const d = direct(xs);
        const half = (jStat.studentt.inv(0.975, d.n - 1) * d.sd) / Math.sqrt(d.n);
        expect(Math.abs((c.sd ?? NaN) - d.sd)).toBeLessThan(1e-6);
        expect(Math.abs((c.ci95?.[0] ?? NaN) - (d.m - half))).toBeLessThan(1e-5);
        expect(Math.abs((c.ci95?.[1] ?? NaN) - (d.m + half))).toBeLessThan(1e-5);
      }),
      propertyRuns(100),
    );
  });
});

describe("Welch's test of a change", () => {
  test("R's t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p = 0.07939", () => {
    const w = welch(momentsOfValues(DRUG1), momentsOfValues(DRUG2));
    expect(w?.t).toBeCloseTo(-1.8608, 4);
    expect(w?.df).toBeCloseTo(17.776, 3);
    expect(w?.p).toBeCloseTo(0.07939, 5);
    const change = changeOf(momentsOfValues(DRUG2), momentsOfValues(DRUG1));
    expect(change).toEqual({ delta: expect.closeTo(1.58, 12), p: expect.closeTo(0.07939, 5), significant: false });
  });

  test('a clear change is significant; p exactly as jStat gives it at the Welch df computed from raw values', () => {
    const before = [62, 65, 58, 70, 61, 66];
    const now = [81, 85, 79, 88, 90];
    const a = direct(now);
    const b = direct(before);
    const va = a.sd ** 2 / a.n;
    const vb = b.sd ** 2 / b.n;
    const t = (a.m - b.m) / Math.sqrt(va + vb);
    const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
    const p = 2 * jStat.studentt.cdf(-Math.abs(t), df);
    expect(df % 1).not.toBe(0);
    const c = changeOf(momentsOfValues(now), momentsOfValues(before));
    expect(c?.significant).toBe(true);
    expect(Math.abs((c?.p ?? NaN) - p)).toBeLessThan(1e-7);
    expect(c?.delta).toBeCloseTo(a.m - b.m, 12);
  });

  test('too little data: n < 2 on either side, or no variance on both, gives p and significant null', () => {
    expect(changeOf(momentsOfValues([80]), momentsOfValues([60, 70]))).toEqual({
      delta: 15,
      p: null,
      significant: null,
    });
    expect(changeOf(momentsOfValues([60, 70]), momentsOfValues([80]))).toEqual({
      delta: -15,
      p: null,
      significant: null,
    });
    expect(changeOf(momentsOfValues([80, 80]), momentsOfValues([60, 60, 60]))).toEqual({
      delta: 20,
      p: null,
      significant: null,
    });
    // One side without variance is still a test (the other side's variance carries it).
    expect(changeOf(momentsOfValues([80, 80]), momentsOfValues([60, 62, 58]))?.significant).toBe(true);
    // Two values before are enough as well.
    expect(changeOf(momentsOfValues([60, 62, 58]), momentsOfValues([80, 80]))?.significant).toBe(true);
    expect(welch(momentsOfValues([60, 62, 58]), momentsOfValues([80, 81]))?.p).toBeLessThan(0.05);
    // Nothing now, or nothing before: no change at all.
    expect(changeOf(momentsOfValues([]), momentsOfValues([60, 62]))).toBeNull();
    expect(changeOf(momentsOfValues([60, 62]), momentsOfValues([]))).toBeNull();
  });
});

describe('below the bank', () => {
  test('only when the upper end of the interval is under the bank score', () => {
    const c = confidenceOf(momentsOfValues([60, 62, 64]));
    // mean 62, sd 2, half = 4.303 · 2 / √3 = 4.968
    expect(c.ci95?.[1]).toBeCloseTo(62 + (4.302652729749 * 2) / Math.sqrt(3), 9);
    expect(isBelow(c, 67)).toBe(true);
    expect(isBelow(c, 66.9)).toBe(false);
    expect(isBelow(confidenceOf(momentsOfValues([10])), 90)).toBe(false);
    expect(isBelow(c, null)).toBe(false);
    // At the upper end itself it is not below; an unknown bank score is not 0.
    expect(isBelow({ ci95: [60, 70] }, 70)).toBe(false);
    expect(isBelow({ ci95: [-5, -1] }, null)).toBe(false);
  });
});
