import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { EVENT_TYPES } from './events';
import { urlProblem } from './target';

const url = z
  .string()
  .trim()
  .max(2000)
  .superRefine((v, ctx) => {
    const problem = urlProblem(v);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });
const events = z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length);

export const createEndpointBody = z
  .object({
    url,
    bankId: fields.objectId.optional(),
    events,
    description: z.string().trim().max(500).optional(),
  })
  .strict();
export type CreateEndpointInput = z.infer<typeof createEndpointBody>;

export const updateEndpointBody = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: z.string().trim().max(500).optional(),
    /** Enabling again an endpoint that was disabled (by hand or after failing for days). */
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateEndpointInput = z.infer<typeof updateEndpointBody>;

export const listDeliveriesQuery = z
  .object({
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;
