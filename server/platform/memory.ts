import v8 from 'node:v8';
import vm from 'node:vm';
import { logger } from './logger';

/**
 * A full garbage collection, for the rare moment a process knows that most of its heap has just
 * become garbage (a quarter close's snapshot step reads a whole bank and keeps a small part). V8
 * grows its heap with the allocation rate and gives pages back only after a collection finds them
 * empty; collecting here lets the pages go before the render threads start, instead of the close's
 * peak being the snapshot's garbage plus the threads. Node offers `gc` only under --expose-gc; the
 * flag is switched on at run time (as v8.setFlagsFromString documents for flags in general), and a
 * fresh context then has the function.
 */
let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return (collect = exposed);
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  } catch (e) {
    logger.warn({ err: e }, 'a full garbage collection is not available');
    collect = null;
  }
  return collect;
}

/** Runs a full collection; false where the runtime offers none. */
export function collectGarbage(): boolean {
  const fn = collector();
  if (!fn) return false;
  fn();
  return true;
}

/**
 * A young-generation collection (a scavenge: a few ms), for when a thread knows that buffers it just
 * used are garbage. V8 counts buffer memory allocated since the last full collection against the old
 * generation's headroom; buffers that die young are subtracted again only when a collection frees
 * them, so a thread that passes many buffers but allocates few objects (a close's, storing PDFs)
 * otherwise reaches that headroom and runs a full collection instead.
 */
export function collectYoungGarbage(): boolean {
  const fn = collector() as ((options?: { type: 'minor' }) => void) | null;
  if (!fn) return false;
  fn({ type: 'minor' });
  youngCollections += 1;
  return true;
}

let youngCollections = 0;
/** Young-generation collections this process asked for so far (for logs and tests). */
export const youngCollectionsAsked = (): number => youngCollections;

/** This thread's heap and the memory its objects hold outside it (buffers), in bytes. */
export const heldBytes = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/**
 * A full collection whenever this thread's memory has grown by `limit` bytes since the last one
 * (or since the start): for work that passes large buffers through a thread that also holds much
 * that lives long (a close's rendered files on their way to the database, beside the snapshot).
 * Such buffers outlive a young-generation collection and then wait for a full one, which V8 runs
 * only once the heap has grown a lot; a collection of a large heap costs, so it runs on growth,
 * not on a schedule. `check` is cheap enough to call every few files.
 */
export function collectOnGrowth(
  limit: number,
  held: () => number = heldBytes,
  collect: () => boolean = collectGarbage,
): { check(): boolean } {
  let base = held();
  return {
    check() {
      const now = held();
      if (now - base < limit) {
        base = Math.min(base, now);
        return false;
      }
      collect();
      base = held();
      return true;
    },
  };
}
