import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { MAX_PASSWORD_LENGTH } from '../users/password-policy';

export const tokenBody = z
  .object({
    email: z.string().trim().min(1).max(254),
    password: z.string().min(1).max(200),
    totp: z
      .string()
      .trim()
      .regex(/^\d{6}$/, 'six digits')
      .optional(),
    recoveryCode: z.string().trim().min(1).max(40).optional(),
  })
  .strict();

export const mfaCodeBody = z.object({ code: z.string().trim().min(1).max(40) }).strict();

/** Passwords are checked for length and commonness by the service (it knows the account's e-mail too). */
const newPassword = z.string().min(1).max(MAX_PASSWORD_LENGTH);

export const changePasswordBody = z.object({ current: z.string().min(1).max(200), password: newPassword }).strict();

export const resetRequestBody = z.object({ email: fields.email }).strict();

export const resetConfirmBody = z.object({ token: z.string().trim().min(20).max(200), password: newPassword }).strict();
