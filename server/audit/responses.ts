import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';

export const auditEntryResponse = component(
  'AuditEntry',
  z.object({
    id: out.id,
    at: out.time,
    action: z.string(),
    outcome: z.enum(['success', 'failure']),
    actorId: z.string().nullable(),
    actorEmail: z.string().optional(),
    actorRole: z.string().optional(),
    target: z.object({ type: z.string(), id: z.string().optional(), label: z.string().optional() }),
    bankId: out.id.optional(),
    ip: z.string().nullable(),
    userAgent: z.string().optional(),
    before: z.unknown().optional().openapi({ description: 'The state before, as recorded' }),
    after: z.unknown().optional().openapi({ description: 'The state after, as recorded' }),
    note: z.string().optional(),
  }),
  'One entry of the append-only audit log',
);
