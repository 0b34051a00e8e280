import type {
  Answer,
  AnswerValue,
  ItemType,
  ScoringItem,
  ScoringSection,
  SectionKey,
} from '../../server/rules/scoring';

/**
 * The small builders the pure scoring tests write their questionnaires and answers with
 * (test/scoring*.test.ts). Pure, no I/O: the mutation run loads it with those tests
 * (jest.pure.config.js lists it among the files they may import).
 */

/** An item of weight 1, required, not critical, without "not applicable" unless `extra` says so. */
export const mk = (key: string, type: ItemType, extra: Partial<ScoringItem> = {}): ScoringItem => ({
  key,
  type,
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  ...extra,
});

/** A section with SPEC §3's default weight of 25. */
export const sec = (key: SectionKey, items: ScoringItem[], weight = 25): ScoringSection => ({ key, weight, items });

/** Answers from `{ itemKey: value }`, in the order written. */
export const ans = (pairs: Record<string, AnswerValue>): Answer[] =>
  Object.entries(pairs).map(([itemKey, value]) => ({ itemKey, value }));

/** A questionnaire whose items are all greeting items; the other three sections are empty. */
export const onlyGreeting = (items: ScoringItem[]): ScoringSection[] => [
  sec('greeting', items),
  sec('product_knowledge', []),
  sec('sales_compliance', []),
  sec('follow_up', []),
];
