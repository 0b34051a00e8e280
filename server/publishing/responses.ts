import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';
import { REPORT_STATUSES } from './model';

export const closeResponse = component(
  'QuarterClose',
  z.object({
    reportId: out.id,
    status: z.enum(REPORT_STATUSES),
    jobId: out.id.openapi({ description: 'The background job rendering and sending it' }),
  }),
);

export const reportResponse = component(
  'Report',
  z.object({
    id: out.id,
    bankId: out.id,
    quarter: out.quarter,
    version: z.number().int(),
    status: z.enum(REPORT_STATUSES),
    createdAt: out.time,
    readyAt: out.time.optional(),
    supersededBy: out.id.nullable().openapi({ description: 'The later version that replaced it' }),
    correctionPending: z.boolean().openapi({
      description: 'Figures it shows were changed since by an overturned dispute (in the caller scope): re-issue it',
    }),
    snapshot: z
      .object({
        sha256: z.string(),
        size: z.number().int(),
        generatedAt: out.time,
        n: z.number().int(),
        branches: z.number().int(),
        total: out.score,
      })
      .nullable(),
    progress: z
      .object({ phase: z.string(), done: z.number().int(), total: z.number().int() })
      .optional()
      .openapi({ description: 'Rendering progress while pending (audit firm only)' }),
    error: z.string().optional().openapi({ description: 'Why it failed (audit firm only)' }),
    files: z.array(
      z.object({
        scope: z.string().openapi({ example: 'branch:SH001' }),
        url: z.string(),
        kind: z.enum(['bank', 'region', 'branch']),
        name: z.string(),
        size: z.number().int(),
        sha256: z.string(),
      }),
    ),
  }),
);

export const deliveryResponse = component(
  'ReportDelivery',
  z.object({
    id: out.id,
    recipient: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().optional(),
    sentAt: out.time.optional(),
    messageId: z.string(),
    history: z.array(
      z.object({
        at: out.time,
        kind: z.string(),
        ok: z.boolean(),
        error: z.string().optional(),
        messageId: z.string(),
        by: z.string().optional(),
      }),
    ),
  }),
);
