import type { Request, Response } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { BadRequestError } from '../errors';

/**
 * Keyset paging for the long lists of the API (visits, assignments, the review queue, branches, staff).
 * The fixed routes answer a bare array, so the way on is given beside it: `X-Next-Cursor` and a
 * `Link: <…>; rel="next"` header when rows were left off. Without `limit` a list stops at DEFAULT_LIMIT
 * rows — an admin listing every visit of every bank must not build a response of hundreds of megabytes.
 */
export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 1000;

export const pageParams = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().max(200).optional(),
};

export const pageQuery = z.object(pageParams).strict();
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  rows: T[];
  next?: string;
}

function encode(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The values a cursor holds, or 400: a cursor is only ever one this API gave out. */
function decode(cursor: string, valid: (values: string[]) => boolean): string[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === 2 && values.every((v) => typeof v === 'string') && valid(values))
      return values;
  } catch {
    /* not JSON: reported below */
  }
  throw new BadRequestError('Invalid query', [{ field: 'cursor', message: 'is not a cursor this list gave out' }]);
}

/** The cursor after a row of a list sorted by a time, then _id. */
export function timeCursor(at: Date, id: unknown): string {
  return encode([at.toISOString(), String(id)]);
}

/** The filter for the rows after the cursor, in the order `field` then _id, both ascending or both descending. */
export function afterCursor(field: string, direction: 1 | -1, cursor: string | undefined): Record<string, unknown> {
  if (!cursor) return {};
  const [at, id] = decode(cursor, ([t, i]) => !Number.isNaN(new Date(t).getTime()) && Types.ObjectId.isValid(i));
  const when = new Date(at);
  const oid = new Types.ObjectId(id);
  const beyond = direction === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [beyond]: when } }, { [field]: when, _id: { [beyond]: oid } }] };
}

/** The cursor after a row of a list sorted by two text keys, the second unique within the first. */
export function keyCursor(first: string, second: string): string {
  return encode([first, second]);
}

/** The filter for the rows after the cursor of a list sorted ascending by `fields` (see keyCursor). */
export function afterKeys(fields: readonly [string, string], cursor: string | undefined): Record<string, unknown> {
  if (!cursor) return {};
  const [first, second] = decode(cursor, () => true);
  return { $or: [{ [fields[0]]: { $gt: first } }, { [fields[0]]: first, [fields[1]]: { $gt: second } }] };
}

/** Asks for one row more than the page, to know whether there is a next one. */
export function pageLimit(limit: number | undefined): number {
  return (limit ?? DEFAULT_LIMIT) + 1;
}

/** Cuts the extra row off and names the cursor of the next page (`cursorOf` its last row). */
export function toPage<R, T>(
  rows: R[],
  limit: number | undefined,
  cursorOf: (row: R) => string,
  view: (rows: R[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  const size = limit ?? DEFAULT_LIMIT;
  const kept = rows.slice(0, size);
  const last = kept[kept.length - 1];
  const next = rows.length > size && last !== undefined ? cursorOf(last) : undefined;
  return Promise.resolve(view(kept)).then((out) => ({ rows: out, ...(next ? { next } : {}) }));
}

/** Sends a page as the bare array the route promises, with the way to the next page in headers. */
export function sendPage<T>(req: Request, res: Response, page: Page<T>): T[] {
  if (page.next) {
    const url = new URL(req.originalUrl, 'http://placeholder');
    url.searchParams.set('cursor', page.next);
    res.set('X-Next-Cursor', page.next);
    res.links({ next: `${url.pathname}${url.search}` });
  }
  return page.rows;
}
