import { z } from 'zod';
import { ROLES } from '../platform/access';
import { component, out } from '../platform/http/api-schema';

export const tokenResponse = component(
  'IssuedToken',
  z.object({
    token: z.string().openapi({ description: 'Send as `Authorization: Bearer <token>`' }),
    expiresAt: out.time,
    user: z.object({
      id: out.id,
      email: z.string(),
      name: z.string(),
      role: z.enum(ROLES),
      bankId: out.id.nullable(),
    }),
  }),
);
