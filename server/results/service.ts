import { Bank, Branch, Staff } from '../banks/model';
import { assertBankVisible, canSeeBranch, requireRole, scopeFilter, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { QuestionnaireVersion } from '../questionnaires/model';
import type { SectionKey, SectionScores } from '../rules/scoring';
import { Visit } from '../visits/model';
import {
  ResultsAccumulator,
  rollUp,
  type Accumulated,
  type BranchScore,
  type ItemInfo,
  type KeyProblem,
  type Spread,
  type StaffScore,
  type ViolationRow,
  type VisitInput,
} from './aggregate';
import { shiftQuarter, trendQuarters } from '../rules/quarters';
import { COUNTED_STATUSES } from '../visits/service';
import { LEVELS, type Level, type ResultsQuery } from './schema';

/**
 * Quarterly results (SPEC.md section 3, per quarter). One streaming pass over the bank's counted
 * visits of the last four quarters feeds the pure accumulator in ./aggregate; everything else is
 * arithmetic on branch means. See docs/results.md for the decisions taken here.
 */
export const RESULTS_ROLES = ['admin', 'bank_manager', 'hr'] as const;

/**
 * `disputed` visits count: they were approved, and stay published until the reviewer resolves the
 * dispute (an overturn then recomputes the visit's stored scores, which the next read picks up).
 */

/** A benchmark (an area wider than the caller's scope) is shown only when at least this many of its
 * visited branches lie outside the scope, so no single hidden branch's score can be subtracted out. */
export const MIN_HIDDEN_BRANCHES = 2;

const TREND_QUARTERS = 4;

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

export interface ScoresWithChange {
  sections: SectionScores;
  total: number | null;
}

export interface ResultRow extends ScoresWithChange {
  key: string;
  name: string;
  n: number;
  branches?: number;
  previous?: ScoresWithChange;
  spread?: Spread;
  /** An area wider than the caller's scope, shown for comparison only. */
  benchmark?: true;
  region?: string;
  branchCode?: string;
}

export interface TrendPoint extends ScoresWithChange {
  quarter: string;
  n: number;
  branches: number;
}

export interface KeyProblemRow extends KeyProblem {
  text: { zh: string; en: string };
}

export interface ViolationView extends ViolationRow {
  text: { zh: string; en: string };
}

export type FocusType = 'bank' | 'region' | 'branches' | 'branch';

export interface ResultsReport {
  bankId: string;
  bankCode: string;
  bankName: string;
  quarter: string;
  previousQuarter: string;
  focus: { type: FocusType; key: string; name: string; region?: string };
  /** The focus itself: mean of its branch scores, with spread and the previous quarter. */
  summary: ResultRow;
  trend: TrendPoint[];
  /** The bank figure; `benchmark` when the caller's scope is narrower; null when withheld. */
  bank: ResultRow | null;
  regions: ResultRow[];
  branches: ResultRow[];
  staff: ResultRow[];
  keyProblems: KeyProblemRow[];
  violations: ViolationView[];
}

export interface ResultsInput {
  bankId: string;
  quarter: string;
  region?: string;
  branchCode?: string;
}

type Predicate = (code: string, region: string) => boolean;

// ---- reading the database ----

/**
 * Another reader of the same visits riding along the results' one pass (the quarter close reads the
 * answers and comments for its reports): on FerretDB every filtered query reads the whole collection,
 * so a second query would double the cost. `fields` widens the projection; `visit` sees every visit.
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
  return Visit.find({ bankId, quarter: { $in: quarters }, status: { $in: COUNTED_STATUSES } }, projectionWith(tap))
    .lean()
    .cursor({ batchSize: 1000 });
}

interface ItemCatalogue {
  lookup: (questionnaireId: string, version: number) => ReadonlyMap<string, ItemInfo> | undefined;
  text: (itemKey: string) => { zh: string; en: string };
}

/** Item types per questionnaire version (failure rates use the version a visit was filled on). */
async function itemCatalogue(bankId: string): Promise<ItemCatalogue> {
  const versions = await QuestionnaireVersion.find({ bankId }, { questionnaireId: 1, version: 1, sections: 1 })
    .sort({ version: 1 })
    .lean();
  const byVersion = new Map<string, Map<string, ItemInfo>>();
  const texts = new Map<string, { zh: string; en: string }>();
  for (const v of versions) {
    const items = new Map<string, ItemInfo>();
    for (const s of v.sections) {
      for (const i of s.items) {
        items.set(i.key, { type: i.type === 'scale' ? 'scale' : 'yes_no', sectionKey: s.key as SectionKey });
        // Later versions win: the wording most recently used.
        texts.set(i.key, { zh: i.text?.zh ?? i.key, en: i.text?.en ?? i.key });
      }
    }
    byVersion.set(`${String(v.questionnaireId)}:${v.version}`, items);
  }
  return {
    lookup: (qid, version) => byVersion.get(`${qid}:${version}`),
    text: (key) => texts.get(key) ?? { zh: key, en: key },
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

/** A huge `$in` list is slower than streaming the bank's records and picking the wanted keys. */
const byKeys = (bankId: string, field: string, keys: ReadonlySet<string>) =>
  keys.size <= 500 ? { bankId, [field]: { $in: [...keys] } } : { bankId };

async function branchNames(bankId: string, codes: ReadonlySet<string>): Promise<Map<string, { name: string }>> {
  const out = new Map<string, { name: string }>();
  if (codes.size === 0) return out;
  for await (const b of Branch.find(byKeys(bankId, 'code', codes), { code: 1, name: 1 })
    .lean()
    .cursor({ batchSize: 1000 })) {
    if (codes.has(b.code)) out.set(b.code, { name: b.name });
  }
  return out;
}

async function staffNames(
  bankId: string,
  ids: ReadonlySet<string>,
): Promise<Map<string, { name: string; branchCode?: string }>> {
  const out = new Map<string, { name: string; branchCode?: string }>();
  if (ids.size === 0) return out;
  for await (const s of Staff.find(byKeys(bankId, 'employeeId', ids), { employeeId: 1, name: 1, branchCode: 1 })
    .lean()
    .cursor({ batchSize: 1000 })) {
    if (ids.has(s.employeeId)) out.set(s.employeeId, { name: s.name, branchCode: s.branchCode });
  }
  return out;
}

// ---- scope ----

interface FocusInfo {
  focus: ResultsReport['focus'];
  /** Branches whose visits feed the figures of the focus (caller's scope ∩ drill-down). */
  inFocus: Predicate;
  /** Branches the caller may see at all. */
  visible: Predicate;
}

async function resolveFocus(
  p: Principal,
  bank: { id: string; code: string; name: string },
  input: ResultsInput,
): Promise<FocusInfo> {
  const visible: Predicate = (code, region) => canSeeBranch(p, { bankId: bank.id, code, region });
  if (input.branchCode) {
    const b = await Branch.findOne({ bankId: bank.id, code: input.branchCode }, { code: 1, name: 1, region: 1 }).lean();
    if (!b || !visible(b.code, b.region) || (input.region && input.region !== b.region))
      throw new NotFoundError('Branch');
    return {
      focus: { type: 'branch', key: b.code, name: b.name, region: b.region },
      inFocus: (code) => code === b.code,
      visible,
    };
  }
  if (input.region) {
    const region = input.region;
    if (!(await Branch.exists({ $and: [{ bankId: bank.id, region }, scopeFilter(p, 'code')] })))
      throw new NotFoundError('Region');
    return {
      focus: { type: 'region', key: region, name: region, region },
      inFocus: (code, r) => r === region && visible(code, r),
      visible,
    };
  }
  const scope = p.role === 'admin' ? undefined : p.scope;
  if (scope?.type === 'region')
    return {
      focus: { type: 'region', key: scope.region, name: scope.region, region: scope.region },
      inFocus: visible,
      visible,
    };
  if (scope?.type === 'branches') {
    const key = scope.branchCodes.join(',');
    return { focus: { type: 'branches', key, name: key }, inFocus: visible, visible };
  }
  return { focus: { type: 'bank', key: bank.code, name: bank.name }, inFocus: visible, visible };
}

// ---- building the report ----

const scoresOf = (s: ScoresWithChange): ScoresWithChange => ({ sections: { ...s.sections }, total: s.total });

/** An area row: full when the caller sees all of it; a benchmark (no spread) or withheld otherwise. */
function areaRow(
  key: string,
  name: string,
  current: BranchScore[],
  previous: BranchScore[],
  visible: Predicate,
): ResultRow | null {
  const hidden = (bs: BranchScore[]) => bs.filter((b) => !visible(b.code, b.region)).length;
  const hiddenNow = hidden(current);
  if (hiddenNow > 0 && hiddenNow < MIN_HIDDEN_BRANCHES) return null;
  const now = rollUp(current);
  const row: ResultRow = { key, name, n: now.n, branches: now.branches, ...scoresOf(now) };
  const hiddenBefore = hidden(previous);
  if (previous.length && !(hiddenBefore > 0 && hiddenBefore < MIN_HIDDEN_BRANCHES))
    row.previous = scoresOf(rollUp(previous));
  if (hiddenNow > 0) row.benchmark = true;
  else if (now.spread) row.spread = now.spread;
  return row;
}

function groupByRegion(bs: BranchScore[]): Map<string, BranchScore[]> {
  const m = new Map<string, BranchScore[]>();
  for (const b of bs) {
    const list = m.get(b.region);
    if (list) list.push(b);
    else m.set(b.region, [b]);
  }
  return m;
}

function summaryRow(focus: ResultsReport['focus'], current: BranchScore[], previous: BranchScore[]): ResultRow {
  const now = rollUp(current);
  return {
    key: focus.key,
    name: focus.name,
    n: now.n,
    branches: now.branches,
    ...scoresOf(now),
    ...(previous.length ? { previous: scoresOf(rollUp(previous)) } : {}),
    ...(now.spread ? { spread: now.spread } : {}),
  };
}

function branchRows(
  current: BranchScore[],
  previous: BranchScore[],
  names: Map<string, { name: string }>,
): ResultRow[] {
  const before = new Map(previous.map((b) => [b.code, b]));
  return current
    .map((b): ResultRow => {
      const prev = before.get(b.code);
      return {
        key: b.code,
        name: names.get(b.code)?.name ?? b.code,
        region: b.region,
        n: b.n,
        ...scoresOf(b),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function staffRows(
  current: StaffScore[],
  previous: StaffScore[],
  names: Map<string, { name: string; branchCode?: string }>,
): ResultRow[] {
  const before = new Map(previous.map((s) => [s.employeeId, s]));
  return current
    .map((s): ResultRow => {
      const prev = before.get(s.employeeId);
      const who = names.get(s.employeeId);
      return {
        key: s.employeeId,
        name: who?.name ?? s.employeeId,
        ...(who?.branchCode ? { branchCode: who.branchCode } : {}),
        n: s.n,
        ...scoresOf(s),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const ALL_LEVELS: ReadonlySet<Level> = new Set(LEVELS);

/**
 * The whole quarter for the caller's scope (narrowed by `region`/`branchCode`). `want` skips the
 * name look-ups of levels the caller does not need.
 */
export async function quarterResults(
  p: Principal,
  input: ResultsInput,
  want: ReadonlySet<Level> = ALL_LEVELS,
  tap?: VisitTap,
): Promise<ResultsReport> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const bankDoc = await Bank.findById(input.bankId, { code: 1, name: 1 }).lean();
  if (!bankDoc) throw new NotFoundError('Bank');
  const bank = { id: String(bankDoc._id), code: bankDoc.code, name: bankDoc.name };
  const { focus, inFocus, visible } = await resolveFocus(p, bank, input);
  const catalogue = await itemCatalogue(bank.id);
  const acc = await accumulateBank(bank.id, input.quarter, inFocus, catalogue.lookup, tap);

  const previousQuarter = shiftQuarter(input.quarter, -1);
  const all = (q: string) => acc.branchesByQuarter.get(q) ?? [];
  const focused = (q: string) => all(q).filter((b) => inFocus(b.code, b.region));
  const current = focused(input.quarter);
  const previous = focused(previousQuarter);

  const regionsNow = groupByRegion(all(input.quarter));
  const regionsBefore = groupByRegion(all(previousQuarter));
  const focusRegions = [...new Set(current.map((b) => b.region))].sort();
  const regions = focusRegions
    .map((r) => areaRow(r, r, regionsNow.get(r) ?? [], regionsBefore.get(r) ?? [], visible))
    .filter((r): r is ResultRow => r !== null);

  const bNames = want.has('branch')
    ? await branchNames(bank.id, new Set(current.map((b) => b.code)))
    : new Map<string, { name: string }>();
  const sNames = want.has('staff')
    ? await staffNames(bank.id, new Set(acc.staff.map((s) => s.employeeId)))
    : new Map<string, { name: string }>();

  return {
    bankId: bank.id,
    bankCode: bank.code,
    bankName: bank.name,
    quarter: input.quarter,
    previousQuarter,
    focus,
    summary: summaryRow(focus, current, previous),
    trend: trendQuarters(input.quarter, TREND_QUARTERS).map((q) => {
      const r = rollUp(focused(q));
      return { quarter: q, n: r.n, branches: r.branches, ...scoresOf(r) };
    }),
    bank: areaRow(bank.code, bank.name, all(input.quarter), all(previousQuarter), visible),
    regions,
    branches: branchRows(current, previous, bNames),
    staff: staffRows(acc.staff, acc.previousStaff, sNames),
    keyProblems: acc.keyProblems.map((k) => ({ ...k, text: catalogue.text(k.itemKey) })),
    violations: acc.violations.map((x) => ({ ...x, text: catalogue.text(x.itemKey) })),
  };
}

export interface ResultsResponse {
  quarter: string;
  level: Level;
  bankId: string;
  focus: ResultsReport['focus'];
  rows: ResultRow[];
  summary: ResultRow;
  trend: TrendPoint[];
  keyProblems: KeyProblemRow[];
  violations: ViolationView[];
}

/** GET /api/v1/results: the rows of one level, plus the scope's key problems and violations. */
export async function getResults(p: Principal, q: ResultsQuery): Promise<ResultsResponse> {
  const r = await quarterResults(p, q, new Set([q.level]));
  const rows =
    q.level === 'bank'
      ? r.bank
        ? [r.bank]
        : []
      : q.level === 'region'
        ? r.regions
        : q.level === 'branch'
          ? r.branches
          : r.staff;
  return {
    quarter: r.quarter,
    level: q.level,
    bankId: r.bankId,
    focus: r.focus,
    rows,
    summary: r.summary,
    trend: r.trend,
    keyProblems: r.keyProblems,
    violations: r.violations,
  };
}

export interface BranchVisitRow {
  id: string;
  visitedAt: Date;
  status: string;
  total: number | null;
  violations: number;
}

/** The counted visits behind one branch's figure (the last step of the drill-down). */
export async function branchVisits(
  p: Principal,
  input: ResultsInput & { branchCode: string },
): Promise<BranchVisitRow[]> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const b = await Branch.findOne({ bankId: input.bankId, code: input.branchCode }, { code: 1, region: 1 }).lean();
  if (!b || !canSeeBranch(p, { bankId: input.bankId, code: b.code, region: b.region }))
    throw new NotFoundError('Branch');
  const visits = await Visit.find(
    { bankId: input.bankId, quarter: input.quarter, branchCode: input.branchCode, status: { $in: COUNTED_STATUSES } },
    { visitedAt: 1, status: 1, 'scores.total': 1, violations: 1 },
  )
    .sort({ visitedAt: 1 })
    .lean();
  return visits.map((v) => ({
    id: String(v._id),
    visitedAt: v.visitedAt,
    status: v.status,
    total: v.scores?.total ?? null,
    violations: v.violations?.length ?? 0,
  }));
}
