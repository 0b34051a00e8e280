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
