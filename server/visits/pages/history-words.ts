import type { PageContext } from '../../web/render';
import { answerLabel, labelOr, sectionLabel, statusLabel } from './shared';

/**
 * A history line in words (issue 20): "Greeted within 30 s: – → Yes", never `answers.g_greet_30s: – → yes`.
 * The field is named by the item's text or a dictionary word; answers, statuses and dispute
 * decisions are shown as the pages show them elsewhere.
 */
export interface ChangeWords {
  field: string;
  /** The value is an answer / a status (shown in words), or anything else (shown by the caller). */
  kind: 'answer' | 'status' | 'decision' | 'other';
}

export function changeWords(ctx: PageContext, field: string, texts: Map<string, string>): ChangeWords {
  const parts = field.split('.');
  const item = (key: string) => texts.get(key) ?? ctx.t('visits.history.item_removed');
  if (parts[0] === 'answers' && parts.length === 2) return { field: item(parts[1]), kind: 'answer' };
  if (parts[0] === 'answers' && parts[2] === 'comment')
    return { field: ctx.t('visits.history.comment_on', { item: item(parts[1]) }), kind: 'other' };
  if (parts[0] === 'status') return { field: ctx.t('visits.status'), kind: 'status' };
  if (parts[0] === 'disputes') return { field: ctx.t('visits.history.dispute'), kind: 'decision' };
  if (parts[0] === 'scores' && parts[1] === 'sections' && parts[2])
    return { field: `${ctx.t('visits.view.scores')} · ${sectionLabel(ctx.t, parts[2])}`, kind: 'other' };
  if (parts[0] === 'attachments') return { field: ctx.t('visits.evidence'), kind: 'other' };
  if (parts[0] === 'staff') return { field: ctx.t('visits.view.staff'), kind: 'other' };
  return {
    field: labelOr(ctx.t, `visits.history.field.${parts.join('_')}`, ctx.t('visits.history.other')),
    kind: 'other',
  };
}

/** A value of a change of that kind in words; undefined when the caller's own formatting applies. */
export function valueWords(ctx: PageContext, kind: ChangeWords['kind'], v: unknown): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (kind === 'answer' && (typeof v === 'string' || typeof v === 'number')) return answerLabel(ctx.t, v);
  if (kind === 'status' && typeof v === 'string') return statusLabel(ctx.t, v);
  if (kind === 'decision') {
    const status = typeof v === 'string' ? v : (v as { status?: unknown }).status;
    return typeof status === 'string' ? ctx.t(`disputes.status.${status}`) : undefined;
  }
  return undefined;
}
