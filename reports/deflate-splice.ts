import zlib from 'node:zlib';

/**
 * A zlib stream (RFC 1950) of some bytes whose middle part is the same in many streams: the middle
 * is compressed once and kept, and only the parts around it are compressed each time.
 *
 * Why this is a valid stream: a deflate stream (RFC 1951) is a sequence of blocks, and zlib's full
 * flush ends the blocks so far on a byte boundary (an empty stored block) and forgets the window, so
 * that nothing after it refers back. The head is compressed and flushed that way, the middle is
 * compressed alone (it refers to nothing before it) and flushed the same way, and the tail is
 * compressed alone and ends the stream. Joined, they are one deflate stream; zlib's two-byte header
 * goes in front and the Adler-32 checksum of all the bytes after it (combined from the parts' own,
 * as zlib's adler32_combine does). Any inflater reads it as it reads any other zlib stream.
 *
 * Used for the font file of the reports (reports/font-lead.ts): most of a report's font subset is
 * the glyphs every report of a close draws, and compressing them was about a seventh of a branch report.
 */

interface KeptPart {
  raw: Buffer;
  deflated: Buffer;
  adler: number;
}

/** Per thread: the middles met lately, newest first (a close has one; a few in case of several). */
const kept: KeptPart[] = [];
const KEEP = 4;

/** deflate's 32 KB window (CMF 0x78) and the "fastest" level (FLG 0x01): 0x7801 is a multiple of 31, as RFC 1950 asks. */
const ZLIB_HEADER = Buffer.from([0x78, 0x01]);
const MOD = 65521;

/** Adler-32 of some bytes (RFC 1950), continuing from `adler` (1 for a fresh start). */
export function adler32(bytes: Uint8Array, adler = 1): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  // Reduced every 3,800 bytes: b stays below 2^31 (zlib's NMAX, 5,552, keeps it below 2^32), so V8
  // keeps both sums as small integers.
  for (let at = 0; at < bytes.length;) {
    const end = Math.min(at + 3800, bytes.length);
    for (; at < end; at++) {
      a += bytes[at];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of two byte strings one after the other, from each one's and the second's length (zlib's adler32_combine). */
export function adler32Combine(first: number, second: number, secondLength: number): number {
  const rem = secondLength % MOD;
  let sum1 = first & 0xffff;
  let sum2 = (rem * sum1) % MOD;
  sum1 += (second & 0xffff) + MOD - 1;
  sum2 += (first >>> 16) + (second >>> 16) + MOD - rem;
  sum1 %= MOD;
  sum2 %= MOD;
  return ((sum2 << 16) | sum1) >>> 0;
}

/** The last middle not kept, met once so far. */
let seenOnce: Buffer | null = null;

const same = (a: Buffer, b: Uint8Array) => a.length === b.length && a.equals(b);

/**
 * The middle compressed: kept from an earlier stream, or kept now when it is the second time it is
 * met (compressed once for many streams, so at the best level). A middle met once is compressed
 * for this stream only, at `level`: were the middles to differ every time, each stream would cost
 * what it cost without the kept part, not a compression at the best level.
 */
function middlePart(middle: Uint8Array, level: number): KeptPart {
  const found = kept.find((k) => same(k.raw, middle));
  if (found) return found;
  const raw = Buffer.from(middle);
  if (!seenOnce || !same(seenOnce, middle)) {
    seenOnce = raw;
    const deflated = zlib.deflateRawSync(middle, { level, finishFlush: zlib.constants.Z_FULL_FLUSH });
    return { raw, deflated, adler: adler32(middle) };
  }
  seenOnce = null;
  const deflated = zlib.deflateRawSync(middle, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const part = { raw, deflated, adler: adler32(middle) };
  kept.unshift(part);
  if (kept.length > KEEP) kept.pop();
  return part;
}

/**
 * `bytes` as a zlib stream, the part from `start` to `end` compressed once per thread for every
 * stream that has the very same bytes there (compared, not assumed; from the second such stream
 * on); the rest at `level`.
 */
export function deflateKeepingPart(bytes: Uint8Array, start: number, end: number, level = 1): Buffer {
  if (!(start > 0 && start < end && end <= bytes.length)) return zlib.deflateSync(bytes, { level });
  const head = bytes.subarray(0, start);
  const tail = bytes.subarray(end);
  const middle = middlePart(bytes.subarray(start, end), level);
  const checksum = adler32Combine(adler32Combine(adler32(head), middle.adler, end - start), adler32(tail), tail.length);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(checksum);
  return Buffer.concat([
    ZLIB_HEADER,
    zlib.deflateRawSync(head, { level, finishFlush: zlib.constants.Z_FULL_FLUSH }),
    middle.deflated,
    zlib.deflateRawSync(tail, { level }),
    trailer,
  ]);
}
