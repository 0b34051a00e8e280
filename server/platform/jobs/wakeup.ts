/**
 * Work queued by this process wakes this process's workers at once instead of at their next poll
 * (other instances find it when they poll). The queues call `workQueued()`; every running worker of
 * the process listens while it runs.
 */
const listeners = new Set<() => void>();

/** Calls `listener` whenever work is queued in this process; returns the function that stops it. */
export function onWorkQueued(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function workQueued(): void {
  for (const listener of [...listeners]) listener();
}
