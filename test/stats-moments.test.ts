import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import {
  addMoments,
  addObservation,
  meanOf,
  noMoments,
  populationSd,
  sampleSd,
  type Moments,
} from '../server/stats/moments';

/** Moments (count, sum, sum of squares) and the means and spreads read from them (SPEC §3, §11). Pure. */

const momentsOf = (xs: readonly (number | null | undefined)[]): Moments => {
  const m = noMoments();
  for (const x of xs) addObservation(m, x);
  return m;
};

describe('moments', () => {
  test('no observation: zero moments, no mean, no spread', () => {
    expect(noMoments()).toEqual({ n: 0, sum: 0, sumSq: 0 });
    expect(meanOf(noMoments())).toBeNull();
    expect(sampleSd(noMoments())).toBeNull();
    expect(populationSd(noMoments())).toBeNull();
  });

  test('each call gives a fresh object', () => {
    const a = noMoments();
    addObservation(a, 5);
    expect(noMoments()).toEqual({ n: 0, sum: 0, sumSq: 0 });
  });

  test('observations add to count, sum and sum of squares; null, NaN and ±Infinity are left out', () => {
    const m = momentsOf([3, null, 4, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -2]);
    // 3 + 4 − 2 = 5; 9 + 16 + 4 = 29
    expect(m).toEqual({ n: 3, sum: 5, sumSq: 29 });
  });

  test('a score of 0 is an observation', () => {
    expect(momentsOf([0, 0])).toEqual({ n: 2, sum: 0, sumSq: 0 });
  });

  test('addMoments adds the parts of a whole', () => {
    const into = momentsOf([1, 2]);
    addMoments(into, momentsOf([3, 10]));
    // n 4, sum 16, squares 1 + 4 + 9 + 100 = 114
    expect(into).toEqual({ n: 4, sum: 16, sumSq: 114 });
  });

  test('mean, worked by hand', () => {
    expect(meanOf(momentsOf([80, 90, 40]))).toBe(70);
    expect(meanOf(momentsOf([55]))).toBe(55);
  });

  test('sample standard deviation (n − 1), null below two observations', () => {
    expect(sampleSd(momentsOf([7]))).toBeNull();
    // 2 and 4: mean 3, squared deviations 1 + 1 = 2, / (2 − 1) → √2
    expect(sampleSd(momentsOf([2, 4]))).toBeCloseTo(Math.SQRT2, 12);
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, squared deviations 32 → √(32/7)
    expect(sampleSd(momentsOf([2, 4, 4, 4, 5, 5, 7, 9]))).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  test('population standard deviation (n): a single branch has spread 0', () => {
    expect(populationSd(momentsOf([7]))).toBe(0);
    // 2 and 4: squared deviations 2, / 2 → 1
    expect(populationSd(momentsOf([2, 4]))).toBe(1);
    // the textbook set: 32 / 8 = 4 → 2
    expect(populationSd(momentsOf([2, 4, 4, 4, 5, 5, 7, 9]))).toBe(2);
  });

  test('equal values give exactly 0, although Σx² − (Σx)²/n comes out a hair below zero', () => {
    // 33.3 five times: Σx² − (Σx)²/5 = −9.1e-13 in binary floating point; its square root would be NaN.
    const m = momentsOf([33.3, 33.3, 33.3, 33.3, 33.3]);
    expect(m.sumSq - (m.sum * m.sum) / m.n).toBeLessThan(0);
    expect(sampleSd(m)).toBe(0);
    expect(populationSd(m)).toBe(0);
  });

  const scores = fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 30 });
  const twoPass = (xs: number[], denominator: number) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / denominator);
  };

  test('property: the moments of a whole are the sum of its parts’, in any split', () => {
    fc.assert(
      fc.property(scores, scores, (a, b) => {
        const whole = momentsOf([...a, ...b]);
        const parts = momentsOf(a);
        addMoments(parts, momentsOf(b));
        expect(parts.n).toBe(whole.n);
        expect(parts.sum).toBeCloseTo(whole.sum, 6);
        expect(parts.sumSq).toBeCloseTo(whole.sumSq, 4);
      }),
      propertyRuns(100),
    );
  });

  test('property: mean and spreads agree with the two-pass formulas', () => {
    fc.assert(
      fc.property(scores, (xs) => {
        const m = momentsOf(xs);
        if (xs.length === 0) return meanOf(m) === null && populationSd(m) === null;
        expect(meanOf(m)).toBeCloseTo(xs.reduce((s, x) => s + x, 0) / xs.length, 9);
        expect(populationSd(m)).toBeCloseTo(twoPass(xs, xs.length), 4);
        if (xs.length < 2) return sampleSd(m) === null;
        expect(sampleSd(m)).toBeCloseTo(twoPass(xs, xs.length - 1), 4);
        return true;
      }),
      propertyRuns(100),
    );
  });
});
