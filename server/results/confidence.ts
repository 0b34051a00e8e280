import { changeOf, confidenceOf, isBelow, momentsOfValues, type SampleMoments } from '../rules/confidence';
import { SECTION_KEYS } from '../rules/scoring';
import type { Scores } from './aggregate';
import type { ConfidenceFields, ResultRow, ScoreConfidence } from './types';

/**
 * SPEC §11 on the rows of the results: every mean gets its n, sd, 95 % interval and small-sample
 * flag, and its change against the previous quarter Welch's p. What is averaged decides n: visit
 * scores for a branch or a staff member (moments kept per branch and person), branch scores for a
 * region, the bank or a set of branches. Pure.
 */

/** Moments per slot: the four sections in SECTION_KEYS order, then the total. */
export type SlotMoments = readonly SampleMoments[];

const SLOTS = SECTION_KEYS.length + 1;
const TOTAL = SECTION_KEYS.length;

/** Moments of the branch scores of an area (each branch one value; a null is left out of its slot). */
export function momentsOfMeans(scores: readonly Scores[]): SampleMoments[] {
  return [
    ...SECTION_KEYS.map((k) => momentsOfValues(scores.map((s) => s.sections[k]))),
    momentsOfValues(scores.map((s) => s.total)),
  ];
}

const none = (): SampleMoments[] => Array.from({ length: SLOTS }, () => ({ n: 0, sum: 0, sumSq: 0 }));

function scoreConfidence(now: SampleMoments, before: SampleMoments | null, withheld: boolean): ScoreConfidence {
  const c = confidenceOf(now);
  const out: ScoreConfidence = {
    n: c.n,
    sd: withheld ? null : c.sd,
    ci95: withheld ? null : c.ci95,
    smallSample: c.smallSample,
  };
  const change = before ? changeOf(now, before) : null;
  if (change) out.change = withheld ? { delta: change.delta, p: null, significant: null } : change;
  return out;
}

export interface ConfidenceInput {
  now: SlotMoments | undefined;
  /** The previous quarter's moments when the row shows a previous quarter. */
  before?: SlotMoments | null;
  /**
   * A benchmark (an area wider than the caller's scope): no sd, interval or p. With the caller's own
   * branches known, the bank's n, mean and sd give the sum and the sum of squares of the hidden
   * branches' scores — two hidden branches could be solved for. The spread is withheld for the same reason.
   */
  withheld?: boolean;
  /** For branch rows: the bank's score the interval is compared with (null: not known to the caller). */
  bankTotal?: number | null;
}

/** The §11 fields a row carries beside its means. */
export function confidenceFields(input: ConfidenceInput): ConfidenceFields {
  const now = input.now ?? none();
  const before = input.before ?? null;
  const withheld = input.withheld === true;
  const at = (i: number) => scoreConfidence(now[i], before ? before[i] : null, withheld);
  const total = at(TOTAL);
  const out: ConfidenceFields = {
    sd: total.sd,
    ci95: total.ci95,
    smallSample: total.smallSample,
    confidence: {
      sections: Object.fromEntries(
        SECTION_KEYS.map((k, i) => [k, at(i)]),
      ) as ConfidenceFields['confidence']['sections'],
      total,
    },
  };
  if (total.change) out.change = total.change;
  // false also when it cannot be shown (n < 2, or no bank score the caller may see).
  if (input.bankTotal !== undefined) out.belowBank = isBelow(total, input.bankTotal);
  return out;
}

/** A row with its §11 fields; the previous quarter's moments count only when the row shows it. */
export function withConfidence<R extends ResultRow>(row: R, input: ConfidenceInput): R {
  return { ...row, ...confidenceFields({ ...input, before: row.previous ? input.before : null }) };
}
