import { findBranch } from '../banks/service';
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
