import { z } from 'zod';
import { ROLES } from '../platform/access';
import { fields } from '../platform/http/validation';

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bank') }).strict(),
  z.object({ type: z.literal('region'), region: z.string().trim().min(1).max(100) }).strict(),
  z.object({ type: z.literal('branches'), branchCodes: z.array(fields.code).min(1).max(500) }).strict(),
]);

export const password = z.string().min(10, 'at least 10 characters').max(200);

export const createUserBody = z
  .object({
    email: fields.email,
    password,
    name: fields.name,
    role: z.enum(ROLES),
    bankId: fields.objectId.optional(),
    scope: scopeSchema.optional(),
    locale: z.enum(['zh', 'en']).optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    const bankRole = u.role === 'bank_manager' || u.role === 'hr';
    if (bankRole && !u.bankId)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['bankId'], message: `required for role ${u.role}` });
    if (u.role === 'bank_manager' && !u.scope)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['scope'], message: 'required for role bank_manager' });
    if (!bankRole && u.bankId)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['bankId'],
        message: `not allowed for audit-firm role ${u.role}`,
      });
    if (!bankRole && u.scope)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['scope'],
        message: `not allowed for audit-firm role ${u.role}`,
      });
  });
export type CreateUserInput = z.infer<typeof createUserBody>;

export const updateUserBody = z
  .object({ name: fields.name, password, active: z.boolean(), scope: scopeSchema, locale: z.enum(['zh', 'en']) })
  .partial()
  .strict();
export type UpdateUserInput = z.infer<typeof updateUserBody>;

export const listUsersQuery = z.object({ bankId: fields.objectId.optional(), role: z.enum(ROLES).optional() }).strict();
