import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';
import { PLAN_KINDS, PLAN_SCOPES, PLAN_STATUSES } from './model';

const quarterRate = z.object({
  quarter: out.quarter,
  failed: z.number().int(),
  applicable: z.number().int(),
  failureRate: z.number().nullable(),
});

export const planResponse = component(
  'ActionPlan',
  z.object({
    id: out.id,
    bankId: out.id,
    quarter: out.quarter,
    kind: z.enum(PLAN_KINDS),
    itemKey: z.string(),
    sectionKey: z.string(),
    itemText: out.text,
    visitId: out.id.nullable(),
    scope: z.object({ type: z.enum(PLAN_SCOPES), region: z.string().optional(), branchCode: z.string().optional() }),
    action: z.string(),
    owner: z.string(),
    dueDate: z.string().openapi({ format: 'date', example: '2026-09-30' }),
    status: z.enum(PLAN_STATUSES),
    overdue: z.boolean(),
    doneAt: out.time.nullable(),
    createdBy: out.id,
    createdAt: out.time,
    updatedAt: out.time,
    rev: z.number().int(),
    history: z.array(z.object({ at: out.time, by: out.id, action: z.string(), changes: z.array(z.unknown()) })),
    outcome: z
      .object({
        status: z.enum(['improved', 'worse', 'unchanged', 'no_data']),
        before: quarterRate,
        after: quarterRate,
      })
      .openapi({ description: "The item's failure rate in the plan's area, in its quarter and the next" }),
  }),
);
