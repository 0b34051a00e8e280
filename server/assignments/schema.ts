import { pageParams } from '../platform/http/paging';
import { z } from 'zod';
import { fields } from '../platform/http/validation';

const isoWithOffset = fields.isoTime('must be an ISO-8601 time with offset, e.g. 2026-07-01T09:00:00+08:00');

/** The fields an assignment row shares between the JSON route and the CSV/XLSX import. */
const assignmentFields = {
  branchCode: fields.code,
  quarter: fields.quarter,
  windowStart: isoWithOffset,
  windowEnd: isoWithOffset,
  scenario: z.string().trim().min(1).max(2000),
};

/** One rule for both routes: the window must start before it ends. */
function windowRule(v: { windowStart: string; windowEnd: string }, ctx: z.RefinementCtx): void {
  if (new Date(v.windowStart).getTime() >= new Date(v.windowEnd).getTime()) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['windowEnd'], message: 'must be after windowStart' });
  }
}

export const createAssignmentBody = z
  .object({
    bankId: fields.objectId,
    auditorId: fields.objectId,
    questionnaireId: fields.objectId,
    ...assignmentFields,
  })
  .strict()
  .superRefine(windowRule);
export type CreateAssignmentInput = z.infer<typeof createAssignmentBody>;

export const assignmentRow = z.object({ auditorEmail: fields.email, ...assignmentFields }).superRefine(windowRule);
export type AssignmentRow = z.infer<typeof assignmentRow>;
export const ASSIGNMENT_COLUMNS = {
  required: ['branchCode', 'auditorEmail', 'quarter', 'windowStart', 'windowEnd', 'scenario'],
  optional: [] as string[],
};

export const importAssignmentsQuery = z.object({ bankId: fields.objectId, questionnaireId: fields.objectId }).strict();

export const listAssignmentsQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
    auditorId: fields.objectId.optional(),
    ...pageParams,
  })
  .strict();
export type ListAssignmentsQuery = z.infer<typeof listAssignmentsQuery>;
