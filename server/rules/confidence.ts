import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { isFiniteNumber } from './values';

/**
 * Statistical confidence of a mean (SPEC §11): sample sd, the 95 % t interval, Welch's two-sided
 * test of a change against the previous quarter, the small-sample and below-bank flags. Pure; the
 * t distribution comes from stdlib (quantile and CDF), not from hand-written series.
 */

/** Count, sum and sum of squares of the values averaged (server/stats keeps exactly these). */
export interface SampleMoments {
  n: number;
  sum: number;
  sumSq: number;
}

export interface MeanConfidence {
  /** The number of values averaged (visits for a branch or staff member, branches for an area). */
  n: number;
  mean: number | null;
  /** Sample standard deviation (denominator n − 1); null when n < 2. */
  sd: number | null;
  /** mean ± t(0.975, n − 1) · sd / √n; null when n < 2. */
  ci95: [number, number] | null;
  /** Fewer than three values: the mean says little on its own. */
  smallSample: boolean;
}

export interface Change {
  /** This quarter's mean minus the previous quarter's. */
  delta: number;
  /** Welch's two-sided p; null when either side has n < 2 or both have zero variance. */
  p: number | null;
  /** p < 0.05; null exactly when p is null ("too little data"). */
  significant: boolean | null;
}

export const SMALL_SAMPLE_BELOW = 3;
export const SIGNIFICANCE = 0.05;

/** The sum of squared deviations from the mean; never below zero (rounding on equal values). */
function squaredDeviations(m: SampleMoments): number {
  return Math.max(0, m.sumSq - (m.sum * m.sum) / m.n);
}

/** The t quantile with df degrees of freedom (df may be fractional). */
export function tQuantileAt(p: number, df: number): number {
  return tQuantile(p, df);
}

/** Welch's two-sided p for the statistic t with df degrees of freedom. */
export function twoSidedP(t: number, df: number): number {
  // 2·F(−|t|) keeps the precision of small p that 2·(1 − F(|t|)) would lose.
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

export function confidenceOf(m: SampleMoments): MeanConfidence {
  const smallSample = m.n < SMALL_SAMPLE_BELOW;
  if (m.n === 0) return { n: 0, mean: null, sd: null, ci95: null, smallSample };
  const mean = m.sum / m.n;
  if (m.n < 2) return { n: m.n, mean, sd: null, ci95: null, smallSample };
  const sd = Math.sqrt(squaredDeviations(m) / (m.n - 1));
  const half = (tQuantileAt(0.975, m.n - 1) * sd) / Math.sqrt(m.n);
  return { n: m.n, mean, sd, ci95: [mean - half, mean + half], smallSample };
}

export interface WelchResult {
  t: number;
  df: number;
  p: number;
}

/** Welch's unequal-variance t-test of a − b; null when either n < 2 or both variances are zero. */
export function welch(a: SampleMoments, b: SampleMoments): WelchResult | null {
  if (a.n < 2 || b.n < 2) return null;
  const va = squaredDeviations(a) / (a.n - 1) / a.n;
  const vb = squaredDeviations(b) / (b.n - 1) / b.n;
  const se2 = va + vb;
  if (se2 === 0) return null;
  const t = (a.sum / a.n - b.sum / b.n) / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  return { t, df, p: twoSidedP(t, df) };
}

/** The change of a mean against the previous quarter's; null when either quarter has no value. */
export function changeOf(now: SampleMoments, before: SampleMoments): Change | null {
  if (now.n === 0 || before.n === 0) return null;
  const delta = now.sum / now.n - before.sum / before.n;
  const w = welch(now, before);
  // Stryker disable next-line EqualityOperator: equivalent, no pair of samples gives a p of exactly 0.05 (p is the t CDF at a computed t and a fractional df)
  return { delta, p: w ? w.p : null, significant: w ? w.p < SIGNIFICANCE : null };
}

/** A branch is below the bank when even the top of its interval is under the bank's score. */
export function isBelow(c: Pick<MeanConfidence, 'ci95'>, reference: number | null): boolean {
  return c.ci95 !== null && reference !== null && c.ci95[1] < reference;
}

/** Moments of plain values (branch scores of an area); nulls are left out. */
export function momentsOfValues(values: Iterable<number | null | undefined>): SampleMoments {
  const m: SampleMoments = { n: 0, sum: 0, sumSq: 0 };
  for (const x of values) {
    if (!isFiniteNumber(x)) continue;
    m.n += 1;
    m.sum += x;
    m.sumSq += x * x;
  }
  return m;
}
