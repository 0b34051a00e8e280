import jpeg from 'jpeg-js';
import { pngChunk } from '../../seed/evidence-image';
import { pngImage } from './visit-pages';

// piexifjs has no types; the two functions used here are typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const piexif = require('piexifjs') as {
  dump: (o: Record<string, Record<number, unknown>>) => string;
  insert: (exif: string, jpeg: string) => string;
  ImageIFD: Record<string, number>;
  ExifIFD: Record<string, number>;
  GPSIFD: Record<string, number>;
  TAGS: Record<string, Record<number, { name: string; type: string }>>;
};
// EXIF 2.31's OffsetTimeOriginal, which piexifjs does not know yet.
const OFFSET_TIME_ORIGINAL = 0x9011;
piexif.TAGS.Exif[OFFSET_TIME_ORIGINAL] = { name: 'OffsetTimeOriginal', type: 'Ascii' };

/**
 * Photos made in the test, with and without the metadata phones write: EXIF capture time and offset,
 * GPS, a maker note, XMP, a comment (JPEG); eXIf and text chunks (PNG); EXIF and XMP chunks (WebP).
 */
export const MAKER_NOTE = 'MAKER-NOTE-serial-12345';
export const XMP_MARK = 'xmp-creator-auditor-zhang';

export function plainJpeg(width = 64, height = 48, seed = 0): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([(i + seed) % 255, (i * 3) % 255, 90, 255], i * 4);
  return Buffer.from(jpeg.encode({ data, width, height }, 85).data);
}

function dms(v: number): [number, number][] {
  const a = Math.abs(v);
  const d = Math.floor(a);
  const m = Math.floor((a - d) * 60);
  const s = Math.round(((a - d) * 60 - m) * 60 * 10000);
  return [
    [d, 1],
    [m, 1],
    [s, 10000],
  ];
}

function segment(marker: number, payload: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(payload.length + 2);
  return Buffer.concat([Buffer.from([0xff, marker]), len, payload]);
}

export interface PhotoFacts {
  /** "YYYY:MM:DD HH:MM:SS" as cameras write it. */
  taken?: string;
  offset?: string;
  gps?: { lat: number; lng: number };
}

/** A JPEG with EXIF (time, GPS, maker note), an XMP packet and a comment after the JFIF header. */
export function jpegWithExif(facts: PhotoFacts, seed = 0): Buffer {
  const plain = plainJpeg(64, 48, seed);
  const exif: Record<string, Record<number, unknown>> = {
    '0th': { [piexif.ImageIFD.Make]: 'PhoneCo', [piexif.ImageIFD.Model]: 'X1 serial 998877' },
    Exif: { [piexif.ExifIFD.MakerNote]: MAKER_NOTE },
    GPS: {},
  };
  if (facts.taken) exif.Exif[piexif.ExifIFD.DateTimeOriginal] = facts.taken;
  if (facts.offset) exif.Exif[OFFSET_TIME_ORIGINAL] = facts.offset;
  if (facts.gps) {
    exif.GPS = {
      [piexif.GPSIFD.GPSLatitudeRef]: facts.gps.lat >= 0 ? 'N' : 'S',
      [piexif.GPSIFD.GPSLatitude]: dms(facts.gps.lat),
      [piexif.GPSIFD.GPSLongitudeRef]: facts.gps.lng >= 0 ? 'E' : 'W',
      [piexif.GPSIFD.GPSLongitude]: dms(facts.gps.lng),
    };
  }
  const withExif = Buffer.from(piexif.insert(piexif.dump(exif), plain.toString('binary')), 'binary');
  const xmp = segment(
    0xe1,
    Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><dc:creator>${XMP_MARK}</dc:creator></x:xmpmeta>`),
  );
  const comment = segment(0xfe, Buffer.from('shot by auditor zhang'));
  return Buffer.concat([withExif.subarray(0, 2), xmp, comment, withExif.subarray(2)]);
}

/** A PNG with an eXIf chunk (the JPEG's EXIF block), a tEXt author and a tIME chunk before the image data. */
export function pngWithMetadata(): Buffer {
  const png = pngImage(32, 24, 5);
  const tiff = Buffer.from(
    piexif
      .dump({ '0th': { [piexif.ImageIFD.Make]: 'PhoneCo' }, Exif: { [piexif.ExifIFD.MakerNote]: MAKER_NOTE } })
      .slice(6),
    'binary',
  );
  const extra = Buffer.concat([
    pngChunk('eXIf', tiff),
    pngChunk('tEXt', Buffer.from(`Author\0${XMP_MARK}`, 'latin1')),
    pngChunk('tIME', Buffer.from([0x07, 0xea, 12, 1, 10, 20, 30])),
  ]);
  // After the signature and IHDR (8 + 25 bytes).
  return Buffer.concat([png.subarray(0, 33), extra, png.subarray(33)]);
}

/** PNG chunk types in order. */
export function pngChunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at + 8 <= png.length;) {
    const len = png.readUInt32BE(at);
    types.push(png.toString('latin1', at + 4, at + 8));
    at += 12 + len;
  }
  return types;
}

function riffChunk(fourcc: string, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.write(fourcc, 0, 'latin1');
  h.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, data, data.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** An extended WebP container: VP8X announcing EXIF and XMP, an image chunk, then EXIF and XMP chunks. */
export function webpWithMetadata(image: Buffer = Buffer.from('image-bits-not-decoded-here')): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x[0] = 0x08 | 0x04 | 0x10; // EXIF, XMP, alpha
  const chunks = Buffer.concat([
    riffChunk('VP8X', vp8x),
    riffChunk('VP8L', image),
    riffChunk('EXIF', Buffer.from(`Exif\0\0${MAKER_NOTE}GPS`, 'latin1')),
    riffChunk('XMP ', Buffer.from(`<x:xmpmeta>${XMP_MARK}</x:xmpmeta>`, 'latin1')),
  ]);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(chunks.length + 4, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, chunks]);
}

/** RIFF chunk FourCCs in order. */
export function riffChunks(webp: Buffer): string[] {
  const out: string[] = [];
  for (let at = 12; at + 8 <= webp.length;) {
    const size = webp.readUInt32LE(at + 4);
    out.push(webp.toString('latin1', at, at + 4));
    at += 8 + size + (size & 1);
  }
  return out;
}
