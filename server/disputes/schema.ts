import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { answerValue } from '../visits/service';
import { DECISIONS, DISPUTE_STATUSES } from './model';

export const openDisputeBody = z
  .object({
    itemKey: z.string().trim().min(1).max(80),
    reason: z.string().trim().min(1).max(2000),
  })
  .strict();
export type OpenDisputeInput = z.infer<typeof openDisputeBody>;

/** Whether `value` fits the item is the scoring rules' business (answerErrors), checked in the service. */
export const resolveDisputeBody = z
  .object({
    decision: z.enum(DECISIONS),
    value: answerValue.optional(),
    note: z.string().trim().min(1).max(2000),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.decision === 'overturned' && b.value === undefined)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['value'],
        message: 'the corrected answer is required when overturning',
      });
    if (b.decision === 'upheld' && b.value !== undefined)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['value'],
        message: 'an upheld dispute leaves the answer unchanged; give no value',
      });
  });
export type ResolveDisputeInput = z.infer<typeof resolveDisputeBody>;

export const listDisputesQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
    status: z.enum(DISPUTE_STATUSES).optional(),
    branchCode: z.string().max(40).optional(),
    visitId: fields.objectId.optional(),
  })
  .strict();
export type ListDisputesQuery = z.infer<typeof listDisputesQuery>;
