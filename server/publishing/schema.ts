import { z } from 'zod';
import { fields } from '../platform/http/validation';

export const listReportsQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
  })
  .strict();
export type ListReportsQuery = z.infer<typeof listReportsQuery>;

export const closeParams = z.object({ bankId: fields.objectId, quarter: fields.quarter });

/** Without `recipient`: every recipient of the report. A recipient on the bank's list but not yet mailed may be added. */
export const resendBody = z.object({ recipient: fields.email.optional() }).strict();
export type ResendInput = z.infer<typeof resendBody>;

export const SCOPE_PATTERN = /^(bank|region:.{1,100}|branch:[A-Za-z0-9][A-Za-z0-9_.-]{0,39})$/;
