import { Types } from 'mongoose';
import type {
  AnswerDetail,
  AreaFigures,
  BranchDetail,
  BranchFigures,
  KeyProblem,
  QuestionnaireNote,
  RegionFigures,
  ReportSnapshot,
  Scores,
  SectionKey,
  TrendPoint,
  Violation,
  VisitDetail,
} from '../../reports/types';
import { Bank, Branch } from '../banks/model';
import type { Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { Questionnaire, QuestionnaireVersion } from '../questionnaires/model';
import { ResultsAccumulator, rollUp, type ItemInfo, type ItemLookup } from '../results/aggregate';
import { shiftQuarter, trendQuarters } from '../rules/quarters';
import {
  MIN_HIDDEN_BRANCHES,
  quarterResults,
  type ResultRow,
  type ResultsReport,
  type VisitTap,
} from '../results/service';
import { COUNTED_STATUSES } from '../visits/service';
import { itemScore, type AnswerValue } from '../rules/scoring';
import { Visit } from '../visits/model';
import { FeedbackCollector, withBranchFeedback } from './feedback';
import { VisitSpill } from './spill';

/**
 * The one adapter between the results service and the PDF builders. Every score comes from
 * `quarterResults`, so a report shows exactly what the dashboards showed at closing time. Only the
 * branch details (answers and comments) are read here, one batch of branches at a time.
 */
const SYSTEM_ADMIN: Principal = {
  id: '000000000000000000000000',
  email: 'reports@system',
  name: 'quarter close',
  role: 'admin',
};

const scoresOf = (r: { sections: Scores['sections']; total: number | null } | null | undefined): Scores | null =>
  r ? { sections: { ...r.sections }, total: r.total } : null;

function area(r: ResultsReport, row: ResultRow, branchesTotal: number): AreaFigures {
  return {
    key: row.key,
    name: row.name,
    n: row.n,
    branches: row.branches ?? r.branches.length,
    branchesTotal,
    sections: { ...row.sections },
    total: row.total,
    previous: scoresOf(row.previous),
    spread: row.spread ?? null,
    trend: r.trend.map((p) => ({
      quarter: p.quarter,
      n: p.n,
      branches: p.branches,
      sections: { ...p.sections },
      total: p.total,
    })),
    branchTotals: r.branches.map((b) => b.total).filter((t): t is number => typeof t === 'number'),
  };
}

// ---- the questionnaire catalogue: item texts and types per version ----

interface CatalogueItem extends ItemInfo {
  text: { zh: string; en: string };
  critical: boolean;
}

export interface Catalogue {
  lookup: ItemLookup;
  item: (questionnaireId: string, version: number, itemKey: string) => CatalogueItem | undefined;
  /** Latest wording of an item key across versions (violations and key problems). */
  text: (itemKey: string) => { zh: string; en: string };
  name: (questionnaireId: string) => string;
  notes: (used: ReadonlySet<string>) => QuestionnaireNote[];
}

export async function loadCatalogue(bankId: string): Promise<Catalogue> {
  const versions = await QuestionnaireVersion.find({ bankId }, { questionnaireId: 1, version: 1, name: 1, sections: 1 })
    .sort({ version: 1 })
    .lean();
  const names = new Map((await Questionnaire.find({ bankId }, { name: 1 }).lean()).map((q) => [String(q._id), q.name]));
  const byVersion = new Map<string, Map<string, CatalogueItem>>();
  const texts = new Map<string, { zh: string; en: string }>();
  const weights = new Map<string, QuestionnaireNote>();
  for (const v of versions) {
    const key = `${String(v.questionnaireId)}:${v.version}`;
    const items = new Map<string, CatalogueItem>();
    for (const s of v.sections) {
      for (const i of s.items) {
        const text = { zh: i.text?.zh ?? i.key, en: i.text?.en ?? i.key };
        items.set(i.key, {
          type: i.type === 'scale' ? 'scale' : 'yes_no',
          sectionKey: s.key as SectionKey,
          text,
          critical: Boolean(i.critical),
        });
        texts.set(i.key, text);
      }
    }
    byVersion.set(key, items);
    weights.set(key, {
      name: v.name,
      version: v.version,
      sectionWeights: v.sections.map((s) => ({ key: s.key as SectionKey, weight: s.weight })),
    });
  }
  return {
    lookup: (qid, version) => byVersion.get(`${qid}:${version}`),
    item: (qid, version, itemKey) => byVersion.get(`${qid}:${version}`)?.get(itemKey),
    text: (k) => texts.get(k) ?? { zh: k, en: k },
    name: (qid) => names.get(qid) ?? '–',
    notes: (used) => [...used].map((k) => weights.get(k)).filter((n): n is QuestionnaireNote => Boolean(n)),
  };
}

// ---- the bank snapshot ----

async function branchesPerRegion(bankId: string): Promise<Map<string, number>> {
  const rows = await Branch.aggregate<{ _id: string; n: number }>([
    { $match: { bankId: new Types.ObjectId(bankId) } },
    { $group: { _id: '$region', n: { $sum: 1 } } },
  ]);
  return new Map(rows.map((r) => [r._id, r.n]));
}

type ViolationIn = ResultsReport['violations'][number];

function violationOf(v: ViolationIn, names: Map<string, string>, times: Map<string, string>): Violation {
  return {
    visitId: v.visitId,
    branchCode: v.branchCode,
    branchName: names.get(v.branchCode) ?? v.branchCode,
    region: v.region,
    itemKey: v.itemKey,
    sectionKey: (v.sectionKey as SectionKey | null) ?? null,
    text: v.text,
    visitedAt: times.get(v.visitId) ?? null,
  };
}

const problemOf = (k: ResultsReport['keyProblems'][number]): KeyProblem => ({
  itemKey: k.itemKey,
  sectionKey: k.sectionKey,
  text: k.text,
  failureRate: k.failureRate,
  failed: k.failed,
  applicable: k.applicable,
});

export interface SnapshotMeta {
  version: number;
  generatedAt: Date;
}

interface QuarterPass {
  regionProblems: Map<string, KeyProblem[]>;
  regionTrend: Map<string, TrendPoint[]>;
  /** The counted visits of each branch in the quarter: the branch reports list exactly these. */
  visitIds: Map<string, string[]>;
  visitedAt: Map<string, string>;
  questionnaires: Set<string>;
}

/**
 * What the reports need of the bank's counted visits besides the results service's figures, taken
 * from the results service's own pass over them (a VisitTap: on FerretDB every filtered query reads
 * the whole collection, so the snapshot reads the visits exactly once): per region the results
 * service's accumulator (region key problems, and region trends as the rollUp of its branch scores
 * per quarter); the quarter's visit ids and times; and, with a spill, the quarter's visits for the
 * branch reports.
 */
function quarterTap(
  quarter: string,
  quarters: string[],
  catalogue: Catalogue,
  spill: VisitSpill<LeanVisit> | undefined,
  onVisit?: (v: LeanVisit) => void,
): { tap: VisitTap; finish(): QuarterPass } {
  const accs = new Map<string, ResultsAccumulator>();
  const out: QuarterPass = {
    regionProblems: new Map(),
    regionTrend: new Map(),
    visitIds: new Map(),
    visitedAt: new Map(),
    questionnaires: new Set(),
  };
  const visit = async (raw: unknown) => {
    const v = raw as LeanVisit;
    let acc = accs.get(v.region);
    if (!acc)
      accs.set(
        v.region,
        (acc = new ResultsAccumulator({
          quarter,
          previousQuarter: shiftQuarter(quarter, -1),
          inFocus: () => true,
          items: catalogue.lookup,
        })),
      );
    acc.add(visitInput(v));
    onVisit?.(v);
    if (v.quarter !== quarter) return;
    await spill?.write(v);
    const id = String(v._id);
    const ids = out.visitIds.get(v.branchCode);
    if (ids) ids.push(id);
    else out.visitIds.set(v.branchCode, [id]);
    if (v.violations?.length) out.visitedAt.set(id, v.visitedAt.toISOString());
    out.questionnaires.add(`${String(v.questionnaireId)}:${v.questionnaireVersion}`);
  };
  const finish = () => {
    for (const [region, acc] of accs) {
      const f = acc.finish();
      out.regionProblems.set(
        region,
        f.keyProblems.map((k) => ({ ...k, text: catalogue.text(k.itemKey) })),
      );
      out.regionTrend.set(
        region,
        quarters.map((q) => {
          const r = rollUp(f.branchesByQuarter.get(q) ?? []);
          return { quarter: q, n: r.n, branches: r.branches, sections: { ...r.sections }, total: r.total };
        }),
      );
    }
    return out;
  };
  return { tap: { fields: VISIT_FIELDS, visit }, finish };
}

/**
 * The numbers of a bank's quarter, as the report of `meta.version` will show them: bank, region and
 * branch figures from `quarterResults`; region trends and key problems from quarterTap, on the same
 * single read of the visits. With `withVisits`, that read also spills the quarter's visits for the
 * branch reports (saving the render step its own read of the whole collection); the caller disposes
 * of the spill.
 */
export async function buildSnapshot(
  bankId: string,
  quarter: string,
  meta: SnapshotMeta = { version: 1, generatedAt: new Date() },
  withVisits = false,
): Promise<{ snapshot: ReportSnapshot; visits?: VisitSpill<LeanVisit> }> {
  const bank = await Bank.findById(bankId).lean();
  if (!bank) throw new NotFoundError('Bank');
  const quarters = trendQuarters(quarter);
  const perRegion = await branchesPerRegion(bankId);
  const catalogue = await loadCatalogue(bankId);
  const feedback = await FeedbackCollector.load(bankId, quarter, bank.timezone, catalogue);
  const visits = withVisits
    ? await VisitSpill.create<LeanVisit>([...perRegion.values()].reduce((sum, n) => sum + n, 0))
    : undefined;
  let all: ResultsReport;
  let pass: QuarterPass;
  try {
    const reader = quarterTap(quarter, quarters, catalogue, visits, (v) => feedback.visit(v));
    all = await quarterResults(
      SYSTEM_ADMIN,
      { bankId, quarter },
      new Set(['bank', 'region', 'branch'] as const),
      reader.tap,
    );
    if (all.trend.map((p) => p.quarter).join() !== quarters.join())
      throw new Error('the results service and the snapshot disagree on the trend quarters');
    pass = reader.finish();
  } catch (e) {
    await visits?.dispose();
    throw e;
  }
  const names = new Map(all.branches.map((b) => [b.key, b.name]));
  const violations = all.violations.map((v) => violationOf(v, names, pass.visitedAt));
  const bankRow = { ...all.summary, key: bank.code, name: bank.name };
  const bankBranches = bankRow.branches ?? all.branches.length;

  const regions: RegionFigures[] = all.regions.map((row) => {
    const mine = all.branches.filter((b) => b.region === row.key);
    return {
      key: row.key,
      name: row.name,
      n: row.n,
      branches: row.branches ?? mine.length,
      branchesTotal: perRegion.get(row.key) ?? mine.length,
      sections: { ...row.sections },
      total: row.total,
      previous: scoresOf(row.previous),
      spread: row.spread ?? null,
      trend: pass.regionTrend.get(row.key) ?? [],
      branchTotals: mine.map((b) => b.total).filter((t): t is number => typeof t === 'number'),
      keyProblems: pass.regionProblems.get(row.key) ?? [],
      violations: violations.filter((v) => v.region === row.key),
      // What the region's readers may see of the bank: withheld like on their dashboard.
      bankBenchmark: benchmark({ ...bankRow, branches: bankBranches }, row.branches ?? mine.length),
    };
  });
  const branches: BranchFigures[] = all.branches.map((b) => ({
    code: b.key,
    name: b.name,
    region: b.region ?? '',
    n: b.n,
    sections: { ...b.sections },
    total: b.total,
    previous: scoresOf(b.previous),
    visitIds: pass.visitIds.get(b.key) ?? [],
  }));
  const snapshot: ReportSnapshot = {
    format: 1,
    bank: {
      id: String(bank._id),
      code: bank.code,
      name: bank.name,
      language: bank.language === 'en' ? 'en' : 'zh',
      timezone: bank.timezone,
    },
    quarter,
    version: meta.version,
    generatedAt: meta.generatedAt.toISOString(),
    bankFigures: area(
      all,
      bankRow,
      [...perRegion.values()].reduce((sum, n) => sum + n, 0),
    ),
    regions,
    branches,
    keyProblems: all.keyProblems.map(problemOf),
    violations,
    questionnaires: catalogue.notes(pass.questionnaires),
    branchDetails: [],
  };
  snapshot.feedback = feedback.finish(snapshot, meta.generatedAt);
  return { snapshot, visits };
}

// ---- branch details, a batch of branches at a time ----

export type LeanVisit = {
  _id: unknown;
  branchCode: string;
  region: string;
  quarter: string;
  visitedAt: Date;
  durationMinutes: number;
  questionnaireId: unknown;
  questionnaireVersion: number;
  summary?: string | null;
  staff?: { employeeId?: string | null; name?: string | null; description?: string | null }[] | null;
  staffIds?: string[] | null;
  answers?: { itemKey: string; value: unknown; comment?: string | null }[] | null;
  scores?: { sections?: Partial<Scores['sections']> | null; total?: number | null } | null;
  violations?: { itemKey?: string | null; sectionKey?: string | null }[] | null;
};

function visitInput(v: LeanVisit) {
  return {
    id: String(v._id),
    branchCode: v.branchCode,
    region: v.region,
    quarter: v.quarter,
    staffIds: v.staffIds,
    answers: v.answers,
    questionnaireId: String(v.questionnaireId),
    questionnaireVersion: v.questionnaireVersion,
    scores: v.scores,
    violations: v.violations,
  };
}

const SECTION_ORDER: SectionKey[] = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'];

function visitDetail(v: LeanVisit, catalogue: Catalogue): VisitDetail {
  const qid = String(v.questionnaireId);
  const answers: AnswerDetail[] = (v.answers ?? [])
    .map((a) => {
      const item = catalogue.item(qid, v.questionnaireVersion, a.itemKey);
      const value = a.value as AnswerValue;
      const s = item ? itemScore(item, value as Parameters<typeof itemScore>[1]) : null;
      return {
        itemKey: a.itemKey,
        sectionKey: item?.sectionKey ?? 'greeting',
        text: item?.text ?? { zh: a.itemKey, en: a.itemKey },
        critical: item?.critical ?? false,
        value,
        score: s === null ? null : 100 * s,
        comment: a.comment ?? null,
      };
    })
    .sort((a, b) => SECTION_ORDER.indexOf(a.sectionKey) - SECTION_ORDER.indexOf(b.sectionKey));
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
function benchmark(figures: Scores & { branches: number }, own: number): Scores | null {
  const hidden = figures.branches - own;
  return hidden > 0 && hidden < MIN_HIDDEN_BRANCHES
    ? null
    : { sections: { ...figures.sections }, total: figures.total };
}

const VISIT_FIELDS = {
  branchCode: 1,
  region: 1,
  quarter: 1,
  visitedAt: 1,
  durationMinutes: 1,
  questionnaireId: 1,
  questionnaireVersion: 1,
  summary: 1,
  staff: 1,
  staffIds: 1,
  answers: 1,
  scores: 1,
  violations: 1,
} as const;

/** A branch's answers, comments, violations and key problems (key problems by the results accumulator). */
function detailOf(
  s: ReportSnapshot,
  branch: BranchFigures,
  visits: LeanVisit[],
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
  visits?: VisitSpill<LeanVisit>,
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

async function spillQuarter(s: ReportSnapshot, todo: BranchFigures[]): Promise<VisitSpill<LeanVisit>> {
  const wanted = new Set(todo.map((b) => b.code));
  const counted = new Map(todo.filter((b) => b.visitIds).map((b) => [b.code, new Set(b.visitIds)]));
  const spill = await VisitSpill.create<LeanVisit>(s.branches.length);
  try {
    const cursor = Visit.find(
      { bankId: s.bank.id, quarter: s.quarter, status: { $in: COUNTED_STATUSES } },
      VISIT_FIELDS,
    )
      .lean()
      .cursor({ batchSize: 500 });
    for await (const raw of cursor) {
      const v = raw as unknown as LeanVisit;
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
