import { z } from 'zod';
import { component, out } from '../platform/http/api-schema';
import { attachmentResponse } from '../visits/responses';
import { SESSION_STATUSES } from './model';

export const uploadResponse = component(
  'ResumableUpload',
  z.object({
    id: z.string().openapi({ example: '3f0c2a9e5b7d4c1a8e6f0b2d4a6c8e0f' }),
    visitId: out.id,
    name: z.string(),
    size: z.number().int(),
    offset: z.number().int().openapi({ description: 'Bytes stored so far: the next PATCH starts here' }),
    status: z.enum(SESSION_STATUSES),
    itemKey: z.string().optional(),
    expiresAt: out.time.openapi({ description: 'An upload untouched until then is deleted with its bytes' }),
    attachment: attachmentResponse
      .optional()
      .openapi({ description: 'Once complete: the attachment it became (the same on every repeated completion)' }),
  }),
  'A resumable upload of one evidence file to a visit',
);
