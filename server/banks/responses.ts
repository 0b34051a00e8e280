import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';

/** What the banks API answers (the OpenAPI document and the tests' contract). */
export const bankResponse = component(
  'Bank',
  z.object({
    id: out.id,
    code: z.string(),
    name: z.string(),
    timezone: z.string().openapi({ example: 'Asia/Shanghai' }),
    language: z.enum(['zh', 'en']).openapi({ description: 'Language of its reports and e-mails' }),
    reportRecipients: z.array(z.string()),
    alertRecipients: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Who gets compliance alerts by e-mail (SPEC §13)' }),
    geofenceMeters: z.number().int().optional().openapi({
      description: 'How far (m) from its branch an arrival or a photo may be before it is flagged (SPEC §9)',
    }),
  }),
);

export const branchResponse = component(
  'Branch',
  z.object({
    id: out.id,
    bankId: out.id,
    code: z.string(),
    name: z.string(),
    region: z.string(),
    city: z.string().optional(),
    lat: z.number().optional().openapi({ description: 'WGS-84 latitude, decimal degrees' }),
    lng: z.number().optional().openapi({ description: 'WGS-84 longitude, decimal degrees' }),
    active: z.boolean(),
  }),
);

export const staffResponse = component(
  'StaffMember',
  z.object({
    id: out.id,
    bankId: out.id,
    employeeId: z.string(),
    name: z.string(),
    branchCode: z.string(),
    region: z.string(),
    position: z.string().optional(),
    active: z.boolean(),
  }),
);
