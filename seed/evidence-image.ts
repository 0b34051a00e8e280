import zlib from 'node:zlib';
import { rng } from './rng';

/**
 * Small but valid PNG "photos" for the demo evidence, built in code so the seed needs no asset files:
 * a stylised banking hall (wall, floor, counter, a sign) in colours drawn from the seed, so each
 * picture — and so each SHA-256 — differs unless the same seed is used on purpose.
 */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk (length, type, data, CRC); also used by the tests' own image builder. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

type Rgb = [number, number, number];

/** Encodes an RGB image (8 bits per channel, no interlace). */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => Rgb): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each scan line starts with filter type 0 (none)
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 96×64 picture of a banking hall; the seed picks the colours and the layout. */
export function lobbyPhoto(seed: number): Buffer {
  const r = rng(seed);
  const colour = (): Rgb => [Math.floor(r() * 200) + 40, Math.floor(r() * 200) + 40, Math.floor(r() * 200) + 40];
  const wall = colour();
  const floor = colour();
  const counter = colour();
  const sign: Rgb = [200, 30, 40];
  const counterTop = 30 + Math.floor(r() * 10);
  const signX = 10 + Math.floor(r() * 50);
  const noise = Math.floor(r() * 1000);
  return encodePng(96, 64, (x, y) => {
    if (y >= 6 && y < 14 && x >= signX && x < signX + 28) return sign;
    const base = y < 44 ? (y >= counterTop && x > 8 && x < 88 ? counter : wall) : floor;
    const shade = ((x * 7 + y * 13 + noise) % 11) - 5; // a little texture, like a real photo
    return base.map((c) => Math.max(0, Math.min(255, c + shade))) as Rgb;
  });
}
