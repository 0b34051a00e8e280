import { z } from 'zod';
import { component, out, sectionScores } from '../platform/http/api-schema';
import { VISIT_STATUSES } from './types';

export const flagResponse = component(
  'VisitFlag',
  z.object({
    code: z.string().openapi({ example: 'outside_window' }),
    message: z.string(),
    visitIds: z
      .array(out.id)
      .optional()
      .openapi({ description: 'Other visits holding the same file (audit firm only)' }),
  }),
  'A plausibility flag (SPEC §4): it flags a visit for the reviewer, never blocks it',
);

const gpsPosition = z
  .object({ lat: z.number(), lng: z.number() })
  .openapi({ description: "A photo's EXIF GPS position (reviewers and admins only)" });

const change = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() });

export const visitAttachment = component(
  'VisitAttachment',
  z.object({
    id: out.id,
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    uploadedAt: out.time,
    removedAt: out.time.optional().openapi({ description: 'Marked removed by its auditor (kept, never deleted)' }),
    itemKey: z.string().optional().openapi({ description: 'The questionnaire item the file is evidence for' }),
    capturedAt: out.time
      .optional()
      .openapi({ description: "A photo's EXIF capture time (not shown to bank users, who get the file without it)" }),
    gps: gpsPosition.optional(),
  }),
);

export const locationResponse = component(
  'VisitLocation',
  z.object({
    kind: z.enum(['arrive', 'leave']),
    lat: z.number().optional(),
    lng: z.number().optional(),
    accuracy: z.number().optional().openapi({ description: 'metres, as the device reported it' }),
    refused: z.literal(true).optional().openapi({ description: 'The phone gave no position' }),
    capturedAt: out.time.openapi({ description: "The device's clock" }),
    receivedAt: out.time.openapi({ description: 'When it reached the platform' }),
  }),
);

export const visitResponse = component(
  'Visit',
  z.object({
    id: out.id,
    assignmentId: out.id,
    bankId: out.id,
    branchCode: z.string(),
    branchName: z.string(),
    region: z.string(),
    auditorId: out.id.optional().openapi({ description: 'Never shown to bank users' }),
    auditorCode: z.string().nullable().openapi({ description: "The auditor's pseudonym" }),
    questionnaireId: out.id,
    questionnaireVersion: z.number().int(),
    quarter: out.quarter,
    visitedAt: out.time,
    durationMinutes: z.number().int(),
    staff: z.array(
      z.object({ employeeId: z.string().optional(), name: z.string().optional(), description: z.string().optional() }),
    ),
    answers: z.array(z.object({ itemKey: z.string(), value: out.answerValue, comment: z.string().optional() })),
    summary: z.string().nullable(),
    status: z.enum(VISIT_STATUSES),
    scores: z.object({ sections: sectionScores, total: out.score }),
    violations: z.array(z.object({ itemKey: z.string(), sectionKey: z.string() })),
    flags: z.array(flagResponse),
    attachments: z.array(visitAttachment),
    locations: z
      .array(locationResponse)
      .optional()
      .openapi({ description: 'Arrive / leave records (SPEC §9); the audit firm and the auditor only' }),
    history: z.array(
      z.object({
        at: out.time,
        by: z.string().nullable().openapi({ description: "A user id (the auditor's pseudonym for bank users)" }),
        role: z.string(),
        action: z.string(),
        changes: z.array(change),
        note: z.string().optional(),
      }),
    ),
    reviewNote: z.string().nullable(),
    submittedAt: out.time.nullable(),
    approvedAt: out.time.nullable(),
    rev: z.number().int().openapi({ description: 'Revision; send it back with an edit to guard against stale copies' }),
    createdAt: out.time,
    updatedAt: out.time,
  }),
);

export const queueRowResponse = component(
  'ReviewQueueRow',
  z.object({
    id: out.id,
    bankId: out.id,
    branchCode: z.string(),
    branchName: z.string(),
    region: z.string(),
    auditorId: out.id,
    auditorCode: z.string().nullable(),
    quarter: out.quarter,
    visitedAt: out.time,
    submittedAt: out.time.nullable(),
    resubmitted: z.boolean(),
    total: out.score,
    flags: z.array(flagResponse),
    attachmentCount: z.number().int(),
  }),
);

export const attachmentResponse = component(
  'AddedAttachment',
  z.object({
    id: out.id,
    filename: z.string(),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    itemKey: z.string().optional().openapi({ description: 'The questionnaire item the file is evidence for' }),
    capturedAt: out.time.optional().openapi({ description: "The photo's EXIF capture time, when it has one" }),
    gps: gpsPosition.optional(),
  }),
);
