import { isFiniteNumber } from './values';

/**
 * Krippendorff's alpha with the interval metric (SPEC §12): units = scored items, coders =
 * auditors, missing values left out. Written from the coincidence-matrix definition in
 * Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): only units with at least two
 * values are pairable; δ²(c, k) = (c − k)²;
 *   D_o = 1/n · Σ_u Σ_{i≠j in u} δ²(v_i, v_j) / (m_u − 1),
 *   D_e = 1/(n(n − 1)) · Σ_{i≠j over all n pairable values} δ²(v_i, v_j),
 *   α = 1 − D_o / D_e.
 * Pure. The pair sums are taken as written, over every ordered pair: exact (no variation is exactly
 * zero, never a rounding residue of m·Σx² − (Σx)²), and quadratic only in the values of one round
 * (items × auditors: a few thousand at most, a few million additions).
 */

/** One unit's values, one per coder; null or undefined where the coder gave none. */
export type Unit = readonly (number | null | undefined)[];

export interface AlphaResult {
  /** null when it is undefined: fewer than two pairable values, or no variation at all (D_e = 0). */
  alpha: number | null;
  /** Pairable values (n in the paper). */
  pairable: number;
  /** Units with at least two values. */
  units: number;
  /** D_o and D_e, the observed and the expected disagreement; null with fewer than two pairable values. */
  observed: number | null;
  expected: number | null;
}

const valuesOf = (u: Unit): number[] => u.filter(isFiniteNumber);

/** Σ over ordered pairs i ≠ j of (x_i − x_j)². */
function pairSum(xs: readonly number[]): number {
  let sum = 0;
  for (const a of xs) for (const b of xs) sum += (a - b) ** 2;
  return sum;
}

export function intervalAlpha(units: readonly Unit[]): AlphaResult {
  const pairable = units.map(valuesOf).filter((xs) => xs.length >= 2);
  const n = pairable.reduce((k, xs) => k + xs.length, 0);
  if (n < 2) return { alpha: null, pairable: n, units: pairable.length, observed: null, expected: null };
  const observed = pairable.reduce((k, xs) => k + pairSum(xs) / (xs.length - 1), 0) / n;
  const expected = pairSum(pairable.flat()) / (n * (n - 1));
  const alpha = expected === 0 ? null : 1 - observed / expected;
  return { alpha, pairable: n, units: pairable.length, observed, expected };
}
