/**
 * A small in-process cache: at most `limit` entries (the one written longest ago goes first) and,
 * with a time to live, nothing older than that. What is kept here is either immutable (questionnaire
 * versions, assignment windows) or display data that may lag by the TTL (branch names); the instance
 * that changes such data forgets it at once (`delete`, `deleteWhere`, `clear`).
 */
export interface CacheOptions {
  limit: number;
  /** Milliseconds an entry is served; a function is read at each write (configuration may change). */
  ttlMs?: number | (() => number);
}

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(private readonly options: CacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Stores `value`; `until` (epoch ms) caps this entry's life below the TTL (e.g. a token's expiry). */
  set(key: K, value: V, until = Infinity): void {
    const ttl = typeof this.options.ttlMs === 'function' ? this.options.ttlMs() : this.options.ttlMs;
    if (ttl !== undefined && ttl <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.options.limit) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, { value, until: Math.min(until, ttl === undefined ? Infinity : Date.now() + ttl) });
  }

  /** The kept value, or the loaded one (kept unless the loader found nothing). */
  async getOrLoad(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined) this.set(key, value);
    return value;
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  deleteWhere(match: (key: K, value: V) => boolean): void {
    for (const [key, e] of this.entries) if (match(key, e.value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
