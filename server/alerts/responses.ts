import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';

export const alertResponse = component(
  'ComplianceAlert',
  z.object({
    id: out.id,
    visitId: out.id,
    bankId: out.id,
    branchCode: z.string(),
    region: z.string(),
    quarter: out.quarter,
    visitedAt: out.time,
    itemKeys: z.array(z.string()).openapi({ description: 'The violated items' }),
    status: z.enum(['sent', 'withdrawn']),
    createdAt: out.time,
    withdrawnAt: out.time.optional(),
  }),
  'An approved visit with a violation, as told to the bank (SPEC §13); never the auditor',
);
