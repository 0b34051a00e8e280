import {
  areaSample,
  areaSummary,
  cover,
  figureLabels,
  figureValues,
  leagueTable,
  methodNotes,
  previousQuarterOf,
  problemsTable,
  scoresSection,
  spreadSection,
  trendSection,
  violationsTable,
  withPaging,
  type PagingChoice,
} from './common';
import { open } from './context';
import { groupedBars } from './charts';
import { COLORS, type Column, type Paging } from './doc';
import { areaFeedbackLines, feedbackNotes } from './feedback';
import { score, translator } from './format';
import type { RegionFigures, ReportSnapshot } from './types';

/** A region's report: its figures against the bank, its branches, problems and violations. */
async function regionReport(s: ReportSnapshot, area: RegionFigures, paging: Paging): Promise<Buffer> {
  const region = area.key;
  const scopeLine = translator(s.bank.language)('scope.region', { name: region });
  const c = open(s, 'region', scopeLine, paging);
  const { r, t } = c;
  cover(c, 'region', scopeLine);

  r.h1(t('h.summary'));
  r.bullets([...areaSummary(c, area, area.violations, area.keyProblems), ...areaFeedbackLines(c, region)], 10);
  r.space(6);
  scoresSection(c, { current: area, previous: area.previous, previousQuarter: previousQuarterOf(area) });

  r.h2(t('h.vs'), 160);
  const cols: Column[] = [
    { header: t('col.figure'), width: 2 },
    { header: t('col.this_region'), width: 1, align: 'right' },
    { header: t('col.bank'), width: 1, align: 'right' },
  ];
  const mine = figureValues(area);
  const theirs = figureValues(area.bankBenchmark);
  r.table(
    cols,
    figureLabels(t).map((l, i) => [l, score(mine[i]), area.bankBenchmark ? score(theirs[i]) : t('withheld')]),
  );
  groupedBars(r, figureLabels(t), [
    { name: area.name, color: COLORS.accent, values: mine },
    ...(area.bankBenchmark ? [{ name: t('col.bank'), color: COLORS.previous, values: theirs }] : []),
  ]);

  trendSection(c, area);
  spreadSection(c, area);
  leagueTable(
    c,
    s.branches.filter((b) => b.region === region),
    false,
  );
  problemsTable(c, area.keyProblems);
  violationsTable(c, area.violations);
  methodNotes(c, areaSample(c, area), feedbackNotes(c, true));
  return r.finish();
}

/** Like the bank report, a region with very many branches and violations renders in two passes. */
export function renderRegionReport(s: ReportSnapshot, region: string, paging: PagingChoice = 'auto'): Promise<Buffer> {
  const area = s.regions.find((g) => g.key === region);
  if (!area) return Promise.reject(new Error(`region "${region}" is not in the snapshot`));
  const rows = s.branches.reduce((n, b) => n + (b.region === region ? 1 : 0), 0) + area.violations.length;
  return withPaging(paging, rows, (p) => regionReport(s, area, p));
}
