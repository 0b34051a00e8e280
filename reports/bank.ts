import {
  areaSample,
  areaSummary,
  byTotal,
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
import type { Column, Paging } from './doc';
import { areaFeedbackLines, feedbackNotes } from './feedback';
import { change, score } from './format';
import type { ReportSnapshot } from './types';

/** The bank report: SPEC section 5's full list, for the bank's head office. */
async function bankReport(s: ReportSnapshot, paging: Paging): Promise<Buffer> {
  const scopeLine = s.bank.name;
  const c = open(s, 'bank', scopeLine, paging);
  const { r, t } = c;
  const area = s.bankFigures;
  cover(c, 'bank', scopeLine);

  r.h1(t('h.summary'));
  const lines = areaSummary(c, area, s.violations, s.keyProblems);
  const ranked = byTotal(s.regions, (x) => x.key).filter((x) => typeof x.total === 'number');
  if (ranked.length > 1) {
    const best = ranked[0];
    const worst = ranked[ranked.length - 1];
    lines.push(
      t('summary.region_rank', {
        count: ranked.length,
        best: best.name,
        bestScore: score(best.total),
        worst: worst.name,
        worstScore: score(worst.total),
      }),
    );
  }
  lines.push(...areaFeedbackLines(c, null));
  r.bullets(lines, 10);
  r.space(6);
  scoresSection(c, { current: area, previous: area.previous, previousQuarter: previousQuarterOf(area) });

  trendSection(c, area);
  spreadSection(c, area);

  r.h1(t('h.regions'));
  const cols: Column[] = [
    { header: t('col.rank'), width: 0.7, align: 'right' },
    { header: t('col.region'), width: 2 },
    { header: t('col.branches'), width: 1, align: 'right' },
    { header: t('col.n'), width: 1, align: 'right' },
    { header: t('total'), width: 1, align: 'right' },
    { header: t('col.change'), width: 1, align: 'right' },
    { header: t('col.min'), width: 1, align: 'right' },
    { header: t('col.max'), width: 1, align: 'right' },
    { header: t('col.stdev'), width: 1, align: 'right' },
  ];
  r.table(
    cols,
    byTotal(s.regions, (x) => x.key).map((g, i) => [
      String(i + 1),
      g.name,
      `${g.branches} / ${g.branchesTotal}`,
      String(g.n),
      score(g.total),
      change(g.total, g.previous?.total),
      score(g.spread?.min),
      score(g.spread?.max),
      score(g.spread?.stdev),
    ]),
    { emptyText: t('no_data') },
  );
  r.table(
    [
      { header: t('col.region'), width: 2 },
      ...figureLabels(t).map((l): Column => ({ header: l, width: 1.2, align: 'right' })),
    ],
    byTotal(s.regions, (x) => x.key).map((g) => [g.name, ...figureValues(g).map(score)]),
  );

  leagueTable(c, s.branches, true);
  problemsTable(c, s.keyProblems);
  violationsTable(c, s.violations);
  methodNotes(c, areaSample(c, area), feedbackNotes(c, true));
  return r.finish();
}

/** A large bank's report (a row per branch and per violation) renders in two passes, with flat memory. */
export function renderBankReport(s: ReportSnapshot, paging: PagingChoice = 'auto'): Promise<Buffer> {
  return withPaging(paging, s.branches.length + s.violations.length, (p) => bankReport(s, p));
}
