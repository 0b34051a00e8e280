import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';

export interface Download {
  filename: string;
  contentType: string;
  /** Omitted when the bytes are filtered on the way (then sent chunked). */
  size?: number;
  stream: Readable;
}

/** A stored file as a download: never shown inline nor sniffed by the browser, never cached. */
export async function sendDownload(res: Response, file: Download): Promise<undefined> {
  res.attachment(file.filename);
  res.set({
    'Content-Type': file.contentType,
    ...(file.size === undefined ? {} : { 'Content-Length': String(file.size) }),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  });
  await pipeline(file.stream, res);
  return undefined;
}
