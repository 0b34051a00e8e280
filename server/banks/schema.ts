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
    geofenceMeters: z.number().int().min(10).max(100_000).optional(),
  })
  .strict();
export type CreateBankInput = z.infer<typeof createBankBody>;

export const updateBankBody = createBankBody.omit({ code: true }).partial().strict();
export type UpdateBankInput = z.infer<typeof updateBankBody>;

/** A coordinate from JSON (a number) or an import cell or a form (text); blank is "none". */
const degrees = (limit: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : Number(v.trim())) : v),
    z.number().finite().min(-limit).max(limit).optional(),
  );

const branchFields = z.object({
  code: fields.code,
  name: fields.name,
  region: z.string().trim().min(1).max(100),
  city: z.string().trim().max(100).optional(),
  lat: degrees(90),
  lng: degrees(180),
});
/** SPEC §9: a branch's position is both coordinates or none. */
const bothOrNeither = <T extends { lat?: number; lng?: number }>(b: T, ctx: z.RefinementCtx) => {
  if ((b.lat === undefined) !== (b.lng === undefined))
    ctx.addIssue({
      code: 'custom',
      path: [b.lat === undefined ? 'lat' : 'lng'],
      message: 'give both lat and lng, or neither',
    });
};
export const branchRow = branchFields.superRefine(bothOrNeither);
export const createBranchBody = branchFields.strict().superRefine(bothOrNeither);
export type BranchInput = z.infer<typeof branchFields>;

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
