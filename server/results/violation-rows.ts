import { findBranch } from '../banks/service';
import { config } from '../platform/config';
import { inLang } from '../rules/answer-words';
import type { PageContext } from '../web/render';
import type { ViolationView } from './types';

/**
 * The dashboard's violations in words (issue 20): the visit is named by its branch — "城东支行 (N1)" —
 * and opened by a link that says so, never shown as its database id.
 */
export async function violationRows(ctx: PageContext, bankId: string, rows: ViolationView[]) {
  const names = new Map<string, string>();
  for (const code of new Set(rows.map((x) => x.branchCode))) {
    const b = await findBranch(bankId, code);
    names.set(code, b ? `${b.name} (${code})` : code);
  }
  return rows.map((x) => ({
    ...x,
    branch: names.get(x.branchCode) ?? x.branchCode,
    section: x.sectionKey ? ctx.t(`results.section.${x.sectionKey}`) : '',
    text: inLang(x.failure ?? x.text, ctx.locale),
  }));
}

/**
 * A large bank has thousands of violations in a quarter (11,838 in the benchmark's): the page shows
 * them RESULTS_VIOLATIONS_ON_ONE_PAGE at a time, in the order the results give (branch code), with the
 * count and links to the pages before and after; branch names are looked up for the rows shown only.
 */
export async function violationPage(
  ctx: PageContext,
  bankId: string,
  all: ViolationView[],
  asked: number | undefined,
  hrefOf: (page: number) => string,
) {
  const n = config().RESULTS_VIOLATIONS_ON_ONE_PAGE;
  const pages = Math.max(1, Math.ceil(all.length / n));
  const current = Math.min(Math.max(1, asked ?? 1), pages);
  const from = (current - 1) * n;
  const rows = await violationRows(ctx, bankId, all.slice(from, from + n));
  if (pages === 1) return { rows, pager: null };
  return {
    rows,
    pager: {
      shown: ctx.t('results.violations_shown', { from: from + 1, to: from + rows.length, total: all.length }),
      previous: current > 1 ? { href: hrefOf(current - 1), label: ctx.t('results.violations_previous', { n }) } : null,
      next: current < pages ? { href: hrefOf(current + 1), label: ctx.t('results.violations_next', { n }) } : null,
    },
  };
}
