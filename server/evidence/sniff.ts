/**
 * File type from content only (magic numbers), never from the name or the declared type.
 * Evidence is photos, receipts/brochures (PDF) and audio notes; everything else is refused.
 */
export interface DetectedType {
  contentType: string;
  ext: string;
}

/** Enough leading bytes for every signature below, including the EBML doc type of WebM. */
export const SNIFF_BYTES = 64;

const ascii = (buf: Buffer, start: number, end: number) => buf.subarray(start, end).toString('latin1');
const startsWith = (buf: Buffer, bytes: number[]) => buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);
// Phones record audio notes as MPEG-4 audio: iOS's voice memos say "M4A "; Safari's MediaRecorder
// (audio/mp4) writes fragmented MP4 with the generic brands iso5 / iso6 / mp41; Android often mp42 / isom.
// The generic brands say nothing of the content, so a file whose brands name a video format is refused.
const M4A_BRANDS = new Set(['M4A ', 'M4B ', 'mp42', 'mp41', 'isom', 'iso2', 'iso4', 'iso5', 'iso6']);
const VIDEO_BRANDS = new Set(['avc1', 'hvc1', 'M4V ', 'M4VP', 'qt  ', '3gp4', '3gp5', '3gp6', 'av01']);

/** The ftyp box's major and compatible brands (as far as the sniffed head reaches). */
function brandsOf(buf: Buffer): string[] {
  const size = Math.min(buf.readUInt32BE(0), buf.length);
  const brands = [ascii(buf, 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(ascii(buf, at, at + 4));
  return brands;
}

function isoBmff(buf: Buffer): DetectedType | null {
  if (buf.length < 12 || ascii(buf, 4, 8) !== 'ftyp') return null;
  const brand = ascii(buf, 8, 12);
  if (HEIC_BRANDS.has(brand)) return { contentType: 'image/heic', ext: 'heic' };
  if (HEIF_BRANDS.has(brand)) return { contentType: 'image/heif', ext: 'heif' };
  const brands = brandsOf(buf);
  if (brands.some((b) => VIDEO_BRANDS.has(b))) return null;
  if (M4A_BRANDS.has(brand)) return { contentType: 'audio/mp4', ext: 'm4a' };
  return null;
}

function riff(buf: Buffer): DetectedType | null {
  if (buf.length < 12 || ascii(buf, 0, 4) !== 'RIFF') return null;
  const form = ascii(buf, 8, 12);
  if (form === 'WEBP') return { contentType: 'image/webp', ext: 'webp' };
  if (form === 'WAVE') return { contentType: 'audio/wav', ext: 'wav' };
  return null;
}

/**
 * MPEG audio frame sync (11 bits set): layer bits 00 mean AAC in ADTS, otherwise MP3. The header's
 * reserved values are rejected too, so that arbitrary binary starting with 0xFF is not taken for audio.
 */
function mpegAudio(buf: Buffer): DetectedType | null {
  if (buf.length >= 3 && ascii(buf, 0, 3) === 'ID3') return { contentType: 'audio/mpeg', ext: 'mp3' };
  if (buf.length < 3 || buf[0] !== 0xff || (buf[1] & 0xe0) !== 0xe0) return null;
  const layer = (buf[1] >> 1) & 0x03;
  if (layer === 0) {
    const adts = (buf[1] & 0xf6) === 0xf0 && ((buf[2] >> 2) & 0x0f) <= 12;
    return adts ? { contentType: 'audio/aac', ext: 'aac' } : null;
  }
  const version = (buf[1] >> 3) & 0x03;
  const bitrate = buf[2] >> 4;
  const sampleRate = (buf[2] >> 2) & 0x03;
  if (version === 1 || bitrate === 0x0f || sampleRate === 3) return null;
  return { contentType: 'audio/mpeg', ext: 'mp3' };
}

export function sniffType(buf: Buffer): DetectedType | null {
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', ext: 'jpg' };
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { contentType: 'image/png', ext: 'png' };
  if (ascii(buf, 0, 5) === '%PDF-') return { contentType: 'application/pdf', ext: 'pdf' };
  if (ascii(buf, 0, 4) === 'OggS') return { contentType: 'audio/ogg', ext: 'ogg' };
  // EBML header; Matroska shares it, so the doc type must say webm.
  if (startsWith(buf, [0x1a, 0x45, 0xdf, 0xa3]) && buf.subarray(0, SNIFF_BYTES).includes('webm', 0, 'latin1'))
    return { contentType: 'video/webm', ext: 'webm' };
  return riff(buf) ?? isoBmff(buf) ?? mpegAudio(buf);
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'application/pdf': 'pdf',
  'audio/ogg': 'ogg',
  'video/webm': 'webm',
  // What a phone's recorder calls its WebM (the content, sniffed, says video/webm: same container).
  'audio/webm': 'webm',
  'audio/wav': 'wav',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/mpeg': 'mp3',
};

/** The extension of a detected type, for names that carry nothing of the uploader's own. */
export function extensionOf(contentType: string): string {
  return EXTENSIONS[contentType] ?? 'bin';
}
