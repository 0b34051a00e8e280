import { intervalAlpha } from './krippendorff';

/**
 * Auditor calibration (SPEC §12), pure. A round's answers arrive as item scores (in [0, 1], null
 * for `na`, unanswered or not applicable) and raw answers (for "the same answer"); field leniency
 * from the approved visits' totals.
 */

export interface CoderSheet {
  auditorId: string;
  /** itemKey → the raw answer as given (for agreement) and its score (null: not scored). */
  answers: ReadonlyMap<string, { value: unknown; score: number | null }>;
}

export interface RoundFigures {
  alpha: number | null;
  items: { itemKey: string; agreement: number | null; answers: number }[];
  auditors: { auditorId: string; bias: number | null; referenceAgreement?: number | null }[];
}

const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

const keyOf = (v: unknown): string => JSON.stringify(v);

/** Share of the auditors who answered an item that gave its most common answer (`na` is an answer). */
export function itemAgreement(values: readonly unknown[]): number | null {
  if (values.length === 0) return null;
  const counts = new Map<string, number>();
  for (const v of values) counts.set(keyOf(v), (counts.get(keyOf(v)) ?? 0) + 1);
  return Math.max(...counts.values()) / values.length;
}

/** Mean over items of (this auditor's score − the mean of the other auditors' scores on it). */
export function biasOf(auditorId: string, sheets: readonly CoderSheet[], itemKeys: readonly string[]): number | null {
  const own = sheets.find((s) => s.auditorId === auditorId);
  if (!own) return null;
  const diffs: number[] = [];
  for (const key of itemKeys) {
    const mine = own.answers.get(key)?.score;
    if (typeof mine !== 'number') continue;
    const others = sheets
      .filter((s) => s.auditorId !== auditorId)
      .map((s) => s.answers.get(key)?.score)
      .filter((x): x is number => typeof x === 'number');
    const m = mean(others);
    if (m !== null) diffs.push(mine - m);
  }
  return mean(diffs);
}

/** Share of the reference's answered items on which the auditor gave the same answer. */
export function referenceAgreementOf(sheet: CoderSheet, reference: ReadonlyMap<string, unknown>): number | null {
  let same = 0;
  let compared = 0;
  for (const [key, ref] of reference) {
    const a = sheet.answers.get(key);
    if (!a) continue;
    compared += 1;
    if (keyOf(a.value) === keyOf(ref)) same += 1;
  }
  return compared === 0 ? null : same / compared;
}

export function roundFigures(
  sheets: readonly CoderSheet[],
  itemKeys: readonly string[],
  reference: ReadonlyMap<string, unknown> | null,
): RoundFigures {
  const units = itemKeys.map((k) => sheets.map((s) => s.answers.get(k)?.score ?? null));
  return {
    alpha: intervalAlpha(units).alpha,
    items: itemKeys.map((itemKey) => {
      const given = sheets.flatMap((s) => (s.answers.has(itemKey) ? [s.answers.get(itemKey)?.value] : []));
      return { itemKey, agreement: itemAgreement(given), answers: given.length };
    }),
    auditors: sheets.map((s) => ({
      auditorId: s.auditorId,
      bias: biasOf(s.auditorId, sheets, itemKeys),
      ...(reference && reference.size > 0 ? { referenceAgreement: referenceAgreementOf(s, reference) } : {}),
    })),
  };
}

// ---- field leniency

export interface FieldVisit {
  auditorId: string;
  branchCode: string;
  total: number | null;
}

export interface Leniency {
  auditorId: string;
  /** Mean difference from the other auditors at the same branches; null without such visits. */
  leniency: number | null;
  /** Visits that had others to compare with. */
  visits: number;
  flagged: boolean;
}

export const LENIENCY_LIMIT = 10;
export const LENIENCY_MIN_VISITS = 5;

/**
 * Per auditor over one quarter's approved visits of one bank or all banks (branch codes must then be
 * unique across them, e.g. `bankId:code`): the mean of (visit total − mean total of the OTHER
 * auditors' visits to the same branch), over visits where such others exist.
 */
export function leniencyOf(visits: readonly FieldVisit[]): Leniency[] {
  const byBranch = new Map<string, FieldVisit[]>();
  for (const v of visits) if (v.total !== null) byBranch.set(v.branchCode, [...(byBranch.get(v.branchCode) ?? []), v]);
  const diffs = new Map<string, number[]>();
  for (const v of visits) {
    if (!diffs.has(v.auditorId)) diffs.set(v.auditorId, []);
    if (v.total === null) continue;
    const others = (byBranch.get(v.branchCode) ?? []).filter((o) => o.auditorId !== v.auditorId);
    const m = mean(others.map((o) => o.total as number));
    if (m !== null) diffs.get(v.auditorId)?.push(v.total - m);
  }
  return [...diffs]
    .map(([auditorId, ds]) => {
      const leniency = mean(ds);
      const flagged = leniency !== null && Math.abs(leniency) > LENIENCY_LIMIT && ds.length >= LENIENCY_MIN_VISITS;
      return { auditorId, leniency, visits: ds.length, flagged };
    })
    .sort((a, b) => (a.auditorId < b.auditorId ? -1 : a.auditorId > b.auditorId ? 1 : 0));
}

/** One branch's quarter as the statistics keep it: per auditor, the count and sum of their visit totals. */
export type BranchAuditorSums = Readonly<Record<string, { n: number; sum: number }>>;

/**
 * The same leniency from per-branch sums (SPEC §15: no visit is read). For auditor a at a branch
 * with others: Σ over a's visits of (total − mean of the others) = sum_a − n_a · (S − sum_a)/(N − n_a).
 */
export function leniencyFromSums(branches: Iterable<BranchAuditorSums>): Leniency[] {
  const acc = new Map<string, { diff: number; visits: number }>();
  for (const b of branches) {
    let n = 0;
    let sum = 0;
    for (const x of Object.values(b)) {
      n += x.n;
      sum += x.sum;
    }
    for (const [auditorId, x] of Object.entries(b)) {
      const a = acc.get(auditorId) ?? { diff: 0, visits: 0 };
      acc.set(auditorId, a);
      const others = n - x.n;
      if (x.n === 0 || others === 0) continue;
      a.diff += x.sum - (x.n * (sum - x.sum)) / others;
      a.visits += x.n;
    }
  }
  return [...acc]
    .map(([auditorId, a]) => {
      const leniency = a.visits === 0 ? null : a.diff / a.visits;
      const flagged = leniency !== null && Math.abs(leniency) > LENIENCY_LIMIT && a.visits >= LENIENCY_MIN_VISITS;
      return { auditorId, leniency, visits: a.visits, flagged };
    })
    .sort((a, b) => (a.auditorId < b.auditorId ? -1 : a.auditorId > b.auditorId ? 1 : 0));
}
