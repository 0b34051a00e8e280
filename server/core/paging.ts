import type { Request, Response } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { BadRequestError } from './errors';

/**
 * Keyset paging for the long lists of the API (visits, assignments). The fixed routes answer a bare
 * array, so the way on is given beside it: `X-Next-Cursor` and a `Link: <…>; rel="next"` header when
 * rows were left off. Without `limit` a list stops at DEFAULT_LIMIT rows — an admin listing every
 * visit of every bank must not build a response of hundreds of megabytes.
 */
export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 1000;

export const pageParams = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  cursor: z.string().max(200).optional(),
};

export const pageQuery = z.object(pageParams).strict();
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> { rows: T[]; next?: string }

/** Where a page ended: the sort value and the _id of its last row. */
interface Position { at: Date; id: Types.ObjectId }

export function encodeCursor(at: Date, id: unknown): string {
  return Buffer.from(JSON.stringify([at.toISOString(), String(id)])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const when = new Date(at);
    if (typeof at !== 'string' || Number.isNaN(when.getTime()) || !Types.ObjectId.isValid(id)) throw new Error('bad cursor');
    return { at: when, id: new Types.ObjectId(id) };
  } catch {
    throw new BadRequestError('Invalid query', [{ field: 'cursor', message: 'is not a cursor this list gave out' }]);
  }
}

/** The filter for the rows after the cursor, in the order `field` then _id, both ascending or both descending. */
export function afterCursor(field: string, direction: 1 | -1, cursor: string | undefined): Record<string, unknown> {
  if (!cursor) return {};
  const { at, id } = decodeCursor(cursor);
  const beyond = direction === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [beyond]: at } }, { [field]: at, _id: { [beyond]: id } }] };
}

/** Asks for one row more than the page, to know whether there is a next one. */
export function pageLimit(limit: number | undefined): number {
  return (limit ?? DEFAULT_LIMIT) + 1;
}

/** Cuts the extra row off and names the cursor of the next page. */
export function toPage<R extends { _id: unknown }, T>(rows: R[], limit: number | undefined, at: (row: R) => Date, view: (rows: R[]) => T[] | Promise<T[]>): Promise<Page<T>> {
  const size = limit ?? DEFAULT_LIMIT;
  const kept = rows.slice(0, size);
  const last = kept[kept.length - 1];
  const next = rows.length > size && last ? encodeCursor(at(last), last._id) : undefined;
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
