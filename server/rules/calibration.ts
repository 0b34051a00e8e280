import { intervalAlpha } from './krippendorff';
import { byText, isFiniteNumber } from './values';

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
    if (!isFiniteNumber(mine)) continue;
    const others = sheets
      .filter((s) => s.auditorId !== auditorId)
      .map((s) => s.answers.get(key)?.score)
      .filter(isFiniteNumber);
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
      const given = sheets.flatMap((s) => {
        const a = s.answers.get(itemKey);
        return a ? [a.value] : [];
      });
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

/** An auditor's row from the sum of their differences over the visits that had others to compare with. */
function leniencyRow(auditorId: string, diff: number, visits: number): Leniency {
  if (visits === 0) return { auditorId, leniency: null, visits, flagged: false };
  const leniency = diff / visits;
  return { auditorId, leniency, visits, flagged: visits >= LENIENCY_MIN_VISITS && Math.abs(leniency) > LENIENCY_LIMIT };
}

/** The rows of every auditor met, sorted by id. */
function leniencyRows(acc: ReadonlyMap<string, { diff: number; visits: number }>): Leniency[] {
  return [...acc].map(([id, a]) => leniencyRow(id, a.diff, a.visits)).sort((a, b) => byText(a.auditorId, b.auditorId));
}

/**
 * Per auditor over one quarter's approved visits of one bank or all banks (branch codes must then be
 * unique across them, e.g. `bankId:code`): the mean of (visit total − mean total of the OTHER
 * auditors' visits to the same branch), over visits where such others exist. The rule as SPEC §12
 * states it, visit by visit; the product reads the same from kept sums (leniencyFromSums).
 */
export function leniencyOf(visits: readonly FieldVisit[]): Leniency[] {
  type Sums = { diff: number; visits: number };
  const acc = new Map<string, Sums>();
  const byBranch = new Map<string, { auditorId: string; total: number; sums: Sums }[]>();
  for (const { auditorId, branchCode, total } of visits) {
    const sums = acc.get(auditorId) ?? { diff: 0, visits: 0 };
    acc.set(auditorId, sums);
    if (total === null) continue;
    const scored = byBranch.get(branchCode) ?? [];
    scored.push({ auditorId, total, sums });
    byBranch.set(branchCode, scored);
  }
  for (const scored of byBranch.values())
    for (const v of scored) {
      const m = mean(scored.filter((o) => o.auditorId !== v.auditorId).map((o) => o.total));
      if (m === null) continue;
      v.sums.diff += v.total - m;
      v.sums.visits += 1;
    }
  return leniencyRows(acc);
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
      // (An auditor without totals here adds 0 − 0: nothing.)
      if (others === 0) continue;
      a.diff += x.sum - (x.n * (sum - x.sum)) / others;
      a.visits += x.n;
    }
  }
  return leniencyRows(acc);
}
