import { formatScore, SECTION_KEYS } from '../../rules/scoring';
import type { Principal } from '../../platform/access';
import { toAppError } from '../../platform/http/error-handler';
import { parseBody } from '../../platform/http/validation';
import type { QuestionnaireItem, QuestionnaireVersionView } from '../../questionnaires/service';
import { getUser } from '../../users/service';
import { blankToUndefined, formBody, formFailure, param } from '../../web/forms';
import { showTime } from '../../web/local-time';
import { flash, page, render, type PageContext } from '../../web/render';
import { reviewVisitBody } from '../schema';
import { reviewVisit } from '../service';
import type { VisitView } from '../view';
import { answerInWords, failureWithAnswer } from '../../rules/answer-words';
import { applicableKeys } from '../../rules/scoring';
import {
  attachmentsView,
  EDITABLE_STATUS,
  flagLabel,
  itemText,
  labelOr,
  loadForPage,
  redirectStale,
  REVIEWER,
  scenarioOf,
  sectionLabel,
  statusLabel,
  type Loaded,
} from './shared';

/** The read view of a visit, for everyone who may see it, with the reviewer's approve / return form. */

function formatValue(v: unknown, timezone: string, field: string): string {
  if (v === null || v === undefined || v === '') return '–';
  if (field === 'visitedAt' && typeof v === 'string') return showTime(v, timezone);
  if (Array.isArray(v)) return v.map((x) => formatValue(x, timezone, '')).join(', ') || '–';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const label = o.name ?? o.filename ?? o.employeeId ?? o.description;
    return typeof label === 'string' ? label : JSON.stringify(v);
  }
  return String(v);
}

/** Names of the firm's people in the history, for the firm's own staff only (bank users see roles and the pseudonym). */
async function historyNames(p: Principal, v: VisitView): Promise<Map<string, string>> {
  if (p.role !== 'admin' && p.role !== 'reviewer') return new Map();
  const ids = [...new Set(v.history.flatMap((h) => (h.by ? [h.by] : [])))];
  const users = await Promise.all(
    ids.map((id) =>
      getUser(id).then(
        (u) => [id, u.name] as const,
        () => [id, id] as const,
      ),
    ),
  );
  return new Map(users);
}

/** The role, and the person's name for firm staff; bank users see the auditor's pseudonym at most. */
function historyWho(
  t: PageContext['t'],
  h: VisitView['history'][number],
  v: VisitView,
  names: Map<string, string>,
): string {
  if (h.role === 'system') return t('visits.view.history_system');
  const person = h.by ? (names.get(h.by) ?? (h.role === 'auditor' ? v.auditorCode : undefined)) : undefined;
  return [t(`role.${h.role}`), person].filter(Boolean).join(' · ');
}

type Items = Map<string, QuestionnaireItem>;

/** A change as a person reads it: an answer's item by its text and the answers in words, never keys or codes. */
function changeView(ctx: PageContext, items: Items, c: VisitView['history'][number]['changes'][number], tz: string) {
  const answer = /^answers\.(.+?)(\.comment)?$/.exec(c.field);
  const item = answer ? items.get(answer[1]) : undefined;
  if (answer && item && !answer[2]) {
    const words = (x: unknown) => (x === null || x === undefined ? '–' : answerInWords(item, x, ctx.locale));
    return { field: itemText(ctx.locale, item.text), before: words(c.before), after: words(c.after) };
  }
  return {
    field: item ? `${itemText(ctx.locale, item.text)} · ${ctx.t('visits.edit.comment')}` : c.field,
    before: formatValue(c.before, tz, c.field),
    after: formatValue(c.after, tz, c.field),
  };
}

function historyView(ctx: PageContext, v: VisitView, timezone: string, names: Map<string, string>, items: Items) {
  return [...v.history].reverse().map((h) => ({
    at: showTime(h.at, timezone),
    who: historyWho(ctx.t, h, v, names),
    action: labelOr(ctx.t, `visits.action.${h.action}`, h.action),
    note: h.note,
    changes: h.changes.map((c) => changeView(ctx, items, c, timezone)),
  }));
}

function answerSections(ctx: PageContext, version: QuestionnaireVersionView, v: VisitView) {
  const answers = new Map(v.answers.map((a) => [a.itemKey, a]));
  const violated = new Set(v.violations.map((x) => x.itemKey));
  const asked = applicableKeys(version.sections, v.answers);
  return SECTION_KEYS.flatMap((key) => {
    const s = version.sections.find((x) => x.key === key);
    if (!s || s.items.length === 0) return [];
    return [
      {
        // Not `score`: that name is a template helper.
        key,
        label: sectionLabel(ctx.t, key),
        sectionScore: formatScore(v.scores.sections[key]),
        items: s.items.map((i) => ({
          key: i.key,
          text: itemText(ctx.locale, i.text),
          critical: i.critical,
          violated: violated.has(i.key),
          // Not asked: its condition on an earlier answer is not met (not applicable, like N/A).
          answer: asked.has(i.key) ? answerInWords(i, answers.get(i.key)?.value, ctx.locale) : ctx.t('items.not_asked'),
          unanswered: !answers.has(i.key),
          comment: answers.get(i.key)?.comment,
        })),
      },
    ];
  });
}

interface ReviewState {
  errors: Record<string, string>;
  general: string[];
  note: string;
}

async function showVisit(ctx: PageContext, loaded: Loaded, review?: ReviewState, status = 200): Promise<void> {
  const { visit: v, version, bank } = loaded;
  const firm = ctx.user.role === 'admin' || ctx.user.role === 'reviewer';
  const [scenario, names] = await Promise.all([scenarioOf(ctx.user, v), historyNames(ctx.user, v)]);
  const items: Items = new Map(version.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  const answers = new Map(v.answers.map((a) => [a.itemKey, a.value]));
  const auditorName =
    firm && v.auditorId
      ? (names.get(v.auditorId) ??
        (await getUser(v.auditorId).then(
          (u) => u.name,
          () => undefined,
        )))
      : undefined;
  render(
    ctx.req,
    ctx.res,
    'pages/visits/show',
    {
      title: `${ctx.t('visits.view.title')} · ${v.branchName}`,
      v,
      bank,
      scenario,
      auditor: [auditorName, v.auditorCode].filter(Boolean).join(' · '),
      statusLabel: statusLabel(ctx.t, v.status),
      visitedAt: showTime(v.visitedAt, bank.timezone),
      submittedAt: showTime(v.submittedAt, bank.timezone),
      approvedAt: showTime(v.approvedAt, bank.timezone),
      canEdit: ctx.user.role === 'auditor' && EDITABLE_STATUS.has(v.status),
      canReview: ctx.user.role === 'reviewer' && v.status === 'submitted',
      showNote: Boolean(v.reviewNote) && (v.status === 'returned' || firm),
      scores: [
        ...SECTION_KEYS.map((k) => ({ label: sectionLabel(ctx.t, k), value: formatScore(v.scores.sections[k]) })),
        { label: ctx.t('visits.view.total'), value: formatScore(v.scores.total), total: true },
      ],
      // Worded as the failure, with the answer that made it ("Waiting time: 35 min").
      violations: v.violations.map((x) => {
        const item = items.get(x.itemKey);
        return {
          key: x.itemKey,
          section: sectionLabel(ctx.t, x.sectionKey),
          text: item ? failureWithAnswer(item, answers.get(x.itemKey), ctx.locale) : x.itemKey,
        };
      }),
      flags: v.flags.map((f) => ({ label: flagLabel(ctx.t, f), visitIds: f.visitIds ?? [] })),
      sections: answerSections(ctx, version, v),
      attachments: attachmentsView(v, items, ctx.locale),
      history: historyView(ctx, v, bank.timezone, names, items),
      review: review ?? { errors: {}, general: [], note: '' },
    },
    status,
  );
}

export const visitPage = page('authenticated', async (ctx) => {
  await showVisit(ctx, await loadForPage(ctx.user, param(ctx.req, 'visitId')));
});

export const reviewPage = page(REVIEWER, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  const f = formBody(ctx.req);
  const input = { decision: f.decision ?? '', note: blankToUndefined(f.note)?.trim() };
  try {
    const v = await reviewVisit(ctx.user, id, parseBody(reviewVisitBody, input));
    flash(ctx.req, 'ok', ctx.t(v.status === 'approved' ? 'visits.review.approved' : 'visits.review.returned'));
    ctx.res.redirect(303, '/review');
  } catch (e) {
    const err = toAppError(e);
    if (err.status === 409) return redirectStale(ctx, id);
    const failed = formFailure(e, ctx.locale, { note: 'note', decision: 'decision' }, input);
    if (!failed) throw e;
    if (failed.errors.note) failed.errors.note = ctx.t('visits.review.note_required');
    await showVisit(
      ctx,
      await loadForPage(ctx.user, id),
      { errors: failed.errors, general: failed.general, note: f.note ?? '' },
      failed.status,
    );
  }
});
