import LineBreaker from 'linebreak';
import {
  memoOf,
  runOf,
  type DocLike,
  type LineBox,
  type EmbeddedFontLike,
  type LaidOutGlyph,
  type Position,
  type Run,
} from './text-runs';

/**
 * The reports' text, written without PDFKit's text path. A close renders tens of thousands of
 * reports and their text was most of the cost: for every table cell PDFKit builds an options object,
 * an event-emitting line wrapper and, per line, a saved graphics state, a flipped matrix and a text
 * object of its own; a close-like branch report allocated 4.1 MB, which the garbage collector then
 * paid for on every thread (2.1 MB now). Here a row of cells (or a paragraph) is one text object; a
 * string is laid out once per process (reports/text-runs.ts) and its glyphs encoded once per document.
 *
 * What is drawn is what PDFKit draws: the glyphs and their positions come from PDFKit's own layout of
 * the same strings (EmbeddedFont.layout, so the font's kerning is kept), lines are broken where
 * PDFKit's wrapper breaks them (the same Unicode line-break opportunities, the same greedy fitting and
 * the same comparisons in single precision), and each glyph is added to the document's font subset
 * as PDFKit's encode does. test/reports-text.test.ts compares lines, widths and heights with PDFKit's.
 */

/** PDFKit's PDFNumber: the largest single-precision number not above n (its wrapper compares in these). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function pdfNumber(n: number): number {
  const rounded = Math.fround(n);
  if (rounded <= n) return rounded;
  f32[0] = n;
  if (n <= 0) u32[0] += 1;
  else u32[0] -= 1;
  return f32[0];
}

/** PDFKit's number(): six decimals at most. */
const num = (n: number): number => Math.round(n * 1e6) / 1e6;

const rgbCache = new Map<string, string>();
/** A colour operator for '#rrggbb': `rg` fills (text included), `RG` strokes. */
function rgb(color: string, op: 'rg' | 'RG' = 'rg'): string {
  const key = op + color;
  let out = rgbCache.get(key);
  if (out) return out;
  const hex = parseInt(color.slice(1), 16);
  out = `${[hex >> 16, (hex >> 8) & 0xff, hex & 0xff].map((c) => num(c / 255)).join(' ')} ${op}`;
  rgbCache.set(key, out);
  return out;
}

export type { LineBox };

export type Align = 'left' | 'right' | 'center';

/** The longest text whose wrapping is kept (characters). */
export const WRAPS_KEPT_UP_TO = 240;

/** A document's text: measured, wrapped and encoded as PDFKit does it, drawn in blocks (TextBlock). */
export class ReportText {
  /** This document's subset: a glyph's id there (as hex), and each string's glyphs as an operator. */
  private readonly hex = new Map<number, string>();
  private readonly shown = new Map<string, string>();

  constructor(private readonly doc: DocLike) {}

  private get font(): EmbeddedFontLike {
    return this.doc._font;
  }

  /** A string's width at a size, computed as PDFKit's widthOfString does (same operations, same order). */
  width(text: string, size: number): number {
    const scale = size / 1000;
    return ((runOf(this.font, text).width * scale + 0) * 100) / 100;
  }

  /** PDFKit's currentLineHeight(true) at a size. */
  lineHeight(size: number): number {
    const f = this.font;
    return ((f.ascender + f.lineGap - f.descender) / 1000) * size;
  }

  /**
   * The lines PDFKit's wrapper makes of `text` in `width` (no indent, columns, spacing or height
   * limit: what the reports use). Required breaks (new lines) end a line; a word wider than a line
   * is cut where it stops fitting.
   */
  lines(text: string, width: number, size: number): readonly LineBox[] {
    // Wrapping depends only on the font, the text, the width and the size: kept per process — for
    // short texts only (item wordings, answer words, labels recur; a long comment or summary is
    // usually met once, and keeping thousands of them would weigh on each render thread's memory).
    if (text.length > WRAPS_KEPT_UP_TO) return this.wrap(text, width, size);
    const wrapped = memoOf(this.font).wrapped;
    const key = `${size} ${width} ${text}`;
    let lines = wrapped.get(key);
    if (!lines) wrapped.set(key, (lines = Object.freeze(this.wrap(text, width, size))));
    return lines;
  }

  private wrap(text: string, width: number, size: number): LineBox[] {
    const out: LineBox[] = [];
    const wordWidth = (w: string) => pdfNumber(this.width(w, size));
    let buffer = '';
    let textWidth = 0;
    let words = 0;
    let spaceLeft = width;
    const emit = () => {
      out.push({ text: buffer, width: textWidth });
    };
    // One call per piece of a word, exactly as PDFKit's wrap callback (see eachWord below).
    const place = (word: string, w: number, required: boolean): void => {
      if (words === 0 && buffer === '') spaceLeft = width;
      const fits = w <= spaceLeft;
      if (fits) {
        buffer += word;
        textWidth += w;
        words++;
      }
      if (!required && fits) {
        spaceLeft -= w;
        return;
      }
      if (required && w > spaceLeft) {
        emit();
        buffer = word;
        textWidth = w;
        words = 1;
      }
      emit();
      if (required) {
        spaceLeft = width;
        buffer = '';
        textWidth = 0;
        words = 0;
      } else {
        spaceLeft = width - w;
        buffer = word;
        textWidth = w;
        words = 1;
      }
    };
    eachWord(text, width, wordWidth, () => spaceLeft, place);
    if (words > 0) emit();
    return out;
  }

  /** PDFKit's heightOfString with a width and line gap. */
  height(text: string, width: number, size: number, lineGap: number): number {
    return this.lines(text, width, size).length * (this.lineHeight(size) + lineGap);
  }

  /** Starts a text object: lines added to it are written out together by end(). */
  begin(): TextBlock {
    return new TextBlock(this, this.doc);
  }

  /**
   * A line's glyphs as content at baseline (x, y) in PDF space: hex glyph ids of this document's
   * subset, with PDFKit's adjustments between them.
   */
  encode(text: string, x: number, y: number, size: number): string {
    const at = `1 0 0 1 ${num(x)} ${num(y)} Tm`;
    const run = runOf(this.font, text);
    if (run.placed) return `${at}\n${this.placed(run, run.placed, x, y, size)}`;
    // The same labels, digits and item texts recur all through a report: each is encoded once.
    let shown = this.shown.get(text);
    if (shown === undefined) this.shown.set(text, (shown = this.show(run)));
    return `${at}\n${shown}`;
  }

  /** The operator showing a run's glyphs (with PDFKit's adjustments between them when the font kerns). */
  private show(run: Run): string {
    let hex = '';
    const adjust = run.adjust;
    if (!adjust) {
      for (const id of run.ids) hex += this.glyphHex(id);
      return `<${hex}> Tj`;
    }
    const parts: string[] = [];
    run.ids.forEach((id, i) => {
      hex += this.glyphHex(id);
      if (adjust[i] !== 0) {
        parts.push(`<${hex}> ${num(-adjust[i])}`);
        hex = '';
      }
    });
    if (hex) parts.push(`<${hex}> 0`);
    return `[${parts.join(' ')}] TJ`;
  }

  /** PDFKit's way with glyphs off the pen's path: each such glyph under a text matrix of its own. */
  private placed(run: Run, positions: Position[], x0: number, y: number, size: number): string {
    const ops: string[] = [];
    const scale = size / 1000;
    let x = x0;
    let moved = false;
    run.ids.forEach((id, i) => {
      const p = positions[i];
      if (p.xOffset || p.yOffset) {
        ops.push(`1 0 0 1 ${num(x + p.xOffset * scale)} ${num(y + p.yOffset * scale)} Tm`);
        moved = true;
      } else if (moved) {
        ops.push(`1 0 0 1 ${num(x)} ${num(y)} Tm`);
        moved = false;
      }
      ops.push(`<${this.glyphHex(id)}> Tj`);
      x += p.xAdvance * scale;
    });
    return ops.join('\n');
  }

  private glyphHex(id: number): string {
    let h = this.hex.get(id);
    if (h !== undefined) return h;
    const font = this.font;
    const glyph = memoOf(font).glyphs.get(id) as LaidOutGlyph;
    const gid = font.subset.includeGlyph(id);
    font.widths[gid] ??= glyph.advanceWidth * font.scale;
    font.unicode[gid] ??= glyph.codePoints;
    h = `0000${gid.toString(16)}`.slice(-4);
    this.hex.set(id, h);
    return h;
  }
}

/**
 * Lines of text drawn in one text object (between a saved and a restored graphics state, so that
 * nothing here changes the state PDFKit keeps). Coordinates are PDFKit's: y grows down the page
 * from the top of the line.
 */
export class TextBlock {
  private readonly ops: string[] = [];
  /** Drawn before the text (a row's fill) and after it (a row's rule), in PDFKit's coordinates. */
  private readonly under: string[] = [];
  private readonly over: string[] = [];
  private size = -1;
  private color = '';

  constructor(
    private readonly text: ReportText,
    private readonly doc: DocLike,
  ) {}

  /** A filled rectangle under the block's text. */
  fill(x: number, y: number, w: number, h: number, color: string): void {
    this.under.push(rgb(color), `${num(x)} ${num(y)} ${num(w)} ${num(h)} re`, 'f');
  }

  /** A horizontal rule over the block's text. */
  rule(x1: number, x2: number, y: number, lineWidth: number, color: string): void {
    this.over.push(`${num(lineWidth)} w`, rgb(color, 'RG'), `${num(x1)} ${num(y)} m`, `${num(x2)} ${num(y)} l`, 'S');
  }

  /** One line at (x, top) in PDFKit's coordinates (y down the page, the top of the line). */
  line(line: string, x: number, top: number, size: number, color: string): void {
    // A line keeps the new line that ended it; PDFKit drops it when drawing.
    const text = line.includes('\n') ? line.replace(/\n/g, '') : line;
    if (text.length === 0) return;
    const font = this.doc._font;
    if (size !== this.size) {
      this.ops.push(`/${font.id} ${num(size)} Tf`);
      this.size = size;
    }
    if (color !== this.color) {
      this.ops.push(rgb(color));
      this.color = color;
    }
    const baseline = this.doc.page.height - top - (font.ascender / 1000) * size;
    this.ops.push(this.text.encode(text, x, baseline, size));
  }

  /** Writes what was drawn (if anything) to the page, inside a saved and restored graphics state. */
  end(): void {
    if (this.ops.length === 0 && this.under.length === 0 && this.over.length === 0) return;
    const parts = ['q', ...this.under];
    if (this.ops.length) {
      const font = this.doc._font;
      this.doc.page.fonts[font.id] ??= font.ref();
      parts.push('q', `1 0 0 -1 0 ${num(this.doc.page.height)} cm`, 'BT', ...this.ops, 'ET', 'Q');
    }
    parts.push(...this.over, 'Q');
    this.doc.addContent(parts.join('\n'));
    this.ops.length = 0;
    this.under.length = 0;
    this.over.length = 0;
    this.size = -1;
    this.color = '';
  }
}

/** Where a line of text starts for an alignment, as PDFKit's _fragment places it. */
export function lineX(t: ReportText, line: LineBox, x: number, width: number, size: number, align: Align): number {
  if (align === 'right') return x + width - t.width(line.text.replace(/\s+$/, ''), size);
  if (align === 'center') return x + width / 2 - line.width / 2;
  return x;
}

/**
 * PDFKit's LineWrapper.eachWord: break opportunities from the Unicode line-breaking algorithm (the
 * same library PDFKit uses); a word wider than the line is cut into the longest pieces that fit.
 */
function eachWord(
  text: string,
  lineWidth: number,
  wordWidth: (w: string) => number,
  spaceLeft: () => number,
  fn: (word: string, w: number, required: boolean) => void,
): void {
  const breaker = new LineBreaker(text);
  const widths = new Map<string, number>();
  let last = 0;
  let bk: { position: number; required: boolean } | null;
  while ((bk = breaker.nextBreak())) {
    let word = text.slice(last, bk.position);
    let w = widths.get(word);
    if (w === undefined) widths.set(word, (w = wordWidth(word)));
    if (w > lineWidth) {
      while (word.length) {
        let l: number;
        let mightGrow = false;
        if (w > spaceLeft()) {
          l = Math.ceil(spaceLeft() / (w / word.length));
          w = wordWidth(word.slice(0, l));
          mightGrow = w <= spaceLeft() && l < word.length;
        } else l = word.length;
        let mustShrink = w > spaceLeft() && l > 0;
        while (mustShrink || mightGrow) {
          if (mustShrink) {
            w = wordWidth(word.slice(0, --l));
            mustShrink = w > spaceLeft() && l > 0;
          } else {
            w = wordWidth(word.slice(0, ++l));
            mustShrink = w > spaceLeft() && l > 0;
            mightGrow = w <= spaceLeft() && l < word.length;
          }
        }
        if (l === 0 && spaceLeft() === lineWidth) l = 1;
        fn(word.slice(0, l), w, bk.required || l < word.length);
        word = word.slice(l);
        w = wordWidth(word);
      }
    } else fn(word, w, bk.required);
    last = bk.position;
  }
}
