import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The business clock: "now" as services record it (history times, submission and approval times,
 * plausibility flags). In the running app it is the real time. The seed and tests replay events at
 * past times: `withClock` sets the time for one call chain only (async-safe, so concurrent requests
 * keep the real time), `setClock` for the whole process (tests). Leases, timeouts and rate limits
 * measure real elapsed time and must keep using Date.now().
 */
type Source = () => Date;

const scoped = new AsyncLocalStorage<Source>();
let processWide: Source | null = null;

export function now(): Date {
  const source = scoped.getStore() ?? processWide;
  return source ? source() : new Date();
}

/** Runs fn with "now" fixed at `at` (a Date, or a function for a clock that moves). */
export function withClock<T>(at: Date | Source, fn: () => T): T {
  const source: Source = typeof at === 'function' ? at : () => new Date(at.getTime());
  return scoped.run(source, fn);
}

/** Sets the process-wide clock (null: back to real time). For tests only. */
export function setClock(at: Date | Source | null): void {
  processWide = at === null ? null : typeof at === 'function' ? at : () => new Date(at.getTime());
}
