import { z, type ZodTypeAny } from 'zod';
import { BadRequestError, ValidationError, type ErrorDetail } from '../errors';

export function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message, code: i.code }));
}

/** Body rules: not a JSON object is malformed (400); an object that breaks a rule is 422 with each field. */
export function parseBody<S extends ZodTypeAny>(schema: S, body: unknown): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError('The request body must be a JSON object', [], 'malformed_body');
  }
  const r = schema.safeParse(body);
  if (!r.success) throw new ValidationError(zodDetails(r.error));
  return r.data;
}

export function parseQuery<S extends ZodTypeAny>(schema: S, query: unknown): z.output<S> {
  const r = schema.safeParse(query ?? {});
  if (!r.success) throw new BadRequestError('Invalid query parameters', zodDetails(r.error), 'invalid_query');
  return r.data;
}

const isoDatetime = z.string().datetime({ offset: true });
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/**
 * An instant as ISO-8601 with an offset. zod's datetime check alone passes offsets such as +99:99
 * that no Date can hold (they reached the services as Invalid Date), and years outside 2000–2099
 * are nonsense here that would also break the four-digit year of a quarter (YYYY-Qn).
 */
function isoTime(message: string) {
  return z
    .string()
    .datetime({ offset: true, message })
    .refine((s) => {
      if (!isoDatetime.safeParse(s).success) return true; // already reported above
      const t = Date.parse(s);
      return Number.isFinite(t) && t >= EARLIEST && t < LATEST;
    }, 'must be a real time between the years 2000 and 2099 (offset at most ±23:59)');
}

/** Shared field rules, so that one rule lives in one place. */
export const fields = {
  isoTime,
  objectId: z.string().regex(/^[a-f0-9]{24}$/i, 'must be a 24-character hex id'),
  code: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
  name: z.string().trim().min(1).max(200),
  email: z.string().trim().toLowerCase().email().max(254),
  quarter: z.string().regex(/^\d{4}-Q[1-4]$/, 'must look like 2026-Q3'),
  timezone: z
    .string()
    .max(64)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
};
