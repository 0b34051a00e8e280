import type { QuestionnaireItem } from '../../questionnaires/service';
import { answerInWords } from '../../rules/answer-words';
import type { PageContext } from '../../web/render';
import { itemText, labelOr, sectionLabel, statusLabel } from './shared';

/**
 * A history line in words (issue 20): "Greeted within 30 s: – → Yes", never `answers.g_greet_30s: – → yes`.
 * The field is named by the item's text or a dictionary word; answers (every item type, as the
 * questionnaire words them), statuses and dispute decisions are shown as the pages show them elsewhere.
 */
export interface ChangeWords {
  field: string;
  /** The value is an answer / a status (shown in words), or anything else (shown by the caller). */
  kind: 'answer' | 'status' | 'decision' | 'other';
  /** The answered item, for an answer. */
  item?: QuestionnaireItem;
}

export function changeWords(ctx: PageContext, field: string, items: Map<string, QuestionnaireItem>): ChangeWords {
  const parts = field.split('.');
  const found = items.get(parts[1] ?? '');
  const item = found ? itemText(ctx.locale, found.text) : ctx.t('visits.history.item_removed');
  if (parts[0] === 'answers' && parts.length === 2) return { field: item, kind: 'answer', item: found };
  if (parts[0] === 'answers' && parts[2] === 'comment')
    return { field: ctx.t('visits.history.comment_on', { item }), kind: 'other' };
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
export function valueWords(ctx: PageContext, words: ChangeWords, v: unknown): string | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  if (words.kind === 'answer' && words.item) return answerInWords(words.item, v, ctx.locale);
  if (words.kind === 'status' && typeof v === 'string') return statusLabel(ctx.t, v);
  if (words.kind === 'decision') {
    const status = typeof v === 'string' ? v : (v as { status?: unknown }).status;
    return typeof status === 'string' ? ctx.t(`disputes.status.${status}`) : undefined;
  }
  return undefined;
}
