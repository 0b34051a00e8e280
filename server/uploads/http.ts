import type { Request } from 'express';
import { AppError } from '../platform/errors';

/** The media type of a part's body, as tus sends it too; plain octet-stream is accepted as well. */
export const PART_TYPE = 'application/offset+octet-stream';
const PART_TYPES = new Set([PART_TYPE, 'application/octet-stream']);

/** A part's body must be raw bytes: a JSON or form body would already have been parsed away. */
export function requirePartBody(req: Request): { length?: number } {
  const type = String(req.get('content-type') ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (!PART_TYPES.has(type))
    throw new AppError(415, 'unsupported_media_type', `A part is sent as ${PART_TYPE}`, [
      { field: 'Content-Type', message: `must be ${PART_TYPE}` },
    ]);
  const declared = req.get('content-length');
  return declared !== undefined && /^\d+$/.test(declared) ? { length: Number(declared) } : {};
}

/** Reads what is left of a refused request, so the client gets the answer rather than a reset connection. */
export function drain(req: Request): Promise<void> {
  if (req.readableEnded || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    req.once('end', resolve).once('error', resolve).once('close', resolve).resume();
  });
}

/** Runs a part's work; if it fails, the rest of the body is read first. */
export async function withPartBody<T>(req: Request, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    await drain(req);
    throw e;
  }
}
