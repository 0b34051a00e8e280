/**
 * Count, sum and sum of squares of some observations: enough for a mean and a sample standard
 * deviation (SPEC §11), and additive, so the moments of a region are the sum of its parts'. Pure.
 */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

export const noMoments = (): Moments => ({ n: 0, sum: 0, sumSq: 0 });

/** Number.isFinite as a type guard: false for null, undefined, NaN and ±Infinity. */
const isFiniteNumber = (x: unknown): x is number => Number.isFinite(x);

export function addObservation(m: Moments, x: number | null | undefined): void {
  if (!isFiniteNumber(x)) return;
  m.n += 1;
  m.sum += x;
  m.sumSq += x * x;
}

export function addMoments(into: Moments, m: Moments): void {
  into.n += m.n;
  into.sum += m.sum;
  into.sumSq += m.sumSq;
}

export function meanOf(m: Moments): number | null {
  return m.n === 0 ? null : m.sum / m.n;
}

/**
 * Sample standard deviation (denominator n − 1), null below two observations. From the moments,
 * Σx² − (Σx)²/n can come out a hair below zero for equal values: that is zero.
 */
export function sampleSd(m: Moments): number | null {
  if (m.n < 2) return null;
  const ss = m.sumSq - (m.sum * m.sum) / m.n;
  return Math.sqrt(Math.max(0, ss) / (m.n - 1));
}

/** Population standard deviation (denominator n): the spread of a whole set of branches. */
export function populationSd(m: Moments): number | null {
  if (m.n === 0) return null;
  const ss = m.sumSq - (m.sum * m.sum) / m.n;
  return Math.sqrt(Math.max(0, ss) / m.n);
}
