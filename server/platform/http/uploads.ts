import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { config } from '../config';
import { BadRequestError } from '../errors';

/** A small tabular file (CSV/XLSX import) is read into memory; its size is capped before it is buffered. */
export function tabularUpload(): RequestHandler {
  return multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: config().IMPORT_MAX_BYTES, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
  }).single('file');
}

export function requireFile(req: Request): Express.Multer.File {
  if (!req.file)
    throw new BadRequestError(
      'A file is required in the multipart field "file"',
      [{ field: 'file', message: 'required' }],
      'file_required',
    );
  return req.file;
}
