import { z } from 'zod';
import { ROLES } from '../platform/access';
import { component, out } from '../platform/http/api-schema';

export const scopeResponse = component(
  'Scope',
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('bank') }),
    z.object({ type: z.literal('region'), region: z.string() }),
    z.object({ type: z.literal('branches'), branchCodes: z.array(z.string()) }),
  ]),
  "A bank user's scope: the whole bank, one region, or a list of branches",
);

export const userResponse = component(
  'User',
  z.object({
    id: out.id,
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    bankId: out.id.nullable(),
    scope: scopeResponse.nullable(),
    auditorCode: z.string().optional().openapi({ description: "An auditor's pseudonym, shown to banks" }),
    locale: z.enum(['zh', 'en']).optional(),
    active: z.boolean(),
  }),
);
