import { branchNamesIn, staffNamesIn, type BankView } from '../banks/service';
import { BoundedCache } from '../platform/cache';
import type { Principal } from '../platform/access';
import { shiftQuarter, trendQuarters } from '../rules/quarters';
import {
  bankQuarters,
  combineAreas,
  regionQuarters,
  regionViolationsOf,
  type BankRegions,
  type RegionBranches,
} from '../stats/service';
import type { BranchScore } from './aggregate';
import { areaScores, areaSpread, branchScores, keyProblems, staffScores, violationRows } from './figures';
import { confidenceFields, withConfidence } from './confidence';
import { branchRows, groupByRegion, scoresOf, staffRows, summaryRow, trendPoint } from './rows';
import { areaRow, MIN_HIDDEN_BRANCHES, type FocusInfo } from './scope';
import type { Level } from './schema';
import type { ResultRow, ResultsReport, TrendPoint, ViolationView } from './types';
import type { ItemCatalogue } from './visit-pass';

/**
 * A quarter's results built from the kept statistics (server/stats): the bank's figures from its
 * per-region summaries, a narrower focus (a region, some branches, one branch) from the per-branch
 * summaries of the regions concerned — never from the visits themselves.
 */
export const TREND_QUARTERS = 4;
const NO_REGIONS: ReadonlyMap<string, RegionBranches> = new Map();

export interface QuarterContext {
  p: Principal;
  /** With the whole bank in focus: read the branches of this region only. */
  branchesOf?: string;
  /** Leave the violations out (the close reads the bank's once, not once per region). */
  withoutViolations?: boolean;
  bank: BankView;
  quarter: string;
  focus: FocusInfo;
  want: ReadonlySet<Level>;
  catalogue: ItemCatalogue;
  /** Whether the caller sees the whole bank (then no area is a benchmark). */
  seesWholeBank: boolean;
}

const area = (regions: BankRegions | undefined) =>
  combineAreas(
    Object.values(regions ?? {}).map((r) => r.summary),
    0,
  );

function areaPoint(quarter: string, regions: BankRegions | undefined): TrendPoint {
  const a = area(regions);
  const scores = areaScores(a);
  const { sd, ci95, smallSample } = confidenceFields({ now: a.branchScores });
  return { quarter, n: a.visits, branches: a.branches, ...scores, sd, ci95, smallSample };
}

/** A row for an area from its kept summary; `hidden*` count its visited branches the caller may not see. */
function summaryAreaRow(
  key: string,
  name: string,
  now: ReturnType<typeof area>,
  before: ReturnType<typeof area> | null,
  hiddenNow = 0,
  hiddenBefore = 0,
): ResultRow | null {
  if (hiddenNow > 0 && hiddenNow < MIN_HIDDEN_BRANCHES) return null;
  const row: ResultRow = { key, name, n: now.visits, branches: now.branches, ...areaScores(now) };
  if (before && before.branches > 0 && !(hiddenBefore > 0 && hiddenBefore < MIN_HIDDEN_BRANCHES))
    row.previous = scoresOf(areaScores(before));
  const spread = areaSpread(now);
  if (hiddenNow > 0) row.benchmark = true;
  else if (spread) row.spread = spread;
  return withConfidence(row, { now: now.branchScores, before: before?.branchScores, withheld: hiddenNow > 0 });
}

export async function resultsFromStats(c: QuarterContext): Promise<ResultsReport> {
  const quarters = trendQuarters(c.quarter, TREND_QUARTERS);
  const banks = await bankQuarters(c.bank.id, quarters);
  return c.focus.regions === null ? wholeBank(c, banks) : narrow(c, banks, c.focus.regions);
}

function header(c: QuarterContext) {
  return {
    bankId: c.bank.id,
    bankCode: c.bank.code,
    bankName: c.bank.name,
    quarter: c.quarter,
    previousQuarter: shiftQuarter(c.quarter, -1),
    focus: c.focus.focus,
  };
}

/** The whole bank in focus: everything from the bank's per-region summaries, branches and staff on request. */
async function wholeBank(c: QuarterContext, banks: Map<string, BankRegions>): Promise<ResultsReport> {
  const h = header(c);
  const now = banks.get(c.quarter) ?? {};
  const before = banks.get(h.previousQuarter) ?? {};
  const bankRow = summaryAreaRow(c.bank.code, c.bank.name, area(now), area(before)) as ResultRow;
  const regionNames = Object.keys(now).sort();
  const regions = regionNames
    .map((r) =>
      summaryAreaRow(r, r, combineAreas([now[r].summary], 0), before[r] ? combineAreas([before[r].summary], 0) : null),
    )
    .filter((r): r is ResultRow => r !== null && r.n > 0);
  const needBranches = c.want.has('branch') || c.want.has('staff');
  const read = c.branchesOf ? regionNames.filter((r) => r === c.branchesOf) : regionNames;
  const docs = needBranches ? await regionQuarters(c.bank.id, [c.quarter, h.previousQuarter], read, banks) : null;
  const { branches, staff } = docs ? await detailRows(c, docs, () => true, bankRow.total) : { branches: [], staff: [] };
  return {
    ...h,
    summary: { ...bankRow, key: c.focus.focus.key, name: c.focus.focus.name },
    trend: [...banks].map(([q, regionsOfQ]) => areaPoint(q, regionsOfQ)),
    bank: bankRow,
    regions,
    branches,
    staff,
    keyProblems: keyProblems(Object.values(now).map((r) => r.summary.items)).map((k) => ({
      ...k,
      text: c.catalogue.text(k.itemKey),
    })),
    violations: c.withoutViolations ? [] : await wholeBankViolations(c, now, regionNames),
  };
}

/**
 * The whole bank's violations in a quarter, worked out once per state of its region records: a large
 * bank has thousands (11,838 in the benchmark's quarter), and reading, sorting and wording them was
 * most of a bank-level request. The key names the seq of every region record (as the bank record just
 * read names them) and the questionnaire versions the words come from, so any change gives a new key.
 * The list is shared between requests and never changed.
 */
const bankViolations = new BoundedCache<string, ViolationView[]>({ limit: 16 });

async function wholeBankViolations(
  c: QuarterContext,
  now: BankRegions,
  regionNames: readonly string[],
): Promise<ViolationView[]> {
  const key = JSON.stringify([
    c.bank.id,
    c.quarter,
    c.catalogue.signature,
    regionNames.map((r) => [r, now[r].summary.seq]),
  ]);
  const kept = bankViolations.get(key);
  if (kept) return kept;
  const list = violationRows(await regionViolationsOf(c.bank.id, c.quarter, regionNames, now)).map((v) => ({
    ...v,
    text: c.catalogue.text(v.itemKey),
    failure: c.catalogue.failure(v.itemKey),
  }));
  bankViolations.set(key, list);
  return list;
}

/** Branch and staff rows of the focus, this quarter against the previous one. */
async function detailRows(
  c: QuarterContext,
  docs: Map<string, Map<string, RegionBranches>>,
  inFocus: (code: string, region: string) => boolean,
  bankTotal: number | null,
): Promise<{ branches: ResultRow[]; staff: ResultRow[] }> {
  const prevQ = shiftQuarter(c.quarter, -1);
  const focused = (q: string) => branchScores(docs.get(q) ?? NO_REGIONS).filter((b) => inFocus(b.code, b.region));
  const current = focused(c.quarter);
  const previous = focused(prevQ);
  const summaries = (q: string) =>
    [...(docs.get(q) ?? NO_REGIONS).entries()].flatMap(([region, branches]) =>
      Object.entries(branches)
        .filter(([code]) => inFocus(code, region))
        .map(([, s]) => s),
    );
  const branches = c.want.has('branch')
    ? branchRows(current, previous, await branchNamesIn(c.bank.id, new Set(current.map((b) => b.code))), bankTotal)
    : [];
  const staffNow = c.want.has('staff') ? staffScores(summaries(c.quarter)) : [];
  const staff = c.want.has('staff')
    ? staffRows(
        staffNow,
        staffScores(summaries(prevQ)),
        await staffNamesIn(c.bank.id, new Set(staffNow.map((s) => s.employeeId))),
      )
    : [];
  return { branches, staff };
}

/** A region, some branches or one branch in focus: from the per-branch summaries of its regions. */
async function narrow(
  c: QuarterContext,
  banks: Map<string, BankRegions>,
  regionNames: readonly string[],
): Promise<ResultsReport> {
  const h = header(c);
  const quarters = [...banks.keys()];
  const docs = await regionQuarters(c.bank.id, quarters, regionNames, banks);
  const { inFocus, visible } = c.focus;
  const all = (q: string): BranchScore[] => branchScores(docs.get(q) ?? NO_REGIONS);
  const focused = (q: string) => all(q).filter((b) => inFocus(b.code, b.region));
  const current = focused(c.quarter);
  const previous = focused(h.previousQuarter);
  const regionsNow = groupByRegion(all(c.quarter));
  const regionsBefore = groupByRegion(all(h.previousQuarter));
  const focusRegions = [...new Set(current.map((b) => b.region))].sort();
  // The caller's visible branches all lie in the regions read, unless they see the whole bank.
  const hidden = (q: string) =>
    c.seesWholeBank ? 0 : area(banks.get(q)).branches - all(q).filter((b) => visible(b.code, b.region)).length;
  const inFocusSummaries = [...(docs.get(c.quarter) ?? NO_REGIONS).entries()].flatMap(([region, branches]) =>
    Object.entries(branches)
      .filter(([code, s]) => s.visits > 0 && inFocus(code, region))
      .map(([code, s]) => ({ code, region, s })),
  );
  const bank = summaryAreaRow(
    c.bank.code,
    c.bank.name,
    area(banks.get(c.quarter)),
    area(banks.get(h.previousQuarter)),
    hidden(c.quarter),
    hidden(h.previousQuarter),
  );
  const details = await detailRows(c, docs, inFocus, bank?.total ?? null);
  return {
    ...h,
    summary: summaryRow(h.focus, current, previous),
    trend: quarters.map((q) => trendPoint(q, h.focus, focused(q))),
    bank,
    regions: focusRegions
      .map((r) => areaRow(r, r, regionsNow.get(r) ?? [], regionsBefore.get(r) ?? [], visible))
      .filter((r): r is ResultRow => r !== null),
    branches: details.branches,
    staff: details.staff,
    keyProblems: keyProblems(inFocusSummaries.map((x) => x.s.items)).map((k) => ({
      ...k,
      text: c.catalogue.text(k.itemKey),
    })),
    violations: violationRows(
      inFocusSummaries.flatMap(({ code, region, s }) => s.violations.map((v) => ({ ...v, branchCode: code, region }))),
    ).map((v) => ({ ...v, text: c.catalogue.text(v.itemKey), failure: c.catalogue.failure(v.itemKey) })),
  };
}
