import type { Model } from 'mongoose';
import type { z, ZodTypeAny } from 'zod';
import { logger } from '../logger';
import type { TabularRow } from '../tabular';

export interface RowError {
  row: number;
  message: string;
}

export interface ImportResult {
  created: number;
  updated: number;
  errors: RowError[];
  /** True when the file had errors and nothing was written. */
  rejected: boolean;
}

/** Validates every row with the same schema as the single-record route; collects every error by row number. */
export function validateRows<S extends ZodTypeAny>(
  rows: TabularRow[],
  schema: S,
  keyOf: (v: z.output<S>) => string,
): { valid: { row: number; value: z.output<S> }[]; errors: RowError[] } {
  const errors: RowError[] = [];
  const valid: { row: number; value: z.output<S> }[] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (r.problems?.length) {
      errors.push({ row: r.row, message: r.problems.map((p) => `${p.column}: ${p.message}`).join('; ') });
      continue;
    }
    const parsed = schema.safeParse(r.values);
    if (!parsed.success) {
      errors.push({
        row: r.row,
        message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
      continue;
    }
    const key = keyOf(parsed.data);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ row: r.row, message: `duplicate of row ${first} (${key})` });
      continue;
    }
    seen.set(key, r.row);
    valid.push({ row: r.row, value: parsed.data });
  }
  return { valid, errors };
}

/**
 * Upserts all documents or none. Without multi-document transactions (FerretDB), a failure half-way
 * is undone by deleting what was inserted and restoring what was replaced.
 */
export async function upsertAllOrNothing<D extends Record<string, unknown>>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any collection's model
  model: Model<any>,
  docs: { filter: Record<string, unknown>; set: D }[],
): Promise<{ created: number; updated: number }> {
  if (docs.length === 0) return { created: 0, updated: 0 };
  const before = await Promise.all(docs.map((d) => model.findOne(d.filter).lean<Record<string, unknown>>()));
  try {
    await model.bulkWrite(
      docs.map((d) => ({ updateOne: { filter: d.filter, update: { $set: d.set }, upsert: true } })),
      { ordered: true },
    );
  } catch (err) {
    await rollback(model, docs, before);
    throw err;
  }
  const created = before.filter((b) => !b).length;
  return { created, updated: docs.length - created };
}

async function rollback(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  model: Model<any>,
  docs: { filter: Record<string, unknown> }[],
  before: (Record<string, unknown> | null)[],
): Promise<void> {
  for (let i = 0; i < docs.length; i++) {
    try {
      const prev = before[i];
      if (prev) await model.replaceOne({ _id: prev._id }, prev);
      else await model.deleteOne(docs[i].filter);
    } catch (e) {
      logger.error({ err: e, filter: docs[i].filter }, 'import rollback step failed');
    }
  }
}
