import { z } from 'zod';
import { ROLES } from '../platform/access';
import { fields } from '../platform/http/validation';
import { isCommonPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password-policy';

export const scopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bank') }).strict(),
  z.object({ type: z.literal('region'), region: z.string().trim().min(1).max(100) }).strict(),
  z.object({ type: z.literal('branches'), branchCodes: z.array(fields.code).min(1).max(500) }).strict(),
]);

/** SPEC §14: at least 12 characters and not a common password (the service also refuses one made of the e-mail name). */
export const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH)
  .refine((p) => !isCommonPassword(p), 'is a commonly used password; choose another');

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
