import { z } from 'zod';
import { component, out, uploadedFile } from '../platform/http/api-schema';
import { DECISIONS, DISPUTE_STATUSES } from './model';

export const disputeResponse = component(
  'Dispute',
  z.object({
    id: out.id,
    visitId: out.id,
    bankId: out.id,
    branchCode: z.string(),
    region: z.string(),
    quarter: out.quarter,
    questionnaireId: out.id,
    questionnaireVersion: z.number().int(),
    itemKey: z.string(),
    sectionKey: z.string(),
    itemText: out.text,
    reason: z.string(),
    status: z.enum(DISPUTE_STATUSES),
    valueAtOpening: out.answerValue.nullable(),
    openedBy: out.id,
    openedAt: out.time,
    resolution: z
      .object({
        decision: z.enum(DECISIONS),
        value: out.answerValue.nullable(),
        note: z.string(),
        resolvedBy: out.id,
        resolvedAt: out.time,
        before: z.unknown().openapi({ description: "The visit's scores before the decision" }),
        after: z.unknown().openapi({ description: "The visit's scores after the decision" }),
      })
      .nullable(),
    attachments: z.array(
      z.object({
        id: out.id,
        filename: z.string(),
        contentType: z.string(),
        size: z.number().int(),
        sha256: z.string(),
        uploadedAt: out.time,
      }),
    ),
  }),
);

export const disputeAttachmentResponse = uploadedFile;
