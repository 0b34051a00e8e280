import { z } from 'zod';
import { pageParams } from '../platform/http/paging';
import { fields } from '../platform/http/validation';

export const createBankBody = z
  .object({
    code: fields.code,
    name: fields.name,
    timezone: fields.timezone.default('Asia/Shanghai'),
    language: z.enum(['zh', 'en']).default('zh'),
    reportRecipients: z.array(fields.email).max(100).default([]),
    alertRecipients: z.array(fields.email).max(100).optional(),
  })
  .strict();
export type CreateBankInput = z.infer<typeof createBankBody>;

export const updateBankBody = createBankBody.omit({ code: true }).partial().strict();
export type UpdateBankInput = z.infer<typeof updateBankBody>;

export const branchRow = z.object({
  code: fields.code,
  name: fields.name,
  region: z.string().trim().min(1).max(100),
  city: z.string().trim().max(100).optional(),
});
export const createBranchBody = branchRow.strict();
export type BranchInput = z.infer<typeof branchRow>;

export const staffRow = z.object({
  employeeId: fields.code,
  name: fields.name,
  branchCode: fields.code,
  position: z.string().trim().max(100).optional(),
});
export const createStaffBody = staffRow.strict();
export type StaffInput = z.infer<typeof staffRow>;

export const listQuery = z
  .object({
    region: z.string().max(100).optional(),
    branchCode: z.string().max(40).optional(),
    ...pageParams,
  })
  .strict();
