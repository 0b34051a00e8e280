import { z } from 'zod';

/** A resumable upload is declared up front: its limits are checked before any byte is sent. */
export const createUploadBody = z
  .object({
    name: z.string().trim().min(1).max(255),
    size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /** What the client believes the file is; the content decides (checked on the first bytes). */
    contentType: z.string().trim().min(1).max(100).optional(),
    itemKey: z.string().trim().min(1).max(80).optional(),
  })
  .strict();
export type CreateUploadInput = z.infer<typeof createUploadBody>;

/** Where the bytes of a PATCH start (must be where the stored bytes end). */
export const chunkQuery = z.object({ offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict();

/** Upload ids: 32 lower-case hex digits. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;
