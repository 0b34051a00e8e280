/** One error type with a stable `code`; subclasses carry the HTTP meaning so services never touch `res`. */
export interface ErrorDetail {
  field?: string;
  row?: number;
  message: string;
  [extra: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(message = 'Malformed request', details: ErrorDetail[] = [], code = 'bad_request') {
    super(400, code, message, details);
  }
}
export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthorized') {
    super(401, code, message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message = 'Your role may not do this', code = 'forbidden') {
    super(403, code, message);
  }
}
/** Also used for resources outside the caller's bank or scope, so their existence is never revealed. */
export class NotFoundError extends AppError {
  constructor(what = 'Resource', code = 'not_found') {
    super(404, code, `${what} not found`);
  }
}
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', details: ErrorDetail[] = []) {
    super(409, code, message, details);
  }
}
export class PayloadTooLargeError extends AppError {
  constructor(message = 'Payload too large', code = 'payload_too_large') {
    super(413, code, message);
  }
}
export class UnsupportedMediaTypeError extends AppError {
  constructor(message = 'Unsupported file type', code = 'unsupported_media_type') {
    super(415, code, message);
  }
}
export class ValidationError extends AppError {
  constructor(details: ErrorDetail[], message = 'Validation failed', code = 'validation_failed') {
    super(422, code, message, details);
  }
}
export class RateLimitedError extends AppError {
  constructor(message = 'Too many attempts, try again later') {
    super(429, 'rate_limited', message);
  }
}
export class ServiceUnavailableError extends AppError {
  constructor(message = 'Service temporarily unavailable', code = 'service_unavailable') {
    super(503, code, message);
  }
}
