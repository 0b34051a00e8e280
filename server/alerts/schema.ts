import { z } from 'zod';
import { fields } from '../platform/http/validation';

export const listAlertsQuery = z
  .object({
    bankId: fields.objectId.optional(),
    quarter: fields.quarter.optional(),
  })
  .strict();
export type ListAlertsQuery = z.infer<typeof listAlertsQuery>;
