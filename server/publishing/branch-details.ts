import type {
  AnswerDetail,
  AnswerValue,
  BranchDetail,
  BranchFigures,
  RegionFigures,
  ReportSnapshot,
  Scores,
  SectionKey,
  VisitDetail,
} from '../../reports/types';
import { ResultsAccumulator } from '../results/aggregate';
import { MIN_HIDDEN_BRANCHES } from '../results/service';
import { shiftQuarter } from '../rules/quarters';
import { answerInBoth, failureWithAnswer } from '../rules/answer-words';
import { answerScores } from '../rules/scoring';
import { countedVisitsOfQuarter } from '../visits/service';
import type { Catalogue, CatalogueItem } from './catalogue';
import { withBranchFeedback } from './feedback';
import { VISIT_FIELDS, visitInput, type ReportVisit } from './report-visit';
import { VisitSpill } from './spill';

/**
 * The branch reports' details (every visit with its answers and comments, the branch's violations
 * and key problems), built a spill file of branches at a time so that memory stays bounded however
 * many visits the quarter has.
 */
const SECTION_ORDER: SectionKey[] = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'];
type ReportAnswer = ReportVisit['answers'][number];

type Text = { zh: string; en: string };
interface Wording {
  words: Readonly<Text>;
  failure?: Readonly<Text>;
}

/**
 * An answer's words depend only on its item and its value, and a quarter's 100,000 visits repeat a
 * few hundred such pairs: each is worded once per catalogue (the catalogue's item objects are the
 * keys), not once per answer — in a large close the wording was a fifth of what this thread
 * allocated. The texts are shared between answers, so they are frozen.
 */
const wordings = new WeakMap<CatalogueItem, Map<string, Wording>>();

/**
 * A key for the values worth remembering (numbers, option keys, lists of them); `null` for others —
 * a free-text answer is its own words, and remembering every distinct one would hold them all.
 */
function valueKey(item: CatalogueItem, value: unknown): string | null {
  if (item.type === 'text') return null;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'string' || typeof value === 'number') return `${typeof value}:${value}`;
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return `list:${JSON.stringify(value)}`;
  return null;
}

function wordingOf(item: CatalogueItem, value: AnswerValue): Wording {
  const key = valueKey(item, value);
  if (key === null) return { words: answerInBoth(item, value) };
  let byValue = wordings.get(item);
  if (!byValue) wordings.set(item, (byValue = new Map()));
  let w = byValue.get(key);
  if (!w) byValue.set(key, (w = { words: Object.freeze(answerInBoth(item, value)) }));
  return w;
}

function failureOf(item: CatalogueItem, value: AnswerValue, w: Wording): Readonly<Text> {
  w.failure ??= Object.freeze({ zh: failureWithAnswer(item, value, 'zh'), en: failureWithAnswer(item, value, 'en') });
  return w.failure;
}

/** An answer as the branch report shows it: in words, scored by the rules, a failure worded as one. */
export function answerDetail(
  a: ReportAnswer,
  item: CatalogueItem | undefined,
  score: number | undefined,
): AnswerDetail {
  const value = a.value as AnswerValue;
  const w = item ? wordingOf(item, value) : { words: answerInBoth(item, value) };
  return {
    itemKey: a.itemKey,
    sectionKey: item?.sectionKey ?? 'greeting',
    text: item?.text ?? { zh: a.itemKey, en: a.itemKey },
    critical: item?.critical ?? false,
    value,
    words: w.words,
    ...(item && score === 0 ? { failure: failureOf(item, value, w) } : {}),
    score: score === undefined ? null : 100 * score,
    comment: a.comment ?? null,
  };
}

/** Each version's items in questionnaire order, as positions (asked once per version, not per visit). */
const orders = new WeakMap<ReadonlyMap<string, unknown>, ReadonlyMap<string, number>>();
function orderOf(items: ReadonlyMap<string, unknown>): ReadonlyMap<string, number> {
  let order = orders.get(items);
  if (!order) orders.set(items, (order = new Map([...items.keys()].map((k, i) => [k, i]))));
  return order;
}

function visitDetail(v: ReportVisit, catalogue: Catalogue): VisitDetail {
  const qid = String(v.questionnaireId);
  const items = catalogue.lookup(qid, v.questionnaireVersion) ?? new Map();
  // Scores by the rules (conditions included): `na`, text and hidden items have none.
  const scores = new Map(answerScores(items, v.answers ?? []).map(({ item, score }) => [item.key, score]));
  const order = orderOf(items);
  const at = (a: AnswerDetail) => SECTION_ORDER.indexOf(a.sectionKey) * 1e6 + (order.get(a.itemKey) ?? 0);
  const answers = (v.answers ?? [])
    .map((a) => answerDetail(a, catalogue.item(qid, v.questionnaireVersion, a.itemKey), scores.get(a.itemKey)))
    .sort((a, b) => at(a) - at(b));
  const sections = v.scores?.sections ?? {};
  return {
    id: String(v._id),
    visitedAt: v.visitedAt.toISOString(),
    durationMinutes: v.durationMinutes,
    questionnaireName: catalogue.name(qid),
    questionnaireVersion: v.questionnaireVersion,
    scores: {
      sections: Object.fromEntries(SECTION_ORDER.map((k) => [k, sections[k] ?? null])) as Scores['sections'],
      total: v.scores?.total ?? null,
    },
    staff: (v.staff ?? []).map((s) => s.name || s.employeeId || s.description || '').filter(Boolean),
    summary: v.summary ?? null,
    answers,
    violations: (v.violations ?? []).map((x) => x.itemKey).filter((k): k is string => Boolean(k)),
  };
}

/**
 * A benchmark is shown to a branch's readers only when the area's other visited branches are none
 * or at least MIN_HIDDEN_BRANCHES (the results service's rule), so no single branch can be subtracted out.
 */
export function benchmark(figures: Scores & { branches: number }, own: number): Scores | null {
  const hidden = figures.branches - own;
  return hidden > 0 && hidden < MIN_HIDDEN_BRANCHES
    ? null
    : { sections: { ...figures.sections }, total: figures.total };
}

/** A branch's answers, comments, violations and key problems (key problems by the results accumulator). */
function detailOf(
  s: ReportSnapshot,
  branch: BranchFigures,
  visits: ReportVisit[],
  catalogue: Catalogue,
  regions: Map<string, RegionFigures>,
): BranchDetail {
  const list = [...visits].sort((a, b) => a.visitedAt.getTime() - b.visitedAt.getTime());
  const acc = new ResultsAccumulator({
    quarter: s.quarter,
    previousQuarter: shiftQuarter(s.quarter, -1),
    inFocus: () => true,
    items: catalogue.lookup,
  });
  for (const v of list) acc.add(visitInput(v));
  const found = acc.finish();
  const regionFigures = regions.get(branch.region);
  return {
    code: branch.code,
    benchmarks: { region: regionFigures ? benchmark(regionFigures, 1) : null, bank: benchmark(s.bankFigures, 1) },
    visits: list.map((v) => visitDetail(v, catalogue)),
    keyProblems: found.keyProblems.map((k) => ({ ...k, text: catalogue.text(k.itemKey) })),
    violations: found.violations.map((x) => ({
      visitId: x.visitId,
      branchCode: branch.code,
      branchName: branch.name,
      region: x.region,
      itemKey: x.itemKey,
      sectionKey: (x.sectionKey as SectionKey | null) ?? null,
      text: catalogue.text(x.itemKey),
      failure: catalogue.failure(x.itemKey),
      visitedAt: list.find((v) => String(v._id) === x.visitId)?.visitedAt.toISOString() ?? null,
    })),
  };
}

/**
 * Hands each branch of the snapshot to `each` with its details, one spill file at a time (see
 * VisitSpill). `visits` is the spill the snapshot pass wrote in this run; without it (a close
 * resumed by another run) the quarter's visits are read and spilled here, in one unsorted pass.
 * Only the visits the snapshot counted are listed; branches in `skip` (already rendered) are passed over.
 */
export async function forEachBranchDetail(
  s: ReportSnapshot,
  catalogue: Catalogue,
  skip: ReadonlySet<string>,
  each: (d: BranchDetail) => Promise<void>,
  visits?: VisitSpill<ReportVisit>,
): Promise<void> {
  const todo = s.branches.filter((b) => !skip.has(b.code));
  if (todo.length === 0) return;
  const regions = new Map(s.regions.map((g) => [g.key, g]));
  const spill = visits ?? (await spillQuarter(s, todo));
  try {
    const inBucket: BranchFigures[][] = Array.from({ length: spill.buckets }, () => []);
    for (const b of todo) inBucket[spill.bucketOf(b.code)].push(b);
    for (let i = 0; i < spill.buckets; i++) {
      const byBranch = await spill.read(i);
      // Every branch of this file, visited or not (a branch whose visits are no longer counted still gets its report).
      for (const b of inBucket[i])
        await each(withBranchFeedback(s, detailOf(s, b, byBranch.get(b.code) ?? [], catalogue, regions)));
    }
  } finally {
    await spill.dispose();
  }
}

async function spillQuarter(s: ReportSnapshot, todo: BranchFigures[]): Promise<VisitSpill<ReportVisit>> {
  const wanted = new Set(todo.map((b) => b.code));
  const counted = new Map(todo.filter((b) => b.visitIds).map((b) => [b.code, new Set(b.visitIds)]));
  const spill = await VisitSpill.create<ReportVisit>(s.branches.length);
  try {
    for await (const v of countedVisitsOfQuarter(s.bank.id, s.quarter, VISIT_FIELDS)) {
      if (!wanted.has(v.branchCode)) continue; // not in the snapshot, or already rendered
      if (counted.get(v.branchCode)?.has(String(v._id)) === false) continue; // approved after the snapshot
      await spill.write(v);
    }
    await spill.finish();
    return spill;
  } catch (e) {
    await spill.dispose();
    throw e;
  }
}
