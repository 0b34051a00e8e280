import exifr from 'exifr';
import { logger } from '../platform/logger';

/**
 * What a photo says about itself (SPEC §9): the EXIF capture time, as the camera wrote it (local
 * time, with its offset when the camera recorded one) and the GPS position. Read with exifr from the
 * file's first bytes only: EXIF sits in the first segment of a JPEG (at most 64 kB) and early in
 * PNG, WebP and HEIC files, so the whole file is never held for it.
 */
export const METADATA_BYTES = 256 * 1024;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif']);

export interface ImageFacts {
  /** "YYYY-MM-DDTHH:mm:ss", the camera's own clock, without a zone. */
  capturedLocal?: string;
  /** "+08:00" when the camera recorded its offset (EXIF 2.31 OffsetTimeOriginal). */
  capturedOffset?: string;
  gps?: { lat: number; lng: number };
}

const EXIF_TIME = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;
const OFFSET = /^[+-]\d{2}:\d{2}$/;

function localTime(v: unknown): string | undefined {
  const m = typeof v === 'string' ? EXIF_TIME.exec(v) : null;
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : undefined;
}

function position(lat: unknown, lng: unknown): ImageFacts['gps'] {
  if (typeof lat !== 'number' || typeof lng !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lng))
    return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180 || (lat === 0 && lng === 0)) return undefined;
  return { lat, lng };
}

const ISO_BMFF = new Set(['image/heic', 'image/heif']);

/**
 * True when the top-level boxes of a HEIC/HEIF file lead, within `head`, to its 'meta' box.
 * exifr walks these boxes by their sizes without checking them: a box of size 0 (or any size
 * below its own header) makes it loop forever on microtasks, which would freeze the whole server
 * on one crafted upload. Such a file simply has no capture facts.
 */
export function isoBoxesReachMeta(head: Buffer): boolean {
  let offset = 0;
  while (offset + 8 <= head.length) {
    let size = head.readUInt32BE(offset);
    if (size === 1) {
      if (offset + 16 > head.length) return false;
      size = Number(head.readBigUInt64BE(offset + 8));
      if (size < 16) return false;
    } else if (size < 8) return false;
    if (head.toString('latin1', offset + 4, offset + 8) === 'meta') return offset + size <= head.length;
    offset += size;
  }
  return false;
}

/** Never fails an upload: a photo with broken or no metadata simply has no facts. */
export async function readImageFacts(contentType: string, head: Buffer): Promise<ImageFacts> {
  if (!IMAGE_TYPES.has(contentType) || head.length === 0) return {};
  if (ISO_BMFF.has(contentType) && !isoBoxesReachMeta(head)) return {};
  try {
    const tags = (await exifr.parse(head, {
      tiff: true,
      exif: true,
      gps: true,
      ifd1: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      reviveValues: false,
      translateValues: false,
    })) as Record<string, unknown> | undefined;
    if (!tags) return {};
    const capturedLocal = localTime(tags.DateTimeOriginal) ?? localTime(tags.CreateDate);
    const offset = typeof tags.OffsetTimeOriginal === 'string' ? tags.OffsetTimeOriginal.trim() : '';
    const gps = position(tags.latitude, tags.longitude);
    return {
      ...(capturedLocal ? { capturedLocal } : {}),
      ...(capturedLocal && OFFSET.test(offset) ? { capturedOffset: offset } : {}),
      ...(gps ? { gps } : {}),
    };
  } catch (e) {
    logger.info({ err: e, contentType }, 'image metadata unreadable; stored without capture facts');
    return {};
  }
}
