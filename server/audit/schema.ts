import { z } from 'zod';
import { fields } from '../platform/http/validation';
import { pageParams } from '../platform/http/paging';
import { AUDIT_ACTIONS, AUDIT_FAMILIES } from './actions';

/** A day (read in the reader's time zone) or an exact time with offset. */
const when = z.union([
  z.string().regex(/^\d{4}-\d\d-\d\d$/, 'must be a date (2026-12-01) or a time with offset'),
  fields.isoTime('must be a date (2026-12-01) or a time with offset'),
]);

export const auditQuery = z
  .object({
    from: when.optional(),
    to: when.optional(),
    // A user id, or an e-mail address as typed at sign-in.
    actor: z.string().trim().min(1).max(254).optional(),
    action: z.enum([...AUDIT_ACTIONS, ...AUDIT_FAMILIES]).optional(),
    ...pageParams,
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuery>;
