import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { PLAN_KINDS, PLAN_STATUSES } from './model';

const dueDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-09-30')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'is not a calendar date');

const content = {
  action: z.string().trim().min(1).max(2000),
  owner: z.string().trim().min(1).max(200),
  dueDate,
};

const itemKey = z.string().trim().min(1).max(80);

export const planScope = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bank') }).strict(),
  z.object({ type: z.literal('region'), region: z.string().trim().min(1).max(100) }).strict(),
  z.object({ type: z.literal('branch'), branchCode: fields.code }).strict(),
]);
export type PlanScopeInput = z.infer<typeof planScope>;

/** A key problem names its bank, quarter and area; a violation is pinned down by its visit. */
export const createPlanBody = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('key_problem'),
      bankId: fields.objectId,
      quarter: fields.quarter,
      itemKey,
      scope: planScope,
      ...content,
    })
    .strict(),
  z.object({ kind: z.literal('violation'), visitId: fields.objectId, itemKey, ...content }).strict(),
]);
export type CreatePlanInput = z.infer<typeof createPlanBody>;

export const updatePlanBody = z
  .object({ status: z.enum(PLAN_STATUSES), ...content, rev: z.number().int().min(0) })
  .partial()
  .strict()
  .refine((b) => b.status !== undefined || b.action !== undefined || b.owner !== undefined || b.dueDate !== undefined, {
    message: 'give status, action, owner or dueDate',
  });
export type UpdatePlanInput = z.infer<typeof updatePlanBody>;

export const listPlansQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
    status: z.enum(PLAN_STATUSES).optional(),
    kind: z.enum(PLAN_KINDS).optional(),
    region: z.string().trim().min(1).max(100).optional(),
    branchCode: z.string().max(40).optional(),
  })
  .strict();
export type ListPlansQuery = z.infer<typeof listPlansQuery>;
