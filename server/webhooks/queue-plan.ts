import type { Bucket, Entry } from './queue';

/**
 * What the sender does with each entry of the buckets it read (pure: no I/O; sender.ts acts on it).
 *
 * - `settled`: already dealt with here (this entry was moved or dropped, or an attempt of its
 *   delivery ended after the entry was written: a later entry, if any, carries the delivery on);
 * - `drop`: its endpoint is gone, or another entry of the same delivery in this read stands for it;
 * - `park`: its endpoint is disabled (looked at again later; enabling it queues its deliveries at once);
 * - `flying`: being sent by this process now;
 * - `wait`: an earlier event of the same order key for the same endpoint is still open in this read;
 * - `check`: first of its order key here, but its predecessor (`a`) is not in this read: its state
 *   must be known first (sender.ts reads it unless this process settled it);
 * - `free`: may be claimed now.
 * The sender then turns `park`, `check` and `free` into `moved` (to a later bucket), `flying`, `wait`
 * or `drop`, and seals each past bucket that nothing has to stay in.
 */
export type Decision = 'settled' | 'drop' | 'park' | 'flying' | 'wait' | 'check' | 'free' | 'moved';
export type EndpointState = 'enabled' | 'disabled' | 'gone';

export interface PlanFacts {
  /** This entry was dealt with by this process, or superseded by an attempt that ended after it was written. */
  settled(e: Entry): boolean;
  flying(deliveryId: string): boolean;
  endpoint(id: string): EndpointState;
}

export interface Planned {
  entry: Entry;
  bucket: number;
  decision: Decision;
}

export function planEntries(live: readonly Bucket[], facts: PlanFacts): Planned[] {
  const out: Planned[] = [];
  // The entry that stands for each delivery: a redelivery by hand first, else the oldest.
  const standing = new Map<string, Planned>();
  for (const b of [...live].sort((x, y) => x.index - y.index))
    for (const entry of b.entries) {
      const p: Planned = { entry, bucket: b.index, decision: 'free' };
      out.push(p);
      if (facts.settled(entry)) p.decision = 'settled';
      else if (facts.endpoint(entry.e) === 'gone') p.decision = 'drop';
      else if (facts.endpoint(entry.e) === 'disabled') p.decision = 'park';
      else if (facts.flying(entry.d)) p.decision = 'flying';
      else {
        const first = standing.get(entry.d);
        if (!first) standing.set(entry.d, p);
        else if (entry.r === 1 && first.entry.r !== 1) {
          first.decision = 'drop';
          standing.set(entry.d, p);
        } else p.decision = 'drop';
      }
    }
  // Per endpoint and order key, only the lowest open position may go; a flying one holds the rest.
  const lowest = new Map<string, number>();
  const key = (e: Entry) => `${e.e}|${e.k}`;
  for (const p of out)
    if (p.decision === 'free' || p.decision === 'flying')
      lowest.set(key(p.entry), Math.min(lowest.get(key(p.entry)) ?? Infinity, p.entry.p));
  for (const p of out) {
    if (p.decision !== 'free') continue;
    if (lowest.get(key(p.entry)) !== p.entry.p) p.decision = 'wait';
    else if (p.entry.a) p.decision = facts.flying(p.entry.a) ? 'wait' : 'check';
  }
  return out;
}

/**
 * A past bucket may be sealed when none of its entries has to stay in it: each is settled, dropped,
 * moved to a later bucket, or flying (sender.ts writes a lease entry for those first).
 */
export function sealable(planned: readonly Planned[], bucket: number): boolean {
  return planned.every((p) => p.bucket !== bucket || LEAVING.has(p.decision));
}
const LEAVING = new Set<Decision>(['settled', 'drop', 'moved', 'flying']);
