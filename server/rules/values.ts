/**
 * Two small helpers the pure rules share, written once so that each is tested once (and mutated
 * once): a finite-number guard and the order of ids and keys. Pure.
 */

/** Number.isFinite as a type guard: false for null, undefined, NaN, ±Infinity and anything not a number. */
export const isFiniteNumber = (x: unknown): x is number => Number.isFinite(x);

/** Ids and keys in code-unit order (as `<` on strings), equal ones as equal: for Array.prototype.sort. */
export const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
