import type { Principal } from '../../platform/access';
import { getAssignment, type AssignmentView } from '../../assignments/service';
import { getBank, type BankView } from '../../banks/service';
import type { Locale } from '../../platform/i18n';
import { getVersion, type QuestionnaireVersionView } from '../../questionnaires/service';
import { flash, type PageContext } from '../../web/render';
import { getVisit } from '../service';
import { attachmentLink } from '../links';
import { EDITABLE } from '../types';
import type { VisitView } from '../view';

/** What the visit pages share: who may use them, loading a visit with its questionnaire and bank, labels. */
export const AUDITOR = ['auditor'] as const;
export const REVIEWER = ['reviewer'] as const;
export const QUEUE = ['reviewer', 'admin'] as const;
/** The statuses in which the auditor may still change the visit. */
export const EDITABLE_STATUS = new Set<string>(EDITABLE);
export { attachmentLink, INLINE_IMAGES } from '../links';

// ---- labels

export const statusLabel = (t: PageContext['t'], status: string) => t(`visits.status.${status}`);
export const sectionLabel = (t: PageContext['t'], key: string) => t(`visits.section.${key}`);
export const flagLabel = (t: PageContext['t'], f: { code: string; message: string }) =>
  labelOr(t, `visits.flag.${f.code}`, f.message);
export const itemText = (locale: Locale, text: { zh: string; en: string }) =>
  locale === 'en' ? text.en || text.zh : text.zh || text.en;

/** A translation, or the fallback when the key is unknown (a new action or flag code still shows). */
export function labelOr(t: PageContext['t'], key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}

// ---- loading what the form and the read view need

export interface Loaded {
  visit: VisitView;
  version: QuestionnaireVersionView;
  bank: BankView;
}

export async function loadForPage(p: Principal, id: string): Promise<Loaded> {
  const visit = await getVisit(p, id);
  const [version, bank] = await Promise.all([
    getVersion(visit.questionnaireId, visit.questionnaireVersion),
    getBank(p, visit.bankId),
  ]);
  return { visit, version, bank };
}

/** The visit's assignment (scenario, window); only its owner and admins may read assignments. */
export async function assignmentOf(p: Principal, v: VisitView): Promise<AssignmentView | undefined> {
  if (p.role !== 'auditor' && p.role !== 'admin') return undefined;
  try {
    return await getAssignment(p, v.assignmentId);
  } catch {
    return undefined;
  }
}

export async function scenarioOf(p: Principal, v: VisitView): Promise<string | undefined> {
  return (await assignmentOf(p, v))?.scenario;
}

/** The visit's evidence; a file that names an item says which (by the item's text). */
export function attachmentsView(
  v: VisitView,
  items?: ReadonlyMap<string, { text: { zh: string; en: string } }>,
  locale: Locale = 'zh',
) {
  return v.attachments.map((a) => {
    const item = a.itemKey ? items?.get(a.itemKey) : undefined;
    return { ...attachmentLink(v.id, a), ...(item ? { itemLabel: itemText(locale, item.text) } : {}) };
  });
}

/** The visit changed state meanwhile (submitted elsewhere, reviewed): its read view says what it is now. */
export function redirectStale(ctx: PageContext, id: string): void {
  flash(ctx.req, 'error', ctx.t('visits.err.invalid_state'));
  ctx.res.redirect(303, `/visits/${id}`);
}
