import { isDuplicateKey } from '../db/duplicate-key';
import type { NextFunction, Request, Response } from 'express';
import mongoose from 'mongoose';
import multer from 'multer';
import {
  AppError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors';
import { pickLocale, translate } from '../i18n';
import { loggableUrl, logger } from '../logger';

/**
 * The multipart parser's own errors reach us as plain Errors; these messages mean the client sent a
 * broken upload (truncated, no boundary, bad part header), not that the server failed.
 */
const BROKEN_UPLOAD =
  /^(Unexpected end of (form|file)|Malformed part header|Malformed content type|Missing Content-Type|Unsupported content type|Multipart: Boundary not found|Malformed urlencoded form|Request (aborted|closed))\b/;

const DB_DOWN = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNotConnectedError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongooseServerSelectionError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
]);

/**
 * The database is unreachable or hung. Besides the names above, every network error of the driver
 * counts — including the errors it gives operations queued for a connection when a failed heartbeat
 * clears the pool (MongoPoolClearedError, a MongoNetworkError subclass the driver does not export).
 */
function databaseDown(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return (
    err instanceof mongoose.mongo.MongoNetworkError ||
    err instanceof mongoose.mongo.MongoServerSelectionError ||
    Boolean(name && DB_DOWN.has(name))
  );
}

/** Maps anything thrown to the API's error model; unknown errors are logged and become a bare 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as {
    type?: string;
    name?: string;
    code?: number | string;
    status?: number;
    keyValue?: Record<string, unknown>;
    message?: string;
  };
  if (e.type === 'entity.parse.failed')
    return new BadRequestError('The request body is not valid JSON', [], 'malformed_json');
  if (e.type === 'entity.too.large') return new PayloadTooLargeError('The request body is too large');
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported')
    return new BadRequestError('Unsupported body encoding');
  if (err instanceof multer.MulterError) return fromMulter(err);
  if (err instanceof Error && err.constructor === Error && BROKEN_UPLOAD.test(err.message)) {
    return new BadRequestError(
      'The multipart upload could not be read',
      [{ field: 'file', message: err.message }],
      'bad_upload',
    );
  }
  // A malformed id reaches the driver as a cast failure: the resource simply does not exist.
  if (err instanceof mongoose.Error.CastError || (e.name === 'BSONError' && /24 character hex/.test(e.message ?? '')))
    return new NotFoundError();
  if (err instanceof mongoose.Error.ValidationError) {
    return new ValidationError(Object.entries(err.errors).map(([field, v]) => ({ field, message: v.message })));
  }
  if (isDuplicateKey(err)) {
    const fields = Object.keys(e.keyValue ?? {});
    return new ConflictError(
      'A record with the same key already exists',
      'duplicate',
      fields.map((f) => ({ field: f, message: 'already exists' })),
    );
  }
  if (databaseDown(err))
    return new ServiceUnavailableError('The database is not reachable; try again shortly', 'database_unavailable');
  // The embedded database (FerretDB on SQLite) refuses a write while another holds the file lock:
  // a retryable condition for the client, not an internal error.
  if (typeof e.message === 'string' && /SQLITE_BUSY|database is locked/i.test(e.message)) {
    return new ServiceUnavailableError('The database is busy; retry shortly', 'database_busy');
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new AppError(e.status, 'bad_request', e.message ?? 'Bad request');
  return new AppError(500, 'internal_error', 'Internal error');
}

function fromMulter(err: multer.MulterError): AppError {
  switch (err.code) {
    case 'LIMIT_FILE_SIZE':
      return new PayloadTooLargeError('The file is larger than allowed', 'file_too_large');
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_PART_COUNT':
    case 'LIMIT_FIELD_COUNT':
      return new PayloadTooLargeError('The form is too large');
    default:
      return new BadRequestError(
        `Upload rejected: ${err.message}`,
        [{ field: err.field ?? 'file', message: err.message }],
        'bad_upload',
      );
  }
}

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const appErr = toAppError(err);
  if (appErr.status >= 500)
    logger.error({ err, reqId: req.requestId, url: loggableUrl(req.originalUrl) }, 'request failed');
  if (res.headersSent) {
    res.end();
    return;
  }
  if (appErr.status === 503) res.set('Retry-After', '5');
  const body = { error: { code: appErr.code, message: appErr.message, details: appErr.details } };
  if (/^\/(api|healthz)([/?]|$)/.test(req.originalUrl)) {
    res.status(appErr.status).json(body);
    return;
  }
  if (appErr.status === 401) {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  const locale = pickLocale(req);
  const messageKey =
    appErr.code === 'csrf_failed'
      ? 'error.csrf'
      : appErr.status === 404
        ? 'error.404'
        : appErr.status === 403
          ? 'error.403'
          : undefined;
  // The error page keeps the signed-in person's navigation and language (issue 20: a 404 is not a dead end).
  res.status(appErr.status).render('pages/error', {
    locale,
    user: req.principal,
    csrfToken: res.locals.csrfToken,
    currentPath: req.path,
    title: translate(locale, 'error.title'),
    status: appErr.status,
    message: messageKey ? translate(locale, messageKey) : appErr.message,
    details: appErr.details,
  });
}
