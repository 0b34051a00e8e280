/**
 * A unique index refused the write (MongoDB's and FerretDB's code 11000). Unique indexes are how the
 * product makes "only one" atomic (one open dispute per item, one close per quarter, one visit per
 * assignment), so many writes expect this refusal and turn it into an answer. A bulk write counts as
 * a duplicate only when every one of its failures is one.
 */
export const DUPLICATE_KEY = 11000;

interface MaybeDuplicate {
  code?: number;
  writeErrors?: { code?: number; err?: { code?: number } }[];
}

export function isDuplicateKey(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as MaybeDuplicate;
  if (err.code === DUPLICATE_KEY) return true;
  const many = err.writeErrors;
  return Array.isArray(many) && many.length > 0 && many.every((w) => (w.err?.code ?? w.code) === DUPLICATE_KEY);
}

/** Runs a write that a unique index may refuse: its result, or `onDuplicate()` when refused. */
export async function unlessDuplicate<T, U>(
  write: () => Promise<T>,
  onDuplicate: () => U | Promise<U>,
): Promise<T | U> {
  try {
    return await write();
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    return onDuplicate();
  }
}
