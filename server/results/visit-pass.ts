import { shiftQuarter, trendQuarters } from '../rules/quarters';
import { failureInWords } from '../rules/answer-words';
import { bankVersionItems } from '../questionnaires/service';
import { countedVisitsOf } from '../visits/service';
import { getBank, branchNamesIn, staffNamesIn } from '../banks/service';
import { assertBankVisible, requireRole, type Principal } from '../platform/access';
import { ResultsAccumulator, type Accumulated, type ItemInfo, type VisitInput } from './aggregate';
import { branchRows, groupByRegion, staffRows, summaryRow, trendPoint } from './rows';
import { LEVELS, type Level } from './schema';
import { areaRow, resolveFocus } from './scope';
import { RESULTS_ROLES, type Predicate, type ResultRow, type ResultsInput, type ResultsReport } from './types';

/**
 * The results' one streaming pass over a bank's counted visits of the trend quarters: each visit
 * goes through the pure accumulator in ./aggregate and is then forgotten.
 */
export const TREND_QUARTERS = 4;

/** Only what the accumulator reads (answer comments, history, attachments stay in the database). */
const VISIT_PROJECTION = {
  branchCode: 1,
  region: 1,
  quarter: 1,
  staffIds: 1,
  questionnaireId: 1,
  questionnaireVersion: 1,
  scores: 1,
  violations: 1,
  status: 1,
  'answers.itemKey': 1,
  'answers.value': 1,
} as const;

/**
 * Another reader of the same visits riding along the results' one pass (the quarter close reads the
 * answers and comments for its reports): reading the bank's visits once rather than twice halves the
 * cost of a close. `fields` widens the projection; `visit` sees every visit.
 */
export interface VisitTap {
  fields: Readonly<Record<string, 1>>;
  visit(v: unknown): void | Promise<void>;
}

/** The projection plus a tap's fields; a field the tap takes whole replaces its sub-fields (no path collision). */
function projectionWith(tap?: VisitTap): Record<string, 1> {
  if (!tap) return VISIT_PROJECTION;
  const kept = Object.entries(VISIT_PROJECTION).filter(([k]) => !(k.split('.')[0] in tap.fields));
  return { ...Object.fromEntries(kept), ...tap.fields };
}

/** The one query both the results and the benchmark's floor run: counted visits of a bank in some quarters. */
export function countedVisitsCursor(bankId: string, quarters: readonly string[], tap?: VisitTap) {
  return countedVisitsOf(bankId, quarters, projectionWith(tap));
}

export interface ItemCatalogue {
  lookup: (questionnaireId: string, version: number) => ReadonlyMap<string, ItemInfo> | undefined;
  text: (itemKey: string) => { zh: string; en: string };
  failure: (itemKey: string) => { zh: string; en: string };
  /** Which questionnaire versions the words come from (versions never change once published). */
  signature: string;
}

/** Item types per questionnaire version (failure rates use the version a visit was filled on). */
export async function itemCatalogue(bankId: string): Promise<ItemCatalogue> {
  const byVersion = new Map<string, Map<string, ItemInfo>>();
  const texts = new Map<string, { zh: string; en: string }>();
  const failures = new Map<string, { zh: string; en: string }>();
  for (const v of await bankVersionItems(bankId)) {
    const items = new Map<string, ItemInfo>();
    for (const s of v.sections) {
      for (const i of s.items) {
        items.set(i.key, { ...i, sectionKey: s.key });
        // Later versions win: the wording most recently used.
        texts.set(i.key, i.text);
        failures.set(i.key, { zh: failureInWords(i, 'zh'), en: failureInWords(i, 'en') });
      }
    }
    byVersion.set(`${v.questionnaireId}:${v.version}`, items);
  }
  return {
    lookup: (qid, version) => byVersion.get(`${qid}:${version}`),
    text: (key) => texts.get(key) ?? { zh: key, en: key },
    failure: (key) => failures.get(key) ?? texts.get(key) ?? { zh: key, en: key },
    signature: JSON.stringify([...byVersion.keys()]),
  };
}

type LeanVisit = {
  _id: unknown;
  branchCode: string;
  region: string;
  quarter: string;
  staffIds?: string[] | null;
  questionnaireId: unknown;
  questionnaireVersion: number;
  answers?: { itemKey: string; value: unknown }[] | null;
  scores?: VisitInput['scores'];
  violations?: VisitInput['violations'];
  status?: string;
};

function toInput(v: LeanVisit): VisitInput {
  return {
    id: String(v._id),
    branchCode: v.branchCode,
    region: v.region,
    quarter: v.quarter,
    staffIds: v.staffIds,
    questionnaireId: String(v.questionnaireId),
    questionnaireVersion: v.questionnaireVersion,
    answers: v.answers,
    scores: v.scores,
    violations: v.violations,
    status: v.status,
  };
}

/** Streams the bank's counted visits of the trend quarters through the accumulator, one at a time. */
export async function accumulateBank(
  bankId: string,
  quarter: string,
  inFocus: Predicate,
  items: ItemCatalogue['lookup'],
  tap?: VisitTap,
): Promise<Accumulated> {
  const acc = new ResultsAccumulator({ quarter, previousQuarter: shiftQuarter(quarter, -1), inFocus, items });
  for await (const v of countedVisitsCursor(bankId, trendQuarters(quarter, TREND_QUARTERS), tap)) {
    acc.add(toInput(v as unknown as LeanVisit));
    if (tap) await tap.visit(v);
  }
  return acc.finish();
}

/**
 * The reference path: a quarter's results computed by streaming the bank's counted visits of the
 * four trend quarters (what every reader did before the kept statistics). Nothing serves requests
 * from it; the benchmark times it beside the statistics and tests compare the two.
 */
export async function resultsFromVisits(
  p: Principal,
  input: ResultsInput,
  want: ReadonlySet<Level> = new Set(LEVELS),
): Promise<ResultsReport> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const bank = await getBank(p, input.bankId);
  const { focus, inFocus, visible } = await resolveFocus(p, bank, input);
  const catalogue = await itemCatalogue(bank.id);
  const acc = await accumulateBank(bank.id, input.quarter, inFocus, catalogue.lookup);

  const previousQuarter = shiftQuarter(input.quarter, -1);
  const all = (q: string) => acc.branchesByQuarter.get(q) ?? [];
  const focused = (q: string) => all(q).filter((b) => inFocus(b.code, b.region));
  const current = focused(input.quarter);
  const regionsNow = groupByRegion(all(input.quarter));
  const regionsBefore = groupByRegion(all(previousQuarter));
  const regions = [...new Set(current.map((b) => b.region))]
    .sort()
    .map((r) => areaRow(r, r, regionsNow.get(r) ?? [], regionsBefore.get(r) ?? [], visible))
    .filter((r): r is ResultRow => r !== null);
  const bNames = want.has('branch')
    ? await branchNamesIn(bank.id, new Set(current.map((b) => b.code)))
    : new Map<string, string>();
  const sNames = want.has('staff')
    ? await staffNamesIn(bank.id, new Set(acc.staff.map((s) => s.employeeId)))
    : new Map<string, { name: string }>();
  const bankRow = areaRow(bank.code, bank.name, all(input.quarter), all(previousQuarter), visible);
  return {
    bankId: bank.id,
    bankCode: bank.code,
    bankName: bank.name,
    quarter: input.quarter,
    previousQuarter,
    focus,
    summary: summaryRow(focus, current, focused(previousQuarter)),
    trend: trendQuarters(input.quarter, TREND_QUARTERS).map((q) => trendPoint(q, focus, focused(q))),
    bank: bankRow,
    regions,
    branches: branchRows(current, focused(previousQuarter), bNames, bankRow?.total ?? null),
    staff: staffRows(acc.staff, acc.previousStaff, sNames),
    keyProblems: acc.keyProblems.map((k) => ({ ...k, text: catalogue.text(k.itemKey) })),
    violations: acc.violations.map((x) => ({
      ...x,
      text: catalogue.text(x.itemKey),
      failure: catalogue.failure(x.itemKey),
    })),
  };
}
