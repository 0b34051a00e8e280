import { pageParams } from '../platform/http/paging';
import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { TEXT_ANSWER_MAX } from '../rules/answers';
import { VISIT_STATUSES } from './types';

const isoWithOffset = fields.isoTime('must be an ISO-8601 time with offset, e.g. 2026-07-01T10:30:00+08:00');

/**
 * An answer's value by shape only: yes/no/na, a scale value or number, an option key or a text, the
 * option keys of a multiple choice. Whether it fits its item (type, options, range, N/A, conditions)
 * is the rules' answerErrors, checked against the visit's questionnaire version.
 */
export const answerValue = z.union([
  z.string().max(TEXT_ANSWER_MAX),
  z.number().finite(),
  z.array(z.string().max(60)).max(50),
]);

const answer = z
  .object({
    itemKey: z.string().trim().min(1).max(80),
    value: answerValue,
    comment: z.string().trim().max(2000).optional(),
  })
  .strict();

const staffSeen = z
  .object({
    employeeId: fields.code.optional(),
    description: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .refine((s) => s.employeeId !== undefined || s.description !== undefined, {
    message: 'give employeeId or a description',
  });

/**
 * `confirmOutsideWindow: true` keeps a visit time outside the assignment window (then flagged);
 * without it such a time is refused, so that a typo in the year cannot slip through unnoticed.
 */
const editable = {
  visitedAt: isoWithOffset,
  // Implausible durations are flagged, not refused; the bounds only reject nonsense.
  durationMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60),
  staff: z.array(staffSeen).max(50),
  answers: z.array(answer).max(500),
  summary: z.string().trim().max(5000),
};

export const createVisitBody = z
  .object({
    assignmentId: fields.objectId,
    visitedAt: editable.visitedAt,
    durationMinutes: editable.durationMinutes,
    staff: editable.staff.default([]),
    answers: editable.answers.default([]),
    summary: editable.summary.optional(),
    confirmOutsideWindow: z.boolean().optional(),
  })
  .strict();
export type CreateVisitInput = z.infer<typeof createVisitBody>;

/** Arrays replace the stored ones as a whole (send every answer); `rev` guards against editing a stale copy. */
export const updateVisitBody = z
  .object({ ...editable, rev: z.number().int().min(0), confirmOutsideWindow: z.boolean() })
  .partial()
  .strict();
export type UpdateVisitInput = z.infer<typeof updateVisitBody>;

export const reviewVisitBody = z
  .object({ decision: z.enum(['approve', 'return']), note: z.string().trim().max(2000).optional() })
  .strict()
  .superRefine((b, ctx) => {
    if (b.decision === 'return' && !b.note)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['note'],
        message: 'a note is required when returning a visit',
      });
  });
export type ReviewVisitInput = z.infer<typeof reviewVisitBody>;

export const listVisitsQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
    status: z.enum(VISIT_STATUSES).optional(),
    branchCode: z.string().max(40).optional(),
    ...pageParams,
  })
  .strict();
export type ListVisitsQuery = z.infer<typeof listVisitsQuery>;

/**
 * SPEC §9 arrive / leave: the device position (WGS-84), its accuracy in metres and the device time;
 * or `refused: true` without a position when the phone would not give one (then flagged).
 */
export const recordLocationBody = z
  .object({
    kind: z.enum(['arrive', 'leave']),
    lat: z.number().finite().min(-90).max(90).optional(),
    lng: z.number().finite().min(-180).max(180).optional(),
    accuracy: z.number().finite().min(0).max(1_000_000).optional(),
    capturedAt: fields.isoTime('must be an ISO-8601 time with an offset'),
    refused: z.literal(true).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    for (const field of ['lat', 'lng', 'accuracy'] as const) {
      if (b.refused && b[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'no position with refused' });
      if (!b.refused && b[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'required (or refused: true)' });
    }
  });
export type RecordLocationInput = z.infer<typeof recordLocationBody>;
