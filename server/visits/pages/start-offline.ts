import { z } from 'zod';
import { getBank } from '../../banks/service';
import type { AssignmentView } from '../../assignments/service';
import { toAppError } from '../../platform/http/error-handler';
import { parseBody } from '../../platform/http/validation';
import { getLatest } from '../../questionnaires/service';
import { localInputToIso } from '../../web/local-time';
import { param } from '../../web/forms';
import { page } from '../../web/render';
import { createVisitBody } from '../schema';
import { createVisit, getAssignmentWithVisit } from '../service';
import type { VisitView } from '../view';
import { minutesOrRaw } from './form';
import { jsonRoute, sendJsonError } from './json-route';
import { showEdit } from './edit';
import { AUDITOR } from './shared';

/**
 * Starting a visit with no connection (SPEC §9 "Offline": the list and every visit form work offline).
 * - GET /assignments/:assignmentId/new: the form of a visit not started yet, kept by the service worker
 *   while the auditor is online (public/offline-start.js warms it from the list). Its visit id is the
 *   phone's own (`new-<assignmentId>`) until the platform has made the visit; once it has, the address
 *   leads to that visit's form.
 * - POST /assignments/:assignmentId/visit: the phone's queue starts the visit (JSON, session CSRF
 *   header, Idempotency-Key kept with the queued item — also stored on the visit by createVisit, so a
 *   retry or a reload never makes two visits). The form's own fields: visit time as typed in the
 *   bank's zone, duration, the confirmation of a time outside the window.
 */
export const localVisitId = (assignmentId: string) => `new-${assignmentId}`;

export const newVisitPage = page(AUDITOR, async (ctx) => {
  const assignment = await getAssignmentWithVisit(ctx.user, param(ctx.req, 'assignmentId'));
  if (assignment.visitId) return ctx.res.redirect(303, `/visits/${assignment.visitId}/edit`);
  const [version, bank] = await Promise.all([
    getLatest(assignment.questionnaireId),
    getBank(ctx.user, assignment.bankId),
  ]);
  await showEdit(ctx, { visit: blankVisit(assignment, version.version), version, bank }, { blank: true });
});

/** What the form shows of a visit that exists only on the phone: nothing answered, nothing attached. */
function blankVisit(a: AssignmentView, questionnaireVersion: number): VisitView {
  const at = new Date().toISOString();
  return {
    id: localVisitId(a.id),
    assignmentId: a.id,
    bankId: a.bankId,
    branchCode: a.branchCode,
    branchName: a.branchName,
    region: a.region,
    auditorCode: null,
    questionnaireId: a.questionnaireId,
    questionnaireVersion,
    quarter: a.quarter,
    visitedAt: at,
    durationMinutes: 0,
    staff: [],
    answers: [],
    summary: null,
    status: 'draft',
    scores: { sections: {}, total: null },
    violations: [],
    flags: [],
    attachments: [],
    locations: [],
    history: [],
    reviewNote: null,
    submittedAt: null,
    approvedAt: null,
    rev: 0,
    createdAt: at,
    updatedAt: at,
  };
}

const startBody = z
  .object({
    visitedAt: z.string().max(40),
    durationMinutes: z.string().max(10).optional(),
    confirmOutsideWindow: z.string().max(5).optional(),
  })
  .passthrough();

export const createVisitJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const assignment = await getAssignmentWithVisit(user, param(req, 'assignmentId'));
  const { timezone } = await getBank(user, assignment.bankId);
  const f = parseBody(startBody, req.body);
  const input = {
    assignmentId: assignment.id,
    visitedAt: localInputToIso(f.visitedAt.trim(), timezone) ?? f.visitedAt,
    durationMinutes: minutesOrRaw(f.durationMinutes) ?? 0,
    staff: [],
    answers: [],
    ...(f.confirmOutsideWindow ? { confirmOutsideWindow: true } : {}),
  };
  try {
    const v = await createVisit(user, parseBody(createVisitBody, input), req.get('idempotency-key') || undefined);
    res.status(201).json({ id: v.id, rev: v.rev, status: v.status });
  } catch (e) {
    const err = toAppError(e);
    sendJsonError(res, err, locale, err.code === 'outside_window' ? { visitedAt: err.message } : {});
  }
});
