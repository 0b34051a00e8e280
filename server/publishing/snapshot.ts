import type {
  AreaFigures,
  BranchFigures,
  FigureConfidence,
  KeyProblem,
  RegionFigures,
  ReportSnapshot,
  Scores,
  SectionKey,
  TrendPoint,
  Violation,
} from '../../reports/types';
import { regionSizes } from '../banks/service';
import { areaScores, keyProblems } from '../results/figures';
import { quarterResults, type ResultRow, type ResultsReport } from '../results/service';
import { trendQuarters } from '../rules/quarters';
import { SECTION_KEYS } from '../rules/scoring';
import { bankQuarters, combineAreas } from '../stats/service';
import { countedVisitsOfQuarter } from '../visits/service';
import { benchmark } from './branch-details';
import { loadCatalogue, type Catalogue } from './catalogue';
import { FeedbackCollector } from './feedback';
import { VISIT_FIELDS, type ReportVisit } from './report-visit';
import { VisitSpill } from './spill';
import { bankOrNull, SYSTEM } from './system';
import { latestRoundAlpha } from '../calibration/service';
import { NotFoundError } from '../platform/errors';
import { collectOnGrowth } from '../platform/memory';
import { COLLECT_AFTER_GROWTH } from './render-files';

/**
 * The one adapter between the results service and the PDF builders. Every score comes from
 * `quarterResults`, so a report shows exactly what the dashboards showed at closing time. The branch
 * details (answers and comments) are built in branch-details.ts, a batch of branches at a time.
 */
const scoresOf = (r: { sections: Scores['sections']; total: number | null } | null | undefined): Scores | null =>
  r ? { sections: { ...r.sections }, total: r.total } : null;

/** The §11 figures of a results row as the report keeps them (words, not booleans: JSON has no undefined). */
export function figureConfidence(row: ResultRow): FigureConfidence | undefined {
  const c = row.confidence;
  if (!c) return undefined;
  const slots = [...SECTION_KEYS.map((k) => c.sections[k]), c.total];
  return {
    halfWidth: slots.map((x) => (x.ci95 ? (x.ci95[1] - x.ci95[0]) / 2 : null)),
    verdict: slots.map((x) =>
      !x.change ? null : x.change.significant === null ? 'few' : x.change.significant ? 'sig' : 'nsig',
    ),
    smallSample: row.smallSample ?? row.n < 3,
  };
}

function area(r: ResultsReport, row: ResultRow, branchesTotal: number): AreaFigures {
  return {
    confidence: figureConfidence(row),
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
    failure: v.failure,
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
  /** The counted visits of each branch in the quarter: the branch reports list exactly these. */
  visitIds: Map<string, string[]>;
  visitedAt: Map<string, string>;
  questionnaires: Set<string>;
}

/**
 * The driver's batches of decoded visits live across the spill's writes, and many reach the old
 * generation, which V8 lets grow far before collecting it: a large bank's close peaked at 613 MB in
 * its snapshot step once (467–536 MB in three runs with this). So the read collects whenever this
 * thread has grown by `growth` bytes since its last collection, looking every `visits` visits (tests
 * lower both).
 */
export const READ_COLLECTION = { visits: 1000, growth: COLLECT_AFTER_GROWTH };
let readCollections = 0;
/** Full collections the snapshot's reads ran so far (for logs and tests). */
export const readCollectionsRun = (): number => readCollections;

/**
 * One read of the quarter's counted visits (a large bank has 100,000 in a quarter), for what the
 * reports need of them besides the figures: their ids and times, the questionnaire versions used, and,
 * with a spill, the visits themselves for the branch reports.
 */
async function readQuarter(
  bankId: string,
  quarter: string,
  spill: VisitSpill<ReportVisit> | undefined,
): Promise<QuarterPass> {
  const out: QuarterPass = { visitIds: new Map(), visitedAt: new Map(), questionnaires: new Set() };
  const memory = collectOnGrowth(READ_COLLECTION.growth);
  let read = 0;
  for await (const v of countedVisitsOfQuarter(bankId, quarter, VISIT_FIELDS)) {
    if (++read % READ_COLLECTION.visits === 0 && memory.check()) readCollections++;
    await spill?.write(v);
    const id = String(v._id);
    const ids = out.visitIds.get(v.branchCode);
    if (ids) ids.push(id);
    else out.visitIds.set(v.branchCode, [id]);
    if (v.violations?.length) out.visitedAt.set(id, v.visitedAt.toISOString());
    out.questionnaires.add(`${String(v.questionnaireId)}:${v.questionnaireVersion}`);
  }
  return out;
}

/**
 * The bank's branch rows, read one region at a time (`branchesOf`): the figures are the same as one
 * read of the whole bank, but only one region's kept summaries are in memory at once (a large bank's
 * 25,000 branch summaries of two quarters held together took hundreds of MB).
 */
async function branchRowsByRegion(bankId: string, quarter: string, regions: ResultRow[]): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for (const r of regions) {
    const part = await quarterResults(
      SYSTEM,
      { bankId, quarter, branchesOf: r.key, withoutViolations: true },
      new Set(['branch'] as const),
    );
    rows.push(...part.branches);
  }
  // The order of one whole-bank read (by branch code).
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The bank's, regions' and branches' figures of the quarter (from the kept statistics). */
async function figuresOf(bankId: string, quarter: string, quarters: string[]) {
  const all = await quarterResults(SYSTEM, { bankId, quarter }, new Set(['bank', 'region'] as const));
  all.branches = await branchRowsByRegion(bankId, quarter, all.regions);
  if (all.trend.map((p) => p.quarter).join() !== quarters.join())
    throw new Error('the results service and the snapshot disagree on the trend quarters');
  return all;
}

/** Per region: its trend over the quarters and its key problems, from the bank's kept statistics. */
async function regionFigures(bankId: string, quarters: string[], quarter: string, catalogue: Catalogue) {
  const banks = await bankQuarters(bankId, quarters);
  const trend = new Map<string, TrendPoint[]>();
  const problems = new Map<string, KeyProblem[]>();
  for (const region of Object.keys(banks.get(quarter) ?? {})) {
    trend.set(
      region,
      quarters.map((q) => {
        const a = combineAreas(
          [banks.get(q)?.[region]?.summary].filter((x) => x !== undefined),
          0,
        );
        const s = areaScores(a);
        return { quarter: q, n: a.visits, branches: a.branches, sections: { ...s.sections }, total: s.total };
      }),
    );
    problems.set(
      region,
      keyProblems([banks.get(quarter)?.[region]?.summary.items ?? {}]).map((k) => ({
        ...k,
        text: catalogue.text(k.itemKey),
      })),
    );
  }
  return { trend, problems };
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
): Promise<{ snapshot: ReportSnapshot; visits?: VisitSpill<ReportVisit> }> {
  const bank = await bankOrNull(bankId);
  if (!bank) throw new NotFoundError('Bank');
  const quarters = trendQuarters(quarter);
  const perRegion = await regionSizes(bankId);
  const catalogue = await loadCatalogue(bankId);
  const feedback = await FeedbackCollector.load(bankId, quarter, bank.timezone, catalogue);
  const visits = withVisits
    ? await VisitSpill.create<ReportVisit>([...perRegion.values()].reduce((sum, n) => sum + n, 0))
    : undefined;
  let all: ResultsReport;
  let pass: QuarterPass;
  let perRegionFigures: Awaited<ReturnType<typeof regionFigures>>;
  // One after the other: read side by side, the figures and the visits took ~3 s less of a large
  // bank's snapshot but ~60 MB more at its peak (612 MB against the close's 600 MB target).
  try {
    all = await figuresOf(bankId, quarter, quarters);
    perRegionFigures = await regionFigures(bankId, quarters, quarter, catalogue);
    pass = await readQuarter(bankId, quarter, visits);
    await visits?.finish();
  } catch (e) {
    await visits?.dispose();
    throw e;
  }
  const names = new Map(all.branches.map((b) => [b.key, b.name]));
  const violations = all.violations.map((v) => violationOf(v, names, pass.visitedAt));
  const bankRow = { ...all.summary, key: bank.code, name: bank.name };
  const bankBranches = bankRow.branches ?? all.branches.length;

  // Grouped once: 50 regions each filtering 25,000 branches took a second of this thread.
  const inRegion = new Map<string, ResultRow[]>();
  for (const b of all.branches) {
    const list = inRegion.get(b.region ?? '');
    if (list) list.push(b);
    else inRegion.set(b.region ?? '', [b]);
  }
  const regions: RegionFigures[] = all.regions.map((row) => {
    const mine = inRegion.get(row.key) ?? [];
    return {
      confidence: figureConfidence(row),
      key: row.key,
      name: row.name,
      n: row.n,
      branches: row.branches ?? mine.length,
      branchesTotal: perRegion.get(row.key) ?? mine.length,
      sections: { ...row.sections },
      total: row.total,
      previous: scoresOf(row.previous),
      spread: row.spread ?? null,
      trend: perRegionFigures.trend.get(row.key) ?? [],
      branchTotals: mine.map((b) => b.total).filter((t): t is number => typeof t === 'number'),
      keyProblems: perRegionFigures.problems.get(row.key) ?? [],
      violations: violations.filter((v) => v.region === row.key),
      // What the region's readers may see of the bank: withheld like on their dashboard.
      bankBenchmark: benchmark({ ...bankRow, branches: bankBranches }, row.branches ?? mine.length),
    };
  });
  const branches: BranchFigures[] = all.branches.map((b) => ({
    confidence: figureConfidence(b),
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
    calibrationAlpha: await latestRoundAlpha(),
    bank: {
      id: bank.id,
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
