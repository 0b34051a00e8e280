import { getBank, listBanks } from '../../banks/service';
import { getAssignment } from '../../assignments/service';
import { toAppError } from '../../platform/http/error-handler';
import { MAX_LIMIT } from '../../platform/http/paging';
import { parseBody } from '../../platform/http/validation';
import { DEFAULT_TIMEZONE } from '../../rules/quarters';
import { formatScore } from '../../rules/scoring';
import { formBody, formFailure, param } from '../../web/forms';
import { localInputToIso, nowLocalInput, showSpan, showTime } from '../../web/local-time';
import { flash, page, render, type PageContext } from '../../web/render';
import { createVisitBody } from '../schema';
import { createVisit, getAssignmentWithVisit, listAssignmentsWithVisits, reviewQueue } from '../service';
import { assignmentList, readListQuery } from './assignment-list';
import { minutesOrRaw, outsideWindowText } from './form';
import { AUDITOR, EDITABLE_STATUS, flagLabel, QUEUE } from './shared';

/**
 * The two lists visits start from: the auditor's assignments (starting the visit of one: visit time and
 * duration first, then the form) and the reviewer's queue of submitted visits.
 */

// ---- the auditor's assignments

interface StartForm {
  assignmentId: string;
  values: Record<string, string>;
  errors: Record<string, string>;
  general: string[];
  /** The time was refused as outside the window: the form offers to confirm it. */
  confirm?: boolean;
}

async function showAssignments(ctx: PageContext, start?: StartForm, status = 200): Promise<void> {
  const [{ rows }, banks] = await Promise.all([
    listAssignmentsWithVisits(ctx.user, { limit: MAX_LIMIT }),
    listBanks(ctx.user),
  ]);
  const zones = new Map(banks.map((b) => [b.id, b.timezone]));
  const listed = assignmentList(ctx, rows, readListQuery(ctx.req.query));
  // A start that failed is shown first, whatever the filter, so its messages are seen.
  const failedRow = start ? rows.find((a) => a.id === start.assignmentId) : undefined;
  const shown = failedRow ? [failedRow, ...listed.rows.filter((a) => a.id !== failedRow.id)] : listed.rows;
  const assignments = shown.map((a) => {
    const tz = zones.get(a.bankId) ?? DEFAULT_TIMEZONE;
    const failed = start?.assignmentId === a.id ? start : undefined;
    return {
      ...a,
      timezone: tz,
      window: showSpan(a.windowStart, a.windowEnd, tz),
      statusLabel: a.visitStatus ? ctx.t(`visits.status.${a.visitStatus}`) : ctx.t('visits.assign.not_started'),
      editable: a.visitStatus ? EDITABLE_STATUS.has(a.visitStatus) : false,
      start: failed ?? { values: { visitedAt: nowLocalInput(tz), durationMinutes: '' }, errors: {}, general: [] },
      open: Boolean(failed),
    };
  });
  render(
    ctx.req,
    ctx.res,
    'pages/visits/assignments',
    {
      title: ctx.t('visits.assign.title'),
      assignments,
      filters: listed.filters,
      paging: listed.paging,
      empty: rows.length ? listed.empty : ctx.t('visits.assign.none'),
      // The phone's queue sends only this user's writes (public/offline-queue.js).
      offlineUser: ctx.user.id,
    },
    status,
  );
}

export const assignmentsPage = page(AUDITOR, (ctx) => showAssignments(ctx));

/** Creates the draft through the visits service; a second tap on "start" opens the visit the first one made. */
export const startVisitPage = page(AUDITOR, async (ctx) => {
  const assignment = await getAssignment(ctx.user, param(ctx.req, 'assignmentId'));
  const { timezone } = await getBank(ctx.user, assignment.bankId);
  const f = formBody(ctx.req);
  const at = (f.visitedAt ?? '').trim();
  const input = {
    assignmentId: assignment.id,
    visitedAt: localInputToIso(at, timezone) ?? at,
    durationMinutes: minutesOrRaw(f.durationMinutes),
    staff: [],
    answers: [],
    ...(f.confirmOutsideWindow ? { confirmOutsideWindow: true } : {}),
  };
  try {
    // The list's script (public/offline-start.js) sends the key its queued start would use: if this
    // answer is lost, the queued start finds this visit instead of making another.
    const key = ctx.req.get('idempotency-key') || undefined;
    const visit = await createVisit(ctx.user, parseBody(createVisitBody, input), key);
    flash(ctx.req, 'ok', ctx.t('visits.assign.started'));
    ctx.res.redirect(303, `/visits/${visit.id}/edit`);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'visit_exists') {
      const existing =
        err.details.find((d) => typeof d.visitId === 'string')?.visitId ??
        (await getAssignmentWithVisit(ctx.user, assignment.id)).visitId;
      if (existing) return ctx.res.redirect(303, `/visits/${String(existing)}/edit`);
    }
    const failed = formFailure(e, ctx.locale, { visitedAt: 'visitedAt', durationMinutes: 'durationMinutes' }, input);
    if (!failed) throw e;
    if (failed.errors.visitedAt)
      failed.errors.visitedAt =
        err.code === 'outside_window'
          ? outsideWindowText(ctx.locale, err.details[0] ?? {}, timezone)
          : ctx.t('visits.edit.bad_time');
    if (failed.errors.durationMinutes) failed.errors.durationMinutes = ctx.t('visits.edit.bad_duration');
    const values = { visitedAt: f.visitedAt ?? '', durationMinutes: f.durationMinutes ?? '' };
    await showAssignments(
      ctx,
      {
        assignmentId: assignment.id,
        values,
        errors: failed.errors,
        general: failed.general,
        confirm: err.code === 'outside_window',
      },
      failed.status,
    );
  }
});

// ---- the reviewer's queue

export const queuePage = page(QUEUE, async (ctx) => {
  const [{ rows, next }, banks] = await Promise.all([reviewQueue(ctx.user), listBanks(ctx.user)]);
  const byId = new Map(banks.map((b) => [b.id, b]));
  render(ctx.req, ctx.res, 'pages/review/queue', {
    title: ctx.t('visits.queue.title'),
    more: next ? ctx.t('visits.queue.more', { n: rows.length }) : null,
    rows: rows.map((r) => {
      const bank = byId.get(r.bankId);
      const tz = bank?.timezone ?? DEFAULT_TIMEZONE;
      return {
        ...r,
        bankCode: bank?.code ?? '',
        submitted: showTime(r.submittedAt, tz),
        visited: showTime(r.visitedAt, tz),
        total: formatScore(r.total),
        flags: r.flags.map((f) => flagLabel(ctx.t, f)),
      };
    }),
  });
});
