import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { loggableUrl, logger } from '../logger';

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
  await streamFile(res, file.stream);
  return undefined;
}

/**
 * Sends a file's bytes as the response. A client that goes away before the end (a phone losing its
 * signal, a closed tab, a cancelled download) is no server error: it is logged at info level and
 * the request ends quietly. A file that cannot be read still fails the request, as any error does.
 */
export async function streamFile(res: Response, stream: Readable): Promise<void> {
  let clientLeft = false;
  // The response closed unfinished while the file was still being read: the client hung up. (When
  // reading the file fails, the file's stream is destroyed first and the response only after it.)
  const onClose = () => (clientLeft = !res.writableFinished && !stream.destroyed);
  res.once('close', onClose);
  try {
    await pipeline(stream, res);
  } catch (err) {
    if (!clientLeft || (err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
    logger.info(
      { reqId: res.req.requestId, url: loggableUrl(res.req.originalUrl), bytesSent: res.req.socket?.bytesWritten },
      'client closed the connection before the file was sent',
    );
  } finally {
    res.off('close', onClose);
  }
}
