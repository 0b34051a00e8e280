import { answerScores, SECTION_KEYS, type ScoringItem, type SectionKey } from '../rules/scoring';

/**
 * What one counted visit adds to the statistics of its bank, quarter and branch (SPEC §3, §15):
 * its section scores and total, each applicable answer (failed or not) for the key problems, its
 * violations, the staff it names and its auditor. Worked out from the visit's stored scores and raw
 * answers, with the item types of the questionnaire version it was filled on. Pure.
 */
export const SCORE_SLOTS = [...SECTION_KEYS, 'total'] as const;
export type ScoreSlot = (typeof SCORE_SLOTS)[number];
export const TOTAL = 4;

/** An item as scoring reads it (type, options, bands, condition), with its section. */
export type ItemInfo = ScoringItem & { sectionKey: SectionKey };

export interface ItemResult {
  key: string;
  section: SectionKey;
  failed: boolean;
}

export interface Contribution {
  /** The visit's revision this contribution was worked out from. */
  rev: number;
  auditorId: string;
  /** Each staff member once, however often the visit names them. */
  staffIds: string[];
  /** Section scores in SECTION_KEYS order, then the total; null where the visit has none. */
  scores: (number | null)[];
  items: ItemResult[];
  violations: { itemKey: string; sectionKey: SectionKey | null }[];
  /** A bank manager's dispute on the visit is open: its figures may still change. */
  disputed: boolean;
  /** When the visit took place (ISO), for the visit lists and the reports' violations. */
  visitedAt: string;
  /** `<questionnaireId>:<version>` it was filled on (the reports list the versions a quarter used). */
  questionnaire: string;
}

export interface CountedVisit {
  rev: number;
  visitedAt: Date;
  questionnaireId: unknown;
  questionnaireVersion: number;
  auditorId: unknown;
  status: string;
  staffIds?: readonly string[] | null;
  answers?: readonly { itemKey: string; value: unknown }[] | null;
  scores?: { sections?: Partial<Record<SectionKey, number | null>> | null; total?: number | null } | null;
  violations?: readonly { itemKey?: string | null; sectionKey?: string | null }[] | null;
}

/** Number.isFinite never coerces: false for text, null, NaN and ±Infinity. */
const finiteOrNull = (v: unknown): number | null => (Number.isFinite(v) ? (v as number) : null);

/**
 * One result per item and outcome, shared by every contribution that has it: a quarter's 100,000
 * visits of ~30 applicable answers each would otherwise hold 3 million equal small objects, all at
 * once while a rebuild reads them (and the garbage collector copies and traces each). Frozen, as
 * they are shared; their JSON is the same. Keyed by the version's item (versions never change).
 */
const itemResults = new WeakMap<ItemInfo, readonly [ItemResult, ItemResult]>();

function resultOf(item: ItemInfo, failed: boolean): ItemResult {
  let both = itemResults.get(item);
  if (!both) {
    const make = (f: boolean): ItemResult => Object.freeze({ key: item.key, section: item.sectionKey, failed: f });
    both = [make(false), make(true)];
    itemResults.set(item, both);
  }
  return both[failed ? 1 : 0];
}

/** `items`: the version's items by key, in questionnaire order; undefined when the version is unknown (no answers then count). */
export function contributionOf(v: CountedVisit, items: ReadonlyMap<string, ItemInfo> | undefined): Contribution {
  const scores = [...SECTION_KEYS.map((k) => finiteOrNull(v.scores?.sections?.[k])), finiteOrNull(v.scores?.total)];
  // Applicable answers only: `na`, unscored ones and those to items hidden by their condition are left out.
  const results: ItemResult[] = items
    ? // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of an answer names no item and is skipped
      answerScores(items, v.answers ?? []).map(({ item, score }) => resultOf(item, score === 0))
    : [];
  return {
    rev: v.rev,
    auditorId: String(v.auditorId),
    staffIds: [...new Set(v.staffIds ?? [])],
    scores,
    items: results,
    // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of a violation has no itemKey and is skipped
    violations: (v.violations ?? [])
      .filter((x): x is { itemKey: string; sectionKey?: string | null } => Boolean(x.itemKey))
      .map((x) => ({ itemKey: x.itemKey, sectionKey: (x.sectionKey as SectionKey | null | undefined) ?? null })),
    disputed: v.status === 'disputed',
    visitedAt: v.visitedAt.toISOString(),
    questionnaire: `${String(v.questionnaireId)}:${v.questionnaireVersion}`,
  };
}
