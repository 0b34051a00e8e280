import type { Router } from 'express';
import { z } from 'zod';
import { bankTimezone, listBanks } from '../banks/service';
import { isBankRole } from '../platform/access';
import { config } from '../platform/config';
import { fields, parseQuery } from '../platform/http/validation';
import { formatScore, SECTION_KEYS } from '../rules/scoring';
import { page, render, type PageContext } from '../web/render';
import { overview } from './overview';
import { shiftQuarter, quarterOf } from '../rules/quarters';
import { branchVisits, quarterResults, RESULTS_ROLES, type ResultRow, type ResultsReport } from './service';
import { barChart, lineChart } from './svg';
import { actionPlansForResults, PLAN_READERS } from '../actions/service';
import { planSection } from './action-plans';
import { violationPage } from './violation-rows';
import { edgeWarning, isSmall, plusMinus, verdict, type Verdict } from './confidence-view';

/** The results dashboards (bank users and admins) and the admin overview across banks. */
export function registerResultsPages(r: Router): void {
  r.get('/results', dashboardPage);
  r.get('/admin/overview', overviewPage);
}

const SORT_COLUMNS = ['key', 'name', 'n', 'total', 'change', ...SECTION_KEYS] as const;
type SortColumn = (typeof SORT_COLUMNS)[number];
const QUARTERS_OFFERED = 8;
/** The dashboard has no staff table, so it skips the staff-name look-up. */
const DASHBOARD_LEVELS = new Set(['bank', 'region', 'branch'] as const);

const dashboardQuery = z.object({
  bankId: fields.objectId.optional(),
  quarter: fields.quarter.optional(),
  region: z.string().trim().min(1).max(100).optional(),
  /** The whole bank's branch table, one region at a time. */
  branchesOf: z.string().trim().min(1).max(100).optional(),
  branchCode: fields.code.optional(),
  /** The violations list, VIOLATIONS_PER_PAGE at a time. */
  violationsPage: z.coerce.number().int().min(1).max(100_000).optional(),
  sort: z
    .string()
    .regex(new RegExp(`^-?(${SORT_COLUMNS.join('|')})$`))
    .optional(),
});
type DashboardQuery = z.infer<typeof dashboardQuery>;

// ---- formatting ----

function signed(v: number | null): string {
  if (v === null) return '';
  const s = formatScore(v);
  return v > 0 && s !== '0.0' ? `+${s}` : s;
}

const change = (now: number | null, before: number | null | undefined): number | null =>
  typeof now === 'number' && typeof before === 'number' ? now - before : null;

const trendClass = (d: number | null) => (d === null ? '' : d > 0.05 ? 'up' : d < -0.05 ? 'down' : 'flat');

function url(q: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
  return `/results?${params.toString()}`;
}

// ---- tables ----

interface TableRow {
  key: string;
  name: string;
  href?: string;
  region?: string;
  n: number;
  branches?: number;
  small: boolean;
  cells: string[];
  total: string;
  change: string;
  changeClass: string;
  spread?: { min: string; max: string; stdev: string };
  benchmark: boolean;
  /** "± 4.3" (SPEC §11), and the change's verdict: significant, not significant, too little data. */
  pm: string;
  verdict: Verdict | null;
  belowBank: boolean;
}

function sortValue(r: ResultRow, col: SortColumn): number | string {
  if (col === 'key' || col === 'name') return r[col];
  if (col === 'n') return r.n;
  if (col === 'total') return r.total ?? -Infinity;
  if (col === 'change') return change(r.total, r.previous?.total) ?? -Infinity;
  return r.sections[col] ?? -Infinity;
}

function sortRows(rows: ResultRow[], sort: string | undefined): ResultRow[] {
  if (!sort) return rows;
  const desc = sort.startsWith('-');
  const col = (desc ? sort.slice(1) : sort) as SortColumn;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, col);
    const y = sortValue(b, col);
    const c = x < y ? -1 : x > y ? 1 : a.key < b.key ? -1 : 1;
    return desc ? -c : c;
  });
}

/** A change is coloured up or down only when it is significant; otherwise it reads in grey. */
const changeClassOf = (d: number | null, v: Verdict | null) =>
  `${trendClass(d)}${v && v.kind !== 'sig' ? ' unsure' : ''}`;

function tableRow(ctx: PageContext, r: ResultRow, href?: string): TableRow {
  const d = change(r.total, r.previous?.total);
  const v = verdict(ctx, r.change);
  return {
    pm: plusMinus(r),
    verdict: v,
    belowBank: r.belowBank === true,
    key: r.key,
    name: r.name,
    href,
    region: r.region,
    n: r.n,
    branches: r.branches,
    small: isSmall(r),
    cells: SECTION_KEYS.map((k) => formatScore(r.sections[k])),
    total: formatScore(r.total),
    change: signed(d),
    changeClass: changeClassOf(d, v),
    spread: r.spread
      ? { min: formatScore(r.spread.min), max: formatScore(r.spread.max), stdev: formatScore(r.spread.stdev) }
      : undefined,
    benchmark: Boolean(r.benchmark),
  };
}

/** Column headers as links: clicking the sorted column again reverses it. */
function headers(ctx: PageContext, base: Record<string, string | undefined>, current: string | undefined) {
  const cols: { col: SortColumn; label: string }[] = [
    { col: 'key', label: ctx.t('results.code') },
    { col: 'name', label: ctx.t('results.name') },
    { col: 'n', label: 'n' },
    // Total and change first, so they stay in view on a phone; the dimensions scroll.
    { col: 'total', label: ctx.t('results.total') },
    { col: 'change', label: ctx.t('results.change_short') },
    ...SECTION_KEYS.map((k) => ({ col: k, label: ctx.t(`results.section.${k}`) })),
  ];
  return cols.map(({ col, label }) => {
    const active = current === col || current === `-${col}`;
    // Text sorts A→Z first, numbers best-first; clicking the active column flips it.
    const first = col === 'key' || col === 'name' ? col : `-${col}`;
    const flipped = first.startsWith('-') ? col : `-${col}`;
    const next = current === first ? flipped : first;
    return {
      label,
      href: url({ ...base, sort: next }),
      active,
      arrow: !active ? '' : current?.startsWith('-') ? '▼' : '▲',
      title: ctx.t('results.sort_by', { column: label }),
    };
  });
}

// ---- the dashboard ----

function quarterOptions(current: string, selected: string): { value: string; selected: boolean }[] {
  const list = Array.from({ length: QUARTERS_OFFERED }, (_, i) => shiftQuarter(current, -i));
  if (!list.includes(selected)) list.push(selected);
  return list
    .sort()
    .reverse()
    .map((q) => ({ value: q, selected: q === selected }));
}

function headline(ctx: PageContext, r: ResultsReport) {
  const s = r.summary;
  const conf = s.confidence;
  const card = (label: string, now: number | null, before: number | null | undefined, c = conf?.total) => {
    const d = change(now, before);
    const v = verdict(ctx, c?.change);
    return {
      label,
      value: formatScore(now),
      pm: plusMinus(c),
      verdict: v,
      change: signed(d),
      changeClass: changeClassOf(d, v),
      previous: typeof before === 'number' ? formatScore(before) : null,
    };
  };
  return [
    ...SECTION_KEYS.map((k) =>
      card(ctx.t(`results.section.${k}`), s.sections[k], s.previous?.sections[k], conf?.sections[k]),
    ),
    card(ctx.t('results.total'), s.total, s.previous?.total),
  ];
}

function charts(ctx: PageContext, r: ResultsReport) {
  const s = r.summary;
  const bars = barChart(
    [
      ...SECTION_KEYS.map((k) => ({
        label: ctx.t(`results.section.${k}`),
        value: s.sections[k],
        previous: s.previous?.sections[k] ?? null,
        ci95: s.confidence?.sections[k].ci95,
      })),
      { label: ctx.t('results.total'), value: s.total, previous: s.previous?.total ?? null, ci95: s.ci95 },
    ],
    {
      title: ctx.t('results.chart.dimensions', { quarter: r.quarter, previous: r.previousQuarter }),
      current: r.quarter,
      previous: s.previous ? r.previousQuarter : undefined,
    },
  );
  const trend = lineChart(
    r.trend.map((t) => ({ label: t.quarter, value: t.total, ci95: t.ci95 })),
    { title: ctx.t('results.chart.trend'), none: '–' },
  );
  return { bars, trend };
}

/** Bank users look at their own bank unless they name one (another bank then gives 404). */
const bankOf = (ctx: PageContext, q: DashboardQuery): string | undefined =>
  isBankRole(ctx.user.role) ? (q.bankId ?? ctx.user.bankId) : q.bankId;

const dashboardPage = page(RESULTS_ROLES, async (ctx) => {
  const q = parseQuery(dashboardQuery, ctx.req.query);
  const bankId = bankOf(ctx, q);
  const banks = ctx.user.role === 'admin' ? await listBanks(ctx.user) : [];
  if (!bankId) {
    const now = quarterOf(new Date());
    render(ctx.req, ctx.res, 'pages/results/dashboard', {
      title: ctx.t('results.title'),
      banks,
      quarters: quarterOptions(now, now),
      chooseBank: true,
    });
    return;
  }
  const thisQuarter = quarterOf(new Date(), (await bankTimezone(bankId)) ?? 'Asia/Shanghai');
  const quarter = q.quarter ?? thisQuarter;
  const r = await quarterResults(
    ctx.user,
    {
      bankId,
      quarter,
      region: q.region,
      branchCode: q.branchCode,
      branchesOf: await branchPage(ctx, bankId, quarter, q),
    },
    DASHBOARD_LEVELS,
  );
  const base = {
    bankId: ctx.user.role === 'admin' ? bankId : undefined,
    quarter,
    region: q.region,
    branchCode: q.branchCode,
    branchesOf: q.branchesOf,
  };
  const pagedBy = r.focus.type === 'bank' && r.regions.length > 1 ? pageOfRegions(r, q, base) : null;
  const bankBase = { bankId: base.bankId, quarter };
  const visits =
    r.focus.type === 'branch' ? await branchVisits(ctx.user, { bankId, quarter, branchCode: r.focus.key }) : [];
  const hasData = r.summary.n > 0;
  const violations = await violationPage(
    ctx,
    bankId,
    r.violations,
    q.violationsPage,
    (n) => `${url({ ...base, sort: q.sort, violationsPage: String(n) })}#violations`,
  );
  // HR sees results but not action plans (the plans page is for managers and the firm).
  const plans = PLAN_READERS.includes(ctx.user.role)
    ? planSection(ctx, quarter, r.previousQuarter, await actionPlansForResults(ctx.user, r))
    : null;
  render(ctx.req, ctx.res, 'pages/results/dashboard', {
    title: ctx.t('results.title'),
    r,
    base,
    hasData,
    banks: banks.map((b) => ({ ...b, selected: b.id === bankId })),
    quarters: quarterOptions(thisQuarter, quarter),
    scopeLabel: ctx.t(`results.scope.${r.focus.type}`, { name: r.focus.name }),
    crumbs: [
      { label: r.bankName, href: url(bankBase) },
      ...(r.focus.region ? [{ label: r.focus.region, href: url({ ...bankBase, region: r.focus.region }) }] : []),
      ...(r.focus.type === 'branch'
        ? [{ label: `${r.focus.key} ${r.focus.name}`, href: url({ ...bankBase, branchCode: r.focus.key }) }]
        : []),
    ],
    sample: ctx.t('results.sample', { n: r.summary.n, branches: r.summary.branches ?? 0 }),
    smallSample: hasData && isSmall(r.summary),
    cards: headline(ctx, r),
    charts: hasData ? charts(ctx, r) : null,
    changeLabel: ctx.t('results.change', { quarter: r.previousQuarter }),
    spread: r.summary.spread && r.summary.branches && r.summary.branches > 1 ? tableRow(ctx, r.summary).spread : null,
    benchmark: r.focus.type === 'bank' ? null : r.bank ? tableRow(ctx, r.bank) : null,
    benchmarkWithheld: r.focus.type !== 'bank' && !r.bank && hasData,
    regions:
      r.focus.type === 'bank' || r.focus.type === 'branches'
        ? sortRows(r.regions, q.sort).map((x) => tableRow(ctx, x, url({ ...bankBase, region: x.key })))
        : [],
    branches:
      r.focus.type === 'branch'
        ? []
        : sortRows(r.branches, q.sort).map((x) => tableRow(ctx, x, url({ ...bankBase, branchCode: x.key }))),
    regionEdge: edgeWarning(ctx, sortRows(r.regions, q.sort)),
    branchEdge: r.focus.type === 'branch' ? null : edgeWarning(ctx, sortRows(r.branches, q.sort)),
    headers: headers(ctx, base, q.sort),
    branchPages: pagedBy,
    visits: visits.map((v) => ({
      ...v,
      total: formatScore(v.total),
      statusLabel: ctx.t(`results.status.${v.status}`),
    })),
    keyProblems: r.keyProblems.map((k) => ({
      ...k,
      text: ctx.locale === 'en' ? k.text.en : k.text.zh,
      section: ctx.t(`results.section.${k.sectionKey}`),
      rate: `${formatScore(k.failureRate * 100)}%`,
    })),
    violations: violations.rows,
    violationPager: violations.pager,
    sectionLabels: SECTION_KEYS.map((k) => ctx.t(`results.section.${k}`)),
    plans,
  });
});

/**
 * The whole bank's branch table comes one region at a time: a bank of 25,000 branches would
 * otherwise send them all at once. Up to RESULTS_BRANCHES_ON_ONE_PAGE visited branches show at once.
 */
async function branchPage(ctx: PageContext, bankId: string, quarter: string, q: DashboardQuery) {
  if (q.region || q.branchCode) return undefined;
  if (q.branchesOf) return q.branchesOf;
  const whole = await quarterResults(
    ctx.user,
    { bankId, quarter, withoutViolations: true },
    new Set(['region'] as const),
  );
  if ((whole.summary.branches ?? 0) <= config().RESULTS_BRANCHES_ON_ONE_PAGE) return undefined;
  return whole.regions[0]?.key;
}

function pageOfRegions(r: ResultsReport, q: DashboardQuery, base: Record<string, string | undefined>) {
  const shown =
    q.branchesOf ??
    (r.branches.length && r.branches.length < (r.summary.branches ?? 0) ? r.branches[0].region : undefined);
  if (!shown) return null;
  return r.regions.map((x) => ({
    label: x.key,
    href: `${url({ ...base, branchesOf: x.key, sort: q.sort })}#branches`,
    current: x.key === shown,
  }));
}

// ---- the admin overview ----

const overviewQuery = z.object({ quarter: fields.quarter.optional() });

const overviewPage = page(['admin'], async (ctx) => {
  const { quarter: asked } = parseQuery(overviewQuery, ctx.req.query);
  const now = quarterOf(new Date());
  const o = await overview(ctx.user, asked ?? now);
  render(ctx.req, ctx.res, 'pages/results/overview', {
    title: ctx.t('results.overview.title'),
    quarter: o.quarter,
    quarters: quarterOptions(now, o.quarter),
    states: ['draft', 'submitted', 'returned', 'approved', 'disputed'].map((s) => ({
      key: s,
      label: ctx.t(`results.overview.state.${s}`),
    })),
    banks: o.banks.map((b) => ({
      ...b,
      counts: [b.visits.draft, b.visits.submitted, b.visits.returned, b.visits.approved, b.visits.disputed],
      coveragePct: b.coverage === null ? '–' : `${formatScore(b.coverage * 100)}%`,
      href: url({ bankId: b.bankId, quarter: o.quarter }),
    })),
  });
});
