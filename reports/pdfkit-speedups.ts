import { BoundedCache } from '../server/platform/cache';
import zlib from 'node:zlib';

// PDFKit, made faster for the reports: a close renders thousands of PDFs from the same font, labels
// and digits. Each function hooks one PDFKit document (ReportDoc's constructor calls them all).

/**
 * Text layout (shaping each word with the font) is the largest cost of a report. Its results depend
 * only on the font and the word, so one cache serves every document of the process; it is emptied
 * when it grows large, which bounds its memory. Small on purpose: the words that recur (labels, item
 * texts, digits) are few, and at 50,000 entries (and 20,000 measures below) a render thread of a
 * 2,500-branch close held about 110 MB more for no less CPU (2026-12-05, bench:reports-close).
 */
const LAYOUT_CACHE_MAX = 2_000;
let sharedLayout: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
let sharedLayoutSize = 0;

export function shareLayoutCache(doc: PDFKit.PDFDocument): void {
  const font = (doc as unknown as { _font?: { layoutCache?: Record<string, unknown> } })._font;
  if (!font || !font.layoutCache) return;
  const bound = () => {
    if (Object.keys(sharedLayout).length > LAYOUT_CACHE_MAX)
      sharedLayout = Object.create(null) as Record<string, unknown>;
    font.layoutCache = sharedLayout;
  };
  if (sharedLayoutSize++ % 20 === 0) bound();
  font.layoutCache = sharedLayout;
  // A long document (a bank report lists every branch) is checked as it goes, every few pages.
  let pages = 0;
  doc.on('pageAdded', () => {
    if (++pages % 25 === 0) bound();
  });
}

/**
 * Measuring the same strings again is the next largest cost: every table cell is measured to size
 * its row and again to place it, and the labels, item texts and digits of one report recur in every
 * other. A string's width at a font size (and a text's wrapped height at a width) depend only on the
 * font, so they are kept per font for the whole process, in bounded caches (the string measured
 * longest ago goes first); anything measured with
 * spacing, scaling or font features goes to PDFKit as before.
 */
const MEASURES_MAX = 1_000;
type MeasureOptions = {
  features?: unknown;
  characterSpacing?: number;
  horizontalScaling?: number;
  width?: number;
  lineGap?: number;
  align?: string;
  height?: number;
};
type Measures = BoundedCache<string, number>;
const measures = new WeakMap<object, { widths: Map<number, Measures>; heights: Measures }>();
const newMeasures = (): Measures => new BoundedCache({ limit: MEASURES_MAX });

export function shareMeasures(doc: PDFKit.PDFDocument): void {
  const d = doc as unknown as {
    _font?: { font?: object };
    _fontSize: number;
    widthOfString(text: string, options?: MeasureOptions): number;
    heightOfString(text: string, options?: MeasureOptions): number;
  };
  const widthOf = d.widthOfString.bind(d);
  const heightOf = d.heightOfString.bind(d);
  const cacheOf = () => {
    const font = d._font?.font;
    if (!font) return undefined;
    let c = measures.get(font);
    if (!c) measures.set(font, (c = { widths: new Map(), heights: newMeasures() }));
    return c;
  };
  const plain = (o: MeasureOptions | undefined) =>
    !o || (!o.features && !o.characterSpacing && (o.horizontalScaling ?? 100) === 100);
  d.widthOfString = (text, options) => {
    const bySize = plain(options) ? cacheOf()?.widths : undefined;
    if (!bySize) return widthOf(text, options);
    let cache = bySize.get(d._fontSize);
    if (!cache) bySize.set(d._fontSize, (cache = newMeasures()));
    let w = cache.get(text);
    if (w === undefined) cache.set(text, (w = widthOf(text, options)));
    return w;
  };
  d.heightOfString = (text, options) => {
    const cache =
      plain(options) && options?.height === undefined && typeof options?.width === 'number'
        ? cacheOf()?.heights
        : undefined;
    if (!cache || !options) return heightOf(text, options);
    const key = `${d._fontSize}|${options.width}|${options.lineGap ?? ''}|${options.align ?? ''}|${text}`;
    let h = cache.get(key);
    if (h === undefined) cache.set(key, (h = heightOf(text, options)));
    return h;
  };
}

/**
 * The embedded font subset is most of a report's bytes, and compressing it at zlib's default level
 * was a fifth of a branch report's CPU; level 1 takes half the time for a stream about 5% larger.
 * PDFKit compresses every stream at the default level, so the font file's stream is created here
 * already marked as compressed (with its uncompressed length, Length1, which PDFKit leaves out) and
 * handed the compressed bytes. The font file is the first object PDFKit's EmbeddedFont.embed creates.
 */
export function embedFontFaster(doc: PDFKit.PDFDocument): void {
  type Ref = { data: Record<string, unknown> };
  const d = doc as unknown as {
    _font?: { embed?: () => unknown; subset?: { encode(): Uint8Array } };
    ref(data?: object): Ref;
  };
  const font = d._font;
  const subset = font?.subset;
  if (!font || !subset || typeof font.embed !== 'function' || typeof subset.encode !== 'function') return;
  const embed = font.embed.bind(font);
  font.embed = () => {
    const encode = subset.encode;
    const ref = d.ref;
    let fontFile: Ref | undefined;
    d.ref = function firstRefCompressed(this: unknown, data?: object) {
      if (fontFile || data !== undefined) return ref.call(d, data);
      fontFile = ref.call(d, { Filter: 'FlateDecode' });
      return fontFile;
    };
    subset.encode = function compressed(this: unknown) {
      const bytes = encode.call(subset);
      if (!fontFile) return bytes; // not the stream we created: leave it to PDFKit
      fontFile.data.Length1 = bytes.length;
      return zlib.deflateSync(bytes, { level: 1 });
    };
    try {
      return embed();
    } finally {
      delete (d as { ref?: unknown }).ref;
      subset.encode = encode;
    }
  };
}

/**
 * PDFKit turns every drawing operator into its own small byte array as it goes (one allocation per
 * operator, tens of thousands per report: a good part of the garbage collector's work). Here a page's
 * operators are kept as strings and encoded once, when the page's content stream is finished. The
 * bytes are the same: PDFKit writes each operator followed by a newline. They are compressed there
 * at zlib's level 1 rather than PDFKit's default (level 6): 0.26 against 0.57 ms for the pages of a
 * close-like branch report, which come out about 2 % larger (BENCHMARKS.md, the whole close).
 */
const CONTENT_LEVEL = 1;

export function joinPageContent(doc: PDFKit.PDFDocument): void {
  type Content = {
    write(chunk: unknown): unknown;
    finalize(): unknown;
    compress?: boolean;
    buffer?: Uint8Array[];
    data: Record<string, unknown>;
  };
  const hook = () => {
    const content = (doc as unknown as { page?: { content?: Content } }).page?.content;
    if (!content || typeof content.write !== 'function' || typeof content.finalize !== 'function') return;
    const write = content.write.bind(content);
    const finalize = content.finalize.bind(content);
    let ops: string[] = [];
    content.write = (chunk: unknown) => {
      if (typeof chunk === 'string') ops.push(chunk);
      // Anything else keeps its place among the operators: bytes as latin1 (one character a byte),
      // other values as PDFKit writes them, as text.
      else if (chunk instanceof Uint8Array) ops.push(Buffer.from(chunk).toString('latin1').replace(/\n$/, ''));
      else ops.push(String(chunk));
    };
    content.finalize = () => {
      if (ops.length > 0) {
        ops.push('');
        const bytes = Buffer.from(ops.join('\n'), 'latin1');
        ops = [];
        if (content.compress) {
          // What PDFKit wrote before this hook (a new page's flipped coordinates) goes first, in the same stream.
          const before = Buffer.concat(content.buffer ?? []);
          content.buffer = [];
          content.data.Length = 0;
          content.compress = false;
          content.data.Filter = 'FlateDecode';
          write(zlib.deflateSync(Buffer.concat([before, bytes]), { level: CONTENT_LEVEL }));
        } else write(bytes);
      }
      return finalize();
    };
  };
  hook();
  doc.on('pageAdded', hook);
}
