import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type mongoose from 'mongoose';
import type { Types } from 'mongoose';
import { config } from '../platform/config';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../platform/errors';
import { logger } from '../platform/logger';
import { bucket, removeStoredFile } from './bucket';
import { settleUpload } from './pending';
import { METADATA_BYTES, readImageFacts, type ImageFacts } from './metadata';
import { SNIFF_BYTES, sniffType, type DetectedType } from './sniff';

/**
 * Evidence files live in GridFS (bucket.ts; aborting a partial upload included). A file is streamed
 * straight into the bucket while its SHA-256 and size are computed on the way; only the first bytes
 * are held back until the type is known, so a refused type stores nothing and no file is ever
 * buffered whole.
 */
export interface StoredFile extends DetectedType {
  fileId: Types.ObjectId;
  filename: string;
  size: number;
  sha256: string;
  /** EXIF capture time and GPS of a photo (metadata.ts); empty for other files. */
  facts: ImageFacts;
}

/**
 * Keeps the last path segment only, drops control and reserved characters and leading dots, and the
 * bidirectional controls with which "photo\u202Egnp.exe" shows as "photoexe.png" in a download dialog.
 */
export function safeFilename(name: string | undefined, ext: string): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = last
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f"<>:|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/^[.\s]+/, '')
    .trim();
  const short = Array.from(clean).slice(0, 150).join('');
  return short || `evidence.${ext}`;
}

/**
 * Streams one file into the bucket under `fileId`. On failure the partial file is removed and the
 * upload's note settled; if that removal fails the note stays, for housekeeping (pending.ts).
 */
export function storeEvidence(
  stream: Readable,
  originalName: string | undefined,
  metadata: Record<string, unknown>,
  fileId: Types.ObjectId,
): Promise<StoredFile> {
  const max = config().UPLOAD_MAX_BYTES;
  const hash = crypto.createHash('sha256');
  let size = 0;
  let head: Buffer[] = [];
  let headBytes = 0;
  let upload: mongoose.mongo.GridFSBucketWriteStream | undefined;
  let type: DetectedType | undefined;
  let filename = '';
  // The file's first bytes, where photos keep their EXIF (metadata.ts); never more than METADATA_BYTES.
  const prefix: Buffer[] = [];
  let prefixBytes = 0;

  return new Promise<StoredFile>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.resume(); // let the rest of the request drain; the partial upload is removed below
      const partial = upload;
      (partial ? partial.abort() : Promise.resolve())
        .then(
          () => settleUpload(fileId),
          (e) => logger.error({ err: e }, 'aborting a partial evidence upload failed; housekeeping will remove it'),
        )
        .finally(() => reject(err));
    };

    /** Opens the GridFS file once the type is known, or refuses the file before anything is stored. */
    const begin = (): boolean => {
      const first = Buffer.concat(head);
      const found = first.length === 0 ? null : sniffType(first);
      if (!found) {
        fail(
          first.length === 0
            ? new UnsupportedMediaTypeError('The file is empty', 'empty_file')
            : new UnsupportedMediaTypeError(
                'Only JPEG, PNG, WebP, HEIC/HEIF, PDF, MP3, M4A/AAC, WAV, OGG and WebM files are accepted (checked by content)',
              ),
        );
        return false;
      }
      type = found;
      filename = safeFilename(originalName, found.ext);
      upload = bucket().openUploadStreamWithId(fileId, filename, {
        metadata: { ...metadata, contentType: found.contentType },
      });
      upload.on('error', fail);
      head = [];
      return write(first);
    };

    const write = (chunk: Buffer): boolean => {
      if (!upload || upload.write(chunk)) return true;
      stream.pause();
      upload.once('drain', () => stream.resume());
      return true;
    };

    const onData = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > max) return fail(new PayloadTooLargeError(`A file may be at most ${max} bytes`, 'file_too_large'));
      hash.update(chunk);
      if (prefixBytes < METADATA_BYTES) {
        prefix.push(chunk.subarray(0, METADATA_BYTES - prefixBytes));
        prefixBytes += Math.min(chunk.length, METADATA_BYTES - prefixBytes);
      }
      if (upload) return void write(chunk);
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= SNIFF_BYTES) begin();
    };

    stream.on('data', onData);
    stream.on('error', fail);
    // Cut off (a broken request) before we started to read it: no 'end' or 'error' will come any more.
    if (stream.destroyed) fail(new BadRequestError('The upload was cut off', [], 'upload_incomplete'));
    stream.on('end', () => {
      if (settled) return;
      if (!upload && !begin()) return;
      const up = upload as mongoose.mongo.GridFSBucketWriteStream;
      up.end(() => {
        if (settled) return;
        settled = true;
        const found = type as DetectedType;
        void readImageFacts(found.contentType, Buffer.concat(prefix)).then((facts) =>
          resolve({ fileId: up.id as Types.ObjectId, filename, size, sha256: hash.digest('hex'), facts, ...found }),
        );
      });
    });
  });
}

/** Removes a stored file that never became an attachment (refused or failed request). */
export async function discardStoredFile(fileId: Types.ObjectId): Promise<void> {
  try {
    await removeStoredFile(fileId);
    await settleUpload(fileId);
  } catch (e) {
    logger.error(
      { err: e, fileId: String(fileId) },
      'could not discard an unattached evidence file; housekeeping will remove it',
    );
  }
}
