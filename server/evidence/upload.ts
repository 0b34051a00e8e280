import type { RequestHandler } from 'express';
import multer from 'multer';
import { config } from '../platform/config';
import { assertCanAttach } from '../visits/attachments';
import { EvidenceStorageEngine } from './storage';

/**
 * Multipart field `file`, one file per request, streamed into GridFS by the evidence engine.
 * Ownership, state and the per-visit file count are checked before the body is read.
 */
export function evidenceUpload(): RequestHandler {
  const parse = multer({
    storage: new EvidenceStorageEngine((req) => ({
      kind: 'visit',
      id: String(req.params.visitId),
      metadata: { visitId: req.params.visitId, uploadedBy: req.principal?.id },
    })),
    limits: { fileSize: config().UPLOAD_MAX_BYTES, files: 1, fields: 5, fieldSize: 1024, parts: 6 },
    // Browsers send UTF-8 file names without declaring a charset.
    defParamCharset: 'utf8',
  }).single('file');
  return (req, res, next) => {
    if (!req.principal) return next();
    assertCanAttach(req.principal, String(req.params.visitId)).then(
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
