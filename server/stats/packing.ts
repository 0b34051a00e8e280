import zlib from 'node:zlib';

/**
 * How a record's value is stored in `packed`: its JSON, deflated and in base64 (after a `z:`) once
 * it is more than a few hundred characters. On the embedded FerretDB a document is kept as JSON text,
 * so a JSON value inside it was escaped quote by quote on every write and decoded again on every read
 * (a first rebuild of 25,000 branches wrote 120 MB of it). Deflated, a branch of four visits takes
 * 0.9 KB instead of 5.2 and a bucket a fifth of its JSON; a sync per approval took half the time
 * (bench:stats-sync), a rebuild's bucket step about 40 % less, and reads took no longer (BENCHMARKS.md). The
 * small window (4 KB: the repetition in these values is near) and memory level keep zlib's set-up,
 * paid on every call, small: 0.02 ms for a branch instead of 0.24 with zlib's defaults. Values stored
 * as plain JSON (by earlier versions, or small ones) are read as they are.
 *
 * This module imports nothing else: a packing thread (./pack-thread.ts) loads it alone.
 */
const DEFLATED = 'z:';
const DEFLATE_FROM = 512;
const DEFLATE_OPTIONS: zlib.ZlibOptions = { level: 6, windowBits: 12, memLevel: 4 };

export function packValue(value: unknown): string {
  return packJson(JSON.stringify(value));
}

/** packValue of a value whose JSON is `json`. */
export function packJson(json: string): string {
  if (json.length < DEFLATE_FROM) return json;
  return DEFLATED + zlib.deflateRawSync(json, DEFLATE_OPTIONS).toString('base64');
}

export function unpackValue<T>(packed: string): T {
  if (!packed.startsWith(DEFLATED)) return JSON.parse(packed) as T;
  return JSON.parse(zlib.inflateRawSync(Buffer.from(packed.slice(DEFLATED.length), 'base64')).toString()) as T;
}
