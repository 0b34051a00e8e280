import { Transform, type TransformCallback } from 'node:stream';

/**
 * Image metadata removed on the way out (SPEC §9: bank-side users never get EXIF, XMP, GPS or maker
 * notes). Each filter walks the container's segment structure as the bytes stream past: only a
 * segment's header is ever held (a few bytes), a dropped segment's payload is skipped as it arrives,
 * and image data is copied through. No whole-file buffering, so a 20 MB photo costs the same memory
 * as a 20 kB one.
 *
 * - JPEG: APP1 (EXIF, XMP), APP2 other than the ICC profile (MPF, FlashPix), APP3–APP13 (IPTC,
 *   Photoshop), APP15 and comments are dropped; everything after the image's EOI (phones append
 *   previews and depth maps, each with its own EXIF) is dropped too.
 * - PNG: eXIf, tEXt, zTXt, iTXt and tIME chunks are dropped, and anything after IEND.
 * - WebP: EXIF and XMP chunks keep their size (so the RIFF length written at the start stays true)
 *   but become "JUNK" chunks of zeros, and the VP8X flags no longer announce them.
 */
type Step = { kind: 'header'; need: number; then: (h: Buffer) => void } | { kind: 'copy' | 'skip'; left: number };

abstract class SegmentFilter extends Transform {
  private step: Step;
  private held: Buffer[] = [];
  private heldBytes = 0;
  protected out: Buffer[] = [];
  protected done = false;

  protected constructor(first: Step) {
    super();
    this.step = first;
  }

  protected header(need: number, then: (h: Buffer) => void): void {
    this.step = { kind: 'header', need, then };
  }
  protected copy(left: number, next: () => void): void {
    this.advance('copy', left, next);
  }
  protected skip(left: number, next: () => void): void {
    this.advance('skip', left, next);
  }
  private after: () => void = () => undefined;
  private advance(kind: 'copy' | 'skip', left: number, next: () => void): void {
    if (left <= 0) return next();
    this.step = { kind, left };
    this.after = next;
  }

  /** Bytes the subclass scans itself (JPEG entropy-coded data); returns how many it consumed. */
  protected scan(_chunk: Buffer): number {
    return 0;
  }
  protected scanning = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let at = 0;
    while (at < chunk.length && !this.done) {
      if (this.scanning) {
        at += this.scan(chunk.subarray(at));
        continue;
      }
      const s = this.step;
      if (s.kind === 'header') {
        const take = Math.min(s.need - this.heldBytes, chunk.length - at);
        this.held.push(chunk.subarray(at, at + take));
        this.heldBytes += take;
        at += take;
        if (this.heldBytes < s.need) break;
        const h = Buffer.concat(this.held);
        this.held = [];
        this.heldBytes = 0;
        s.then(h);
        continue;
      }
      const take = Math.min(s.left, chunk.length - at);
      if (s.kind === 'copy') this.out.push(chunk.subarray(at, at + take));
      s.left -= take;
      at += take;
      if (s.left === 0) {
        const next = this.after;
        this.after = () => undefined;
        next();
      }
    }
    this.flushOut();
    cb();
  }

  protected flushOut(): void {
    if (this.out.length) this.push(Buffer.concat(this.out));
    this.out = [];
  }

  override _flush(cb: TransformCallback): void {
    // A truncated file: what was held is passed on as it is (never more than a segment header).
    if (this.heldBytes && !this.done) this.push(Buffer.concat(this.held));
    cb();
  }
}

const JPEG_DROP = new Set([0xe1, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xef, 0xfe]);
const ICC = Buffer.from('ICC_PROFILE\0', 'latin1');

export class JpegMetadataFilter extends SegmentFilter {
  private lastWasFF = false;

  constructor() {
    super({ kind: 'header', need: 2, then: () => undefined });
    this.header(2, (soi) => {
      this.out.push(soi);
      this.marker();
    });
  }

  private marker(): void {
    this.header(2, (m) => this.segment(m));
  }

  private segment(m: Buffer): void {
    const code = m[1];
    if (m[0] !== 0xff) return this.stop();
    if (code === 0xff) return this.header(1, (b) => this.segment(Buffer.from([0xff, b[0]])));
    if (code === 0xd9) return this.finish(m);
    if ((code >= 0xd0 && code <= 0xd7) || code === 0x01) {
      this.out.push(m);
      return this.marker();
    }
    this.header(2, (len) => {
      const payload = len.readUInt16BE(0) - 2;
      if (code === 0xda) {
        this.out.push(m, len);
        return this.copy(payload, () => {
          this.scanning = true;
        });
      }
      if (code === 0xe2 && payload >= ICC.length) return this.iccOrDrop(m, len, payload);
      if (JPEG_DROP.has(code) || code === 0xe2) return this.skip(payload, () => this.marker());
      this.out.push(m, len);
      this.copy(payload, () => this.marker());
    });
  }

  private iccOrDrop(m: Buffer, len: Buffer, payload: number): void {
    this.header(ICC.length, (id) => {
      const rest = payload - ICC.length;
      if (!id.equals(ICC)) return this.skip(rest, () => this.marker());
      this.out.push(m, len, id);
      this.copy(rest, () => this.marker());
    });
  }

  /** Entropy-coded data: copied until a marker that is not stuffing (FF00) or a restart (FFD0–D7). */
  protected override scan(chunk: Buffer): number {
    for (let i = 0; i < chunk.length; i++) {
      if (!this.lastWasFF) {
        // Native search for the next FF: a byte-by-byte loop here was the whole cost of stripping.
        const ff = chunk.indexOf(0xff, i);
        if (ff === -1) break;
        i = ff;
        this.lastWasFF = true;
        continue;
      }
      const b = chunk[i];
      if (b === 0xff) continue;
      this.lastWasFF = false;
      if (b === 0x00 || (b >= 0xd0 && b <= 0xd7)) continue;
      // A marker: the data before its FF is image data; the marker itself is parsed as a segment.
      const dataEnd = i - 1;
      if (dataEnd > 0) this.out.push(chunk.subarray(0, dataEnd));
      this.scanning = false;
      this.segment(Buffer.from([0xff, b]));
      return i + 1;
    }
    // A trailing FF may start a marker in the next chunk: held back by re-emitting it then.
    const end = this.lastWasFF ? chunk.length - 1 : chunk.length;
    this.out.push(chunk.subarray(0, end));
    if (this.lastWasFF) this.pendingFF = true;
    return chunk.length;
  }
  private pendingFF = false;

  override _transform(chunk: Buffer, enc: BufferEncoding, cb: TransformCallback): void {
    if (this.pendingFF) {
      this.pendingFF = false;
      // The held FF belongs to whatever follows it: image data (stuffing, restart) or a marker.
      const next = chunk[0];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) this.out.push(Buffer.from([0xff]));
    }
    super._transform(chunk, enc, cb);
  }

  private finish(eoi: Buffer): void {
    this.out.push(eoi);
    this.done = true;
  }

  /** Not a marker where one must be: not a JPEG we understand. Stop rather than pass unknown bytes. */
  private stop(): void {
    this.done = true;
  }
}

const PNG_DROP = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

export class PngMetadataFilter extends SegmentFilter {
  constructor() {
    super({ kind: 'header', need: 8, then: () => undefined });
    this.header(8, (sig) => {
      this.out.push(sig);
      this.chunk();
    });
  }

  private chunk(): void {
    this.header(8, (h) => {
      const length = h.readUInt32BE(0);
      const type = h.toString('latin1', 4, 8);
      if (PNG_DROP.has(type)) return this.skip(length + 4, () => this.chunk());
      this.out.push(h);
      this.copy(length + 4, () => (type === 'IEND' ? void (this.done = true) : this.chunk()));
    });
  }
}

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

export class WebpMetadataFilter extends SegmentFilter {
  constructor() {
    super({ kind: 'header', need: 12, then: () => undefined });
    this.header(12, (riff) => {
      this.out.push(riff);
      this.chunk();
    });
  }

  private chunk(): void {
    this.header(8, (h) => {
      const fourcc = h.toString('latin1', 0, 4);
      const size = h.readUInt32LE(4);
      const padded = size + (size & 1);
      if (fourcc === 'EXIF' || fourcc === 'XMP ') {
        this.out.push(Buffer.concat([Buffer.from('JUNK', 'latin1'), h.subarray(4)]));
        return this.skip(padded, () => {
          this.out.push(Buffer.alloc(padded));
          this.chunk();
        });
      }
      this.out.push(h);
      if (fourcc === 'VP8X' && size >= 1) {
        return this.header(1, (flags) => {
          this.out.push(Buffer.from([flags[0] & ~(VP8X_EXIF | VP8X_XMP)]));
          this.copy(padded - 1, () => this.chunk());
        });
      }
      this.copy(padded, () => this.chunk());
    });
  }
}

/** The filter for an image type that carries metadata we can remove; null for types served as they are. */
export function metadataFilter(contentType: string): Transform | null {
  if (contentType === 'image/jpeg') return new JpegMetadataFilter();
  if (contentType === 'image/png') return new PngMetadataFilter();
  if (contentType === 'image/webp') return new WebpMetadataFilter();
  return null;
}

/** Images whose metadata cannot be removed by a filter here (HEIC/HEIF): never served to bank users. */
export const UNSTRIPPABLE_IMAGES = new Set(['image/heic', 'image/heif']);
