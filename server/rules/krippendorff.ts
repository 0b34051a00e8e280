/**
 * Krippendorff's alpha with the interval metric (SPEC §12): units = scored items, coders =
 * auditors, missing values left out. Written from the coincidence-matrix definition in
 * Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): only units with at least two
 * values are pairable; δ²(c, k) = (c − k)²;
 *   D_o = 1/n · Σ_u Σ_{i≠j in u} δ²(v_i, v_j) / (m_u − 1),
 *   D_e = 1/(n(n − 1)) · Σ_{i≠j over all n pairable values} δ²(v_i, v_j),
 *   α = 1 − D_o / D_e.
 * Pure. The pair sums use Σ_{i≠j}(x_i − x_j)² = 2(m·Σx² − (Σx)²), so a round costs O(values).
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
}

const valuesOf = (u: Unit): number[] => u.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));

/** Σ over ordered pairs i ≠ j of (x_i − x_j)². */
function pairSum(xs: readonly number[]): number {
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  return Math.max(0, 2 * (xs.length * s2 - s * s));
}

export function intervalAlpha(units: readonly Unit[]): AlphaResult {
  const pairable = units.map(valuesOf).filter((xs) => xs.length >= 2);
  const n = pairable.reduce((k, xs) => k + xs.length, 0);
  if (n < 2) return { alpha: null, pairable: n, units: pairable.length };
  const observed = pairable.reduce((k, xs) => k + pairSum(xs) / (xs.length - 1), 0) / n;
  const expected = pairSum(pairable.flat()) / (n * (n - 1));
  return { alpha: expected === 0 ? null : 1 - observed / expected, pairable: n, units: pairable.length };
}
