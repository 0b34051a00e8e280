import { groupedBars, histogram, lineChart, type Series } from './charts';
import type { Ctx, ReportKind } from './context';
import { COLORS, twoPasses, type Column, type Paging, type Row } from './doc';
import { change, date, dateTime, percent, score, sectionLabel, SECTIONS, textOf, type Translate } from './format';
import { disputeTag } from './feedback';
import { label } from './labels';
import type { AreaFigures, BranchFigures, FigureConfidence, KeyProblem, Scores, Violation } from './types';

/** Above this many table rows a report renders in two passes (see Paging), so its memory stays flat. */
export const TWO_PASS_ROWS = 1000;
export type PagingChoice = 'auto' | 'buffer' | 'two-pass';

export function pagingFor(choice: PagingChoice, rows: number): 'buffer' | 'two-pass' {
  return choice === 'two-pass' || (choice === 'auto' && rows > TWO_PASS_ROWS) ? 'two-pass' : 'buffer';
}

export function withPaging(
  choice: PagingChoice,
  rows: number,
  render: (paging: Paging) => Promise<Buffer>,
): Promise<Buffer> {
  return pagingFor(choice, rows) === 'two-pass' ? twoPasses(render) : render({ mode: 'buffer' });
}

export function cover(c: Ctx, kind: ReportKind, scopeLine: string): void {
  const { r, t, s } = c;
  const doc = r.doc;
  doc.rect(0, 150, doc.page.width, 6).fill(COLORS.accent);
  label(r, s.bank.name, r.left, 200, { size: 26, color: COLORS.accent, width: r.width });
  doc.moveDown(0.4);
  label(r, t(`title.${kind}`), r.left, doc.y, { size: 18, color: COLORS.ink, width: r.width });
  doc.moveDown(1.2);
  const rows: [string, string][] = [
    [t('cover.scope'), scopeLine],
    [t('cover.quarter'), s.quarter],
    [t('cover.version'), String(s.version)],
    [t('cover.generated'), dateTime(s.generatedAt, s.bank.timezone)],
  ];
  for (const [k, v] of rows) {
    const y = doc.y;
    label(r, k, r.left, y, { size: 11, color: COLORS.muted, width: 110 });
    label(r, v, r.left + 120, y, { size: 11, color: COLORS.ink, width: r.width - 120 });
    doc.moveDown(0.5);
  }
  const small = { size: 9, color: COLORS.muted, width: r.width };
  label(r, t('cover.prepared'), r.left, doc.page.height - 170, small);
  label(r, t('cover.confidential'), r.left, doc.y, small);
  doc.fillColor(COLORS.ink);
  r.newPage();
}

const SERIES_TOTAL = (t: Translate) => t('total');

/** A figure's sections then its total, in the order every table and chart uses. */
export function figureValues(x: Scores | null | undefined): (number | null)[] {
  if (!x) return [null, null, null, null, null];
  return [...SECTIONS.map((k) => x.sections[k]), x.total];
}

export function figureLabels(t: Translate): string[] {
  return [...SECTIONS.map((k) => sectionLabel(t, k)), SERIES_TOTAL(t)];
}

/** This quarter against the previous one, as a table and as bars. */
export function scoresSection(
  c: Ctx,
  area: {
    current: Scores & { confidence?: FigureConfidence };
    previous: Scores | null;
    previousQuarter: string | null;
  },
): void {
  const { r, t, s } = c;
  r.h2(t('h.scores'), 160);
  const now = figureValues(area.current);
  const before = figureValues(area.previous);
  const conf = area.current.confidence;
  const cols: Column[] = [
    { header: t('col.section'), width: 3 },
    { header: `${s.quarter}`, width: 1.5, align: 'right' },
    ...(conf ? [{ header: t('col.ci95'), width: 1.2, align: 'right' } as Column] : []),
    { header: area.previousQuarter ?? t('previous'), width: 1.5, align: 'right' },
    { header: t('col.change'), width: 1.3, align: 'right' },
    ...(conf ? [{ header: t('col.significance'), width: 1.8 } as Column] : []),
  ];
  const labels = figureLabels(t);
  r.table(
    cols,
    labels.map((l, i) => [
      l,
      score(now[i]),
      ...(conf ? [plusMinus(conf.halfWidth[i])] : []),
      score(before[i]),
      change(now[i], before[i]),
      ...(conf ? [verdictText(t, conf.verdict[i])] : []),
    ]),
  );
  const series: Series[] = [];
  if (area.previous)
    series.push({ name: area.previousQuarter ?? t('previous'), color: COLORS.previous, values: before });
  series.push({ name: s.quarter, color: COLORS.accent, values: now });
  groupedBars(r, labels, series);
}

export function trendSection(c: Ctx, area: AreaFigures): void {
  const { r, t } = c;
  r.h1(t('h.trend'), 260);
  const quarters = area.trend.map((p) => p.quarter);
  const series: Series[] = [
    { name: t('total'), color: COLORS.series[0], values: area.trend.map((p) => p.total), emphasis: true },
    ...SECTIONS.map((k, i) => ({
      name: sectionLabel(t, k),
      color: COLORS.series[i + 1],
      values: area.trend.map((p) => p.sections[k]),
    })),
  ];
  lineChart(r, quarters, series);
  r.table(
    [
      { header: t('col.quarter'), width: 1.4 },
      { header: t('col.n'), width: 1.1, align: 'right' },
      { header: t('col.branches'), width: 1.1, align: 'right' },
      ...figureLabels(t).map((l): Column => ({ header: l, width: 1.2, align: 'right' })),
    ],
    area.trend.map((p) => [p.quarter, String(p.n), String(p.branches), ...figureValues(p).map(score)]),
  );
}

export function spreadSection(c: Ctx, area: AreaFigures): void {
  const { r, t } = c;
  r.h2(t('h.spread'), 180);
  if (!area.spread) {
    r.para(t('no_data'), { color: COLORS.muted });
    return;
  }
  r.table(
    [
      { header: t('col.branches'), width: 1 },
      { header: t('col.min'), width: 1, align: 'right' },
      { header: t('col.max'), width: 1, align: 'right' },
      { header: t('col.stdev'), width: 1, align: 'right' },
    ],
    [[String(area.branches), score(area.spread.min), score(area.spread.max), score(area.spread.stdev)]],
  );
  r.para(t('col.band'), { size: 8.5, color: COLORS.muted, gap: 2 });
  histogram(r, area.branchTotals);
}

/** Ranked by total, best first; branches without a total go last. */
export function byTotal<T extends { total: number | null }>(rows: T[], key: (x: T) => string): T[] {
  return [...rows].sort(
    (a, b) => (b.total ?? -1) - (a.total ?? -1) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
  );
}

export function leagueTable(c: Ctx, branches: BranchFigures[], withRegion: boolean): void {
  const { r, t } = c;
  r.h1(t('h.league'), 80);
  const cols: Column[] = [
    { header: t('col.rank'), width: 0.7, align: 'right' },
    { header: t('col.code'), width: 1.3 },
    { header: t('col.name'), width: 2.6 },
    ...(withRegion ? [{ header: t('col.region'), width: 1.4 }] : []),
    { header: t('col.n'), width: 0.9, align: 'right' },
    ...figureLabels(t).map((l): Column => ({ header: l, width: 1.1, align: 'right' })),
    { header: t('col.change'), width: 1, align: 'right' },
  ];
  const sorted = byTotal(branches, (b) => b.code);
  const rows = sorted.map((b, i): Row => [
    String(i + 1),
    b.code,
    b.name,
    ...(withRegion ? [b.region] : []),
    `${b.n}${b.confidence?.smallSample ? '*' : ''}`,
    ...figureValues(b).map((v, k) =>
      k === 4 && b.confidence ? `${score(v)} ${plusMinus(b.confidence.halfWidth[4])}` : score(v),
    ),
    `${change(b.total, b.previous?.total)}${b.previous && b.confidence ? ` ${verdictMark(b.confidence.verdict[4])}` : ''}`,
  ]);
  r.table(cols, rows, { size: 7.5, emptyText: t('no_data') });
  if (sorted.some((b) => b.confidence)) r.para(t('league.note'), { size: 8, color: COLORS.muted });
  const edges = [...new Set([sorted[0], sorted[sorted.length - 1]])].filter((b) => b?.confidence?.smallSample);
  if (sorted.length > 1 && edges.length)
    r.para(t('league.edge', { rows: edges.map((b) => `${b.code} ${b.name}`).join(', ') }));
}

/** "±4.2", or '' without an interval. */
const plusMinus = (half: number | null | undefined) => (typeof half === 'number' ? `±${score(half)}` : '');
/** The league table marks a significant change with † and one that rests on too little data with ~. */
const verdictMark = (v: FigureConfidence['verdict'][number]) => (v === 'sig' ? '†' : v === 'few' ? '~' : '');
const verdictText = (t: Ctx['t'], v: FigureConfidence['verdict'][number]) => (v ? t(`verdict.${v}`) : '');

export function problemsTable(c: Ctx, problems: KeyProblem[], limit = 20): void {
  const { r, t, lang } = c;
  r.h1(t('h.problems'));
  r.table(
    [
      { header: t('col.rank'), width: 0.6, align: 'right' },
      { header: t('col.item'), width: 6 },
      { header: t('col.section'), width: 1.6 },
      { header: t('col.failure_rate'), width: 1.3, align: 'right' },
      { header: t('col.failed'), width: 1.5, align: 'right' },
    ],
    problems
      .slice(0, limit)
      .map((p, i) => [
        String(i + 1),
        textOf(p.text, lang),
        sectionLabel(t, p.sectionKey),
        percent(p.failureRate),
        `${p.failed} / ${p.applicable}`,
      ]),
    { emptyText: t('no_problems') },
  );
}

export function violationsTable(c: Ctx, violations: Violation[], withBranch = true): void {
  const { r, t, lang, s } = c;
  r.h1(t('h.violations'));
  const cols: Column[] = [
    ...(withBranch
      ? [
          { header: t('col.code'), width: 1.2 },
          { header: t('col.branch'), width: 2.2 },
          { header: t('col.region'), width: 1.2 },
        ]
      : []),
    { header: t('col.visit_date'), width: 1.3 },
    { header: t('col.section'), width: 1.4 },
    { header: t('col.item'), width: 4.5 },
  ];
  r.table(
    cols,
    violations.map((v): Row => [
      ...(withBranch ? [v.branchCode, v.branchName, v.region] : []),
      date(v.visitedAt, s.bank.timezone),
      sectionLabel(t, v.sectionKey),
      {
        // Worded as the failure ("Guaranteed returns were promised"); older snapshots have the item's text only.
        text: v.dispute
          ? `${textOf(v.failure ?? v.text, lang)} ${disputeTag(t, v.dispute)}`
          : textOf(v.failure ?? v.text, lang),
        color: COLORS.bad,
      },
    ]),
    { emptyText: t('no_violations') },
  );
}

/** Sample sizes and the scoring rules, so that every number in the report can be explained. */
export function methodNotes(c: Ctx, sample: string, extra: string[] = []): void {
  const { r, t, s } = c;
  r.h1(t('h.method'));
  const weights = s.questionnaires.length
    ? s.questionnaires[s.questionnaires.length - 1].sectionWeights
        .map((w) => `${sectionLabel(t, w.key)} ${w.weight}`)
        .join(', ')
    : '–';
  r.bullets([
    sample,
    t('method.counted', { timezone: s.bank.timezone }),
    t('method.items'),
    ...(s.questionnaires.some((q) => q.rich) ? [t('method.items_rich')] : []),
    t('method.section'),
    t('method.total', { weights }),
    t('method.rollup'),
    t('method.problems'),
    t('method.rounding'),
    // Snapshots taken before SPEC §11 carry no intervals: their notes stay as they were.
    ...(s.bankFigures.confidence ? [t('method.interval'), t('method.change'), t('method.small')] : []),
    ...(typeof s.calibrationAlpha === 'number'
      ? [t('method.calibration', { alpha: s.calibrationAlpha.toFixed(2) })]
      : []),
    t('method.questionnaires', { list: s.questionnaires.map((q) => `${q.name} v${q.version}`).join(', ') || '–' }),
    ...extra,
    t('method.snapshot', { version: s.version }),
  ]);
}

/** Executive-summary sentences from the numbers, for a bank or region. */
export function areaSample(c: Ctx, area: AreaFigures): string {
  return c.t('method.sample', { visits: area.n, branches: area.branches, branchesTotal: area.branchesTotal });
}

export function areaSummary(c: Ctx, area: AreaFigures, violations: Violation[], problems: KeyProblem[]): string[] {
  const { t, s, lang } = c;
  const lines = [
    t('summary.scope', {
      quarter: s.quarter,
      visits: area.n,
      branches: area.branches,
      branchesTotal: area.branchesTotal,
    }),
  ];
  if (area.n === 0) return [...lines, t('no_data')];
  const previous = area.trend.length > 1 ? area.trend[area.trend.length - 2] : null;
  const delta =
    area.previous && typeof area.previous.total === 'number'
      ? t('summary.change', {
          delta: change(area.total, area.previous.total),
          previous: previous?.quarter ?? t('previous'),
        })
      : '';
  lines.push(t('summary.total', { total: score(area.total), change: delta }));
  const scored = SECTIONS.filter((k) => typeof area.sections[k] === 'number');
  if (scored.length) {
    const sorted = [...scored].sort((a, b) => (area.sections[b] as number) - (area.sections[a] as number));
    const best = sorted[0];
    const worst = sorted[sorted.length - 1];
    lines.push(
      t('summary.best_worst', {
        best: sectionLabel(t, best),
        bestScore: score(area.sections[best]),
        worst: sectionLabel(t, worst),
        worstScore: score(area.sections[worst]),
      }),
    );
  }
  if (area.spread)
    lines.push(
      t('summary.spread', {
        min: score(area.spread.min),
        max: score(area.spread.max),
        stdev: score(area.spread.stdev),
      }),
    );
  lines.push(
    violations.length
      ? t('summary.violations', {
          count: violations.length,
          branches: new Set(violations.map((v) => v.branchCode)).size,
        })
      : t('summary.no_violations'),
  );
  const top = problems[0];
  if (top)
    lines.push(
      t('summary.problem', {
        item: textOf(top.text, lang),
        rate: percent(top.failureRate),
        failed: top.failed,
        applicable: top.applicable,
      }),
    );
  return lines;
}

export function previousQuarterOf(area: AreaFigures): string | null {
  return area.trend.length > 1 ? area.trend[area.trend.length - 2].quarter : null;
}
