import type { Request, RequestHandler } from 'express';
import { Types } from 'mongoose';
import multer from 'multer';
import type { Principal } from '../platform/access';
import { config } from '../platform/config';
import { noteUpload, type UploadHolder } from './pending';
import { discardStoredFile, storeEvidence, type StoredFile } from './storage';

/** A request's file once the upload middleware has stored it. */
export type EvidenceUpload = Express.Multer.File & { evidence: StoredFile };

/**
 * A Multer storage engine that hands each file to storeEvidence (never to memory or disk), after
 * noting the upload for the holder it is for (see pending.ts).
 */
class EvidenceStorageEngine implements multer.StorageEngine {
  constructor(private readonly holderOf: (req: Request) => UploadHolder & { metadata: Record<string, unknown> }) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const holder = this.holderOf(req);
    const fileId = new Types.ObjectId();
    noteUpload(fileId, holder)
      .then(() => storeEvidence(file.stream, file.originalname, holder.metadata, fileId))
      .then(
        (evidence) => cb(null, { evidence, size: evidence.size } as Partial<Express.Multer.File>),
        (err) => cb(err),
      );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const stored = (file as Partial<EvidenceUpload>).evidence;
    if (!stored) return cb(null);
    discardStoredFile(stored.fileId).then(
      () => cb(null),
      (e: Error) => cb(e),
    );
  }
}

/** Who an upload is for, and whether the caller may add a file to it. */
export interface EvidenceHolder {
  /** The kind of holder, as noted for housekeeping ('visit', 'dispute'). */
  kind: string;
  /** The route parameter with the holder's id; it also names the id in the file's metadata. */
  param: string;
  /** Throws (an AppError) when the caller may not add a file to this holder now. */
  assertCanAttach: (p: Principal, holderId: string) => Promise<void>;
}

/**
 * Multipart field `file`, one file per request, streamed into GridFS by the evidence engine.
 * Whether the caller may attach (role, ownership, state, file count) is checked before the body is read.
 */
export function evidenceUpload(holder: EvidenceHolder): RequestHandler {
  const holderId = (req: Request) => String(req.params[holder.param]);
  const parse = multer({
    storage: new EvidenceStorageEngine((req) => ({
      kind: holder.kind,
      id: holderId(req),
      metadata: { [holder.param]: req.params[holder.param], uploadedBy: req.principal?.id },
    })),
    limits: { fileSize: config().UPLOAD_MAX_BYTES, files: 1, fields: 5, fieldSize: 1024, parts: 6 },
    // Browsers send UTF-8 file names without declaring a charset.
    defParamCharset: 'utf8',
  }).single('file');
  return (req, res, next) => {
    if (!req.principal) return next();
    holder.assertCanAttach(req.principal, holderId(req)).then(
      () => parse(req, res, next),
      // Refused before reading: drain the body first so the client gets the answer, not a reset connection.
      (err) => {
        if (req.readableEnded || req.destroyed) return next(err);
        req
          .once('end', () => next(err))
          .once('error', () => next(err))
          .resume();
      },
    );
  };
}
