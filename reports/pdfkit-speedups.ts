import { BoundedCache } from '../server/platform/cache';
import zlib from 'node:zlib';
import { compressFontFile } from './font-lead';

// PDFKit, made faster for the reports: a close renders thousands of PDFs from the same font, labels
// and digits. Each function hooks one PDFKit document (ReportDoc's constructor calls them all).
//
// Every hook here (a replaced method, a page listener) is one function for the whole process, reading
// its document from `this`, never a closure made per document and stored on it: an object given a
// property holding a closure over itself survives V8's young-generation collections after it is
// dropped, until the next full one (measured in isolation; the same object given a shared function
// does not). Written that way, each branch report of a close was promoted whole (about 225 KB) and the
// render threads ran 2.5 times as many full collections (BENCHMARKS.md, 2026-12-06;
// test/reports-retention.test.ts).

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

interface LayingOutDoc {
  _font?: { layoutCache?: Record<string, unknown> };
  /** Pages added so far, for the check below. */
  layoutPages?: number;
}

/** Hands the font the shared cache, emptied first if it has grown past its bound. */
function useSharedLayout(font: { layoutCache?: Record<string, unknown> }): void {
  if (Object.keys(sharedLayout).length > LAYOUT_CACHE_MAX)
    sharedLayout = Object.create(null) as Record<string, unknown>;
  font.layoutCache = sharedLayout;
}

/** A long document (a bank report lists every branch) is checked as it goes, every few pages. */
function checkLayoutEveryFewPages(this: LayingOutDoc): void {
  this.layoutPages = (this.layoutPages ?? 0) + 1;
  if (this.layoutPages % 25 === 0 && this._font) useSharedLayout(this._font);
}

export function shareLayoutCache(doc: PDFKit.PDFDocument): void {
  const font = (doc as unknown as LayingOutDoc)._font;
  if (!font || !font.layoutCache) return;
  if (sharedLayoutSize++ % 20 === 0) useSharedLayout(font);
  font.layoutCache = sharedLayout;
  doc.on('pageAdded', checkLayoutEveryFewPages);
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

interface MeasuringDoc {
  _font?: { font?: object };
  _fontSize: number;
  widthOfString(text: string, options?: MeasureOptions): number;
  heightOfString(text: string, options?: MeasureOptions): number;
}
/** PDFKit's own measuring (the document's prototype), which the cached versions below fall back on. */
const pdfkitOf = (d: MeasuringDoc) => Object.getPrototypeOf(d) as MeasuringDoc;

function measuresOf(d: MeasuringDoc) {
  const font = d._font?.font;
  if (!font) return undefined;
  let c = measures.get(font);
  if (!c) measures.set(font, (c = { widths: new Map(), heights: newMeasures() }));
  return c;
}
const plain = (o: MeasureOptions | undefined) =>
  !o || (!o.features && !o.characterSpacing && (o.horizontalScaling ?? 100) === 100);

function cachedWidthOfString(this: MeasuringDoc, text: string, options?: MeasureOptions): number {
  const bySize = plain(options) ? measuresOf(this)?.widths : undefined;
  if (!bySize) return pdfkitOf(this).widthOfString.call(this, text, options);
  let cache = bySize.get(this._fontSize);
  if (!cache) bySize.set(this._fontSize, (cache = newMeasures()));
  let w = cache.get(text);
  if (w === undefined) cache.set(text, (w = pdfkitOf(this).widthOfString.call(this, text, options)));
  return w;
}

function cachedHeightOfString(this: MeasuringDoc, text: string, options?: MeasureOptions): number {
  const cache =
    plain(options) && options?.height === undefined && typeof options?.width === 'number'
      ? measuresOf(this)?.heights
      : undefined;
  if (!cache || !options) return pdfkitOf(this).heightOfString.call(this, text, options);
  const key = `${this._fontSize}|${options.width}|${options.lineGap ?? ''}|${options.align ?? ''}|${text}`;
  let h = cache.get(key);
  if (h === undefined) cache.set(key, (h = pdfkitOf(this).heightOfString.call(this, text, options)));
  return h;
}

export function shareMeasures(doc: PDFKit.PDFDocument): void {
  const d = doc as unknown as MeasuringDoc;
  d.widthOfString = cachedWidthOfString;
  d.heightOfString = cachedHeightOfString;
}

type Ref = { data: Record<string, unknown> };
interface EmbeddingSubset {
  encode(): Uint8Array;
  /** While the font is embedded: the subset's own encode, and the font file's stream once created. */
  rawEncode?: () => Uint8Array;
  fontFile?: Ref;
  /** Set when the subset starts with a font lead (reports/font-lead.ts). */
  leadEnd?: number;
}
interface EmbeddingDoc {
  ref(data?: object): Ref;
  embedding?: EmbeddingSubset;
}
interface EmbeddableFont {
  document: EmbeddingDoc;
  subset: EmbeddingSubset;
  embed(): unknown;
}

/** The document's ref() while its font is embedded: the first stream created is the font file's. */
function refCompressedOnce(this: EmbeddingDoc, data?: object): Ref {
  const ref = (Object.getPrototypeOf(this) as EmbeddingDoc).ref;
  const subset = this.embedding;
  if (!subset || subset.fontFile || data !== undefined) return ref.call(this, data);
  subset.fontFile = ref.call(this, { Filter: 'FlateDecode' });
  return subset.fontFile;
}

/** The subset's encode() while embedded: the font file's bytes, compressed at level 1. */
function encodeCompressed(this: EmbeddingSubset): Uint8Array {
  const bytes = (this.rawEncode as () => Uint8Array).call(this);
  if (!this.fontFile) return bytes; // not the stream created above: leave it to PDFKit
  this.fontFile.data.Length1 = bytes.length;
  return compressFontFile(bytes, this.leadEnd);
}

function embedCompressed(this: EmbeddableFont): unknown {
  const d = this.document;
  const subset = this.subset;
  d.embedding = subset;
  d.ref = refCompressedOnce;
  subset.rawEncode = subset.encode;
  subset.encode = encodeCompressed;
  try {
    return (Object.getPrototypeOf(this) as EmbeddableFont).embed.call(this);
  } finally {
    delete (d as { ref?: unknown }).ref;
    d.embedding = undefined;
    subset.encode = subset.rawEncode;
    subset.rawEncode = undefined;
    subset.fontFile = undefined;
  }
}

/**
 * The embedded font subset is most of a report's bytes, and compressing it at zlib's default level
 * was a fifth of a branch report's CPU; level 1 takes half the time for a stream about 5% larger.
 * PDFKit compresses every stream at the default level, so the font file's stream is created here
 * already marked as compressed (with its uncompressed length, Length1, which PDFKit leaves out) and
 * handed the compressed bytes. The font file is the first object PDFKit's EmbeddedFont.embed creates.
 * A subset that starts with a font lead has that part compressed once per thread (reports/font-lead.ts).
 */
export function embedFontFaster(doc: PDFKit.PDFDocument): void {
  const font = (doc as unknown as { _font?: Partial<EmbeddableFont> })._font;
  const subset = font?.subset;
  if (!font || !subset || typeof font.embed !== 'function' || typeof subset.encode !== 'function') return;
  if (!font.document || typeof font.document.ref !== 'function') return;
  font.embed = embedCompressed;
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

interface PageContent {
  write(chunk: unknown): unknown;
  finalize(): unknown;
  compress?: boolean;
  buffer?: Uint8Array[];
  data: Record<string, unknown>;
  /** The page's operators so far, as text. */
  ops?: string[];
}
const pdfkitContent = (c: PageContent) => Object.getPrototypeOf(c) as PageContent;

function keepOperator(this: PageContent, chunk: unknown): void {
  const ops = this.ops as string[];
  if (typeof chunk === 'string') ops.push(chunk);
  // Anything else keeps its place among the operators: bytes as latin1 (one character a byte),
  // other values as PDFKit writes them, as text.
  else if (chunk instanceof Uint8Array) ops.push(Buffer.from(chunk).toString('latin1').replace(/\n$/, ''));
  else ops.push(String(chunk));
}

function finalizeJoined(this: PageContent): unknown {
  const ops = this.ops as string[];
  this.ops = [];
  if (ops.length > 0) {
    ops.push('');
    const bytes = Buffer.from(ops.join('\n'), 'latin1');
    const write = pdfkitContent(this).write;
    if (this.compress) {
      // What PDFKit wrote before this hook (a new page's flipped coordinates) goes first, in the same stream.
      const before = Buffer.concat(this.buffer ?? []);
      this.buffer = [];
      this.data.Length = 0;
      this.compress = false;
      this.data.Filter = 'FlateDecode';
      write.call(this, zlib.deflateSync(Buffer.concat([before, bytes]), { level: CONTENT_LEVEL }));
    } else write.call(this, bytes);
  }
  return pdfkitContent(this).finalize.call(this);
}

function joinThisPage(this: PDFKit.PDFDocument): void {
  const content = (this as unknown as { page?: { content?: PageContent } }).page?.content;
  if (!content || typeof content.write !== 'function' || typeof content.finalize !== 'function') return;
  content.ops = [];
  content.write = keepOperator;
  content.finalize = finalizeJoined;
}

export function joinPageContent(doc: PDFKit.PDFDocument): void {
  joinThisPage.call(doc);
  doc.on('pageAdded', joinThisPage);
}
