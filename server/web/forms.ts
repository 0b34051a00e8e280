import type { Request, RequestHandler, Response } from 'express';
import { toAppError } from '../platform/http/error-handler';
import type { ErrorDetail } from '../platform/errors';
import { translate, type Locale } from '../platform/i18n';

/**
 * Helpers for server-rendered forms: turning a urlencoded body into the input a zod schema expects,
 * and turning a service's 4xx error into messages shown next to the form's fields.
 */
export type FormBody = Record<string, string>;

/** The posted fields as strings (a repeated key keeps its last value), without the CSRF token. */
export function formBody(req: Request): FormBody {
  const out: FormBody = {};
  for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
    const s = Array.isArray(v) ? v[v.length - 1] : v;
    if (k !== '_csrf' && typeof s === 'string') out[k] = s;
  }
  return out;
}

/** An empty input means "not given", so schema defaults and optional fields apply. */
export const blankToUndefined = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v;

/** Lists typed by people: commas, semicolons (also full-width) or white space between the items. */
export const splitList = (v: string | undefined): string[] => (v ?? '').split(/[\s,;，；、]+/).filter(Boolean);

export interface FormState {
  values: Record<string, unknown>;
  /** Form field name → message shown under that field. */
  errors: Record<string, string>;
  /** Messages that belong to no single field. */
  general: string[];
}

export interface FormFailure {
  status: number;
  errors: Record<string, string>;
  general: string[];
}

/** Errors a person can fix by changing the form; anything else (403, 404, 5xx) goes to the error page. */
const FIXABLE = new Set([400, 409, 413, 415, 422]);

/** Our schemas' and services' messages, shown in the page's language where we know them (named groups fill the text). */
const KNOWN_MESSAGES: [RegExp, string][] = [
  [/^String must contain at least 1 character/, 'admin.msg.required'],
  [/^Required$/, 'admin.msg.required'],
  [/^Array must contain at least 1 element/, 'admin.msg.required'],
  [/^already exists$/, 'admin.msg.exists'],
  [/^Invalid email$/, 'admin.msg.email'],
  [/^at least 12 characters$/, 'admin.msg.password_short'],
  [/^is a commonly used password/, 'admin.msg.password_common'],
  [/^uses too few different characters$/, 'admin.msg.password_simple'],
  [/^must not be your e-mail name$/, 'admin.msg.password_like_email'],
  [/^must be an IANA time zone/, 'admin.msg.timezone'],
  [/^letters, digits, _ \. - only$/, 'admin.msg.code_chars'],
  [/^must be a 24-character hex id$/, 'admin.msg.pick'],
  [/^Invalid enum value/, 'admin.msg.pick'],
  [/^Invalid discriminator value/, 'admin.msg.pick'],
  [/^required for role /, 'admin.msg.required_for_role'],
  [/^not allowed for audit-firm role /, 'admin.msg.not_for_firm'],
  [/^no branch "(?<code>.*)" in this bank$/, 'admin.msg.no_branch'],
  [/^no branch of this bank is in region "(?<region>.*)"$/, 'admin.msg.no_region'],
  [/^no such bank$/, 'admin.msg.no_bank'],
  [/^audit-firm users have no scope$/, 'admin.msg.firm_no_scope'],
  [/^duplicate of row (?<row>\d+) \((?<key>.*)\)$/, 'admin.msg.duplicate_row'],
  [/^Expected number, received nan$/, 'admin.msg.number'],
  [/^Expected integer, received float$/, 'admin.msg.whole_number'],
  [/^Number must be greater than or equal to (?<n>-?[\d.]+)$/, 'admin.msg.at_least'],
  [/^Number must be less than or equal to (?<n>-?[\d.]+)$/, 'admin.msg.at_most'],
  [/^give both lat and lng, or neither$/, 'admin.msg.both_coordinates'],
];

export function localizeMessage(locale: Locale, message: string, code?: string): string {
  if (code) {
    const byCode = translate(locale, `admin.msg.${code}`);
    if (byCode !== `admin.msg.${code}`) return byCode;
  }
  for (const [re, key] of KNOWN_MESSAGES) {
    const m = re.exec(message);
    if (m) return translate(locale, key, m.groups ?? {});
  }
  return message;
}

/** An import row's message is "field: problem; field: problem" (see platform/db/bulk-import); each problem is localized. */
export function localizeRowMessage(locale: Locale, message: string): string {
  return message
    .split('; ')
    .map((part) => {
      const m = /^([\w.]+): (.*)$/.exec(part);
      return m ? `${m[1]}: ${localizeMessage(locale, m[2])}` : localizeMessage(locale, part);
    })
    .join('; ');
}

function valueAt(input: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), input);
}

/**
 * Maps an error to form messages, or returns undefined when the error is not the form's to show.
 * `fields` maps a detail's field path (or its prefix) to the form field that shows it; an item of a
 * list (`reportRecipients.2`) is shown with its value so the person sees which entry is wrong.
 */
export function formFailure(
  err: unknown,
  locale: Locale,
  fields: Record<string, string>,
  input?: unknown,
): FormFailure | undefined {
  const e = toAppError(err);
  if (!FIXABLE.has(e.status)) return undefined;
  const errors: Record<string, string> = {};
  const general: string[] = [];
  for (const d of e.details as ErrorDetail[]) {
    const text = localizeMessage(locale, d.message, typeof d.code === 'string' ? d.code : undefined);
    const path = typeof d.field === 'string' ? d.field : '';
    const prefix = Object.keys(fields)
      .filter((k) => path === k || path.startsWith(`${k}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) {
      general.push(path && path !== '(root)' ? `${path}: ${text}` : text);
      continue;
    }
    const item = path.length > prefix.length ? valueAt(input, path) : undefined;
    const shown = typeof item === 'string' ? `${item}: ${text}` : text;
    const name = fields[prefix];
    errors[name] = errors[name] ? `${errors[name]} ${shown}` : shown;
  }
  general.unshift(localizeMessage(locale, e.message, e.code));
  return { status: e.status, errors, general };
}

export interface FormRun {
  /** Error detail path (or its prefix) → the form field that shows it (see formFailure). */
  fields: Record<string, string>;
  /** What the action validates, to show which entry of a list is wrong. */
  input: unknown;
  /** What the person typed, shown again. */
  values: Record<string, unknown>;
  /** A feature's dictionary prefix: the message of one of its own error codes is `<messages>.<code>`. */
  messages?: string;
  /**
   * A 404 is the form's to show (a mistyped branch code), not a page the person may not see; the
   * message is `<messages>.not_found_in_scope`.
   */
  notFoundIsFixable?: boolean;
}

/**
 * Runs a form action. A fixable error (400/409/413/415/422, and a 404 when `notFoundIsFixable`)
 * re-shows the form with its messages; anything else goes to the error page.
 */
export async function attempt(
  locale: Locale,
  form: FormRun,
  action: () => Promise<void>,
  reshow: (state: FormState, status: number) => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (e) {
    const err = toAppError(e);
    if (err.status === 404 && form.notFoundIsFixable) {
      const text = form.messages
        ? translate(locale, `${form.messages}.not_found_in_scope`, { what: err.message })
        : localizeMessage(locale, err.message, err.code);
      await reshow({ values: form.values, errors: {}, general: [text] }, 404);
      return;
    }
    const failed = formFailure(e, locale, form.fields, form.input);
    if (!failed) throw e;
    if (form.messages) {
      const own = `${form.messages}.${err.code}`;
      const text = translate(locale, own);
      if (text !== own) failed.general[0] = text;
    }
    await reshow({ values: form.values, errors: failed.errors, general: failed.general }, failed.status);
  }
}

export const emptyForm = (values: Record<string, unknown> = {}): FormState => ({ values, errors: {}, general: [] });

/** Runs a multipart parser inside a page handler, so that its errors (too large, bad part) reach the form. */
export function runUpload(upload: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    void upload(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** A named route parameter as one string (Express 5 types wildcard parameters as arrays). */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
