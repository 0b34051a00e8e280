import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';

export const assignmentResponse = component(
  'Assignment',
  z.object({
    id: out.id,
    bankId: out.id,
    branchCode: z.string(),
    branchName: z.string(),
    region: z.string(),
    auditorId: out.id,
    questionnaireId: out.id,
    quarter: out.quarter,
    windowStart: out.time,
    windowEnd: out.time,
    scenario: z.string(),
    visitId: out.id.optional().openapi({ description: 'The visit, once started' }),
    visitStatus: z.string().optional(),
  }),
);
