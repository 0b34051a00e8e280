import fs from 'node:fs';
import * as fontkit from 'fontkit';

/**
 * The CJK font embedded (as a subset) in every report. The project's set-up installs the Debian
 * package fonts-wqy-microhei (a TrueType collection: quick to subset, small output); Noto Sans CJK
 * (fonts-noto-cjk) is the fallback. Both also cover Latin text, so one font serves zh and en.
 */
const CANDIDATES: { path: string; postscriptName: string }[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', postscriptName: 'WenQuanYiMicroHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', postscriptName: 'NotoSansCJKsc-Regular' },
];

export class ReportFontMissingError extends Error {}

let cached: fontkit.FontkitFont | undefined;

/**
 * Parsed once per process: PDFKit accepts the parsed font, so each report only pays for its subset
 * (re-parsing the 5 MB collection per document would triple the time of a branch report).
 */
export function reportFont(): fontkit.FontkitFont {
  if (cached) return cached;
  const found = CANDIDATES.find((c) => fs.existsSync(c.path));
  if (!found) {
    throw new ReportFontMissingError(
      `No CJK font for the PDF reports: install fonts-wqy-microhei (bash scripts/setup.sh). Looked for ${CANDIDATES.map((c) => c.path).join(', ')}`,
    );
  }
  cached = fontkit.openSync(found.path, found.postscriptName);
  cacheSubsetGlyphs(cached as unknown as SubsettableFont);
  return cached;
}

interface GlyphEntry {
  buffer: Uint8Array;
  components: { glyphID: number; pos: number }[] | null;
  advance: number;
  bearing: number;
}

interface TtfSubset {
  glyphs: number[];
  glyf: Uint8Array[];
  loca: { offsets: number[]; version?: number };
  hmtx: { metrics: { advance: number; bearing: number }[]; bearings?: number[] };
  offset: number;
  /** Where a font lead's glyphs end (reports/font-lead.ts), when the subset starts with one. */
  leadEnd?: number;
  includeGlyph(gid: number): number;
  encode(): Uint8Array;
  _addGlyph?: (gid: number) => number;
}

interface SubsettableFont {
  createSubset(): TtfSubset;
  glyphsForString(text: string): { id: number }[];
  getGlyph(gid: number): {
    advanceWidth: number;
    _decode(): { numberOfContours: number; components?: { glyphID: number; pos: number }[] } | null;
    _getMetrics(): { leftBearing: number };
  };
  loca: { offsets: number[] };
  _getTableStream(tag: string): { pos: number; readBuffer(n: number): Uint8Array };
  _glyphs?: Record<number, unknown>;
  _variationProcessor?: unknown;
}

/** Per font: a glyph's bytes, parts and metrics as the subsets use them (see cacheSubsetGlyphs). */
const entries = new WeakMap<object, (gid: number) => GlyphEntry>();

/**
 * A glyph's advance width (font units) and the glyphs a composite glyph is made of, from the same
 * per-process cache the subsets use (null for a font whose subsets are left to fontkit).
 */
export function glyphFacts(font: object, gid: number): { advance: number; parts: number[] } | null {
  const e = entries.get(font)?.(gid);
  return e ? { advance: e.advance, parts: e.components?.map((c) => c.glyphID) ?? [] } : null;
}

/**
 * Every report embeds a subset of the font, and building it decoded each glyph's outline again for
 * every document (a third of a branch report's time). A glyph's bytes, components and metrics never
 * change, so they are kept per process; the subset's own bookkeeping is exactly fontkit's
 * TTFSubset._addGlyph (fontkit 2.0). Anything unexpected (another font format) keeps fontkit's code.
 */
function cacheSubsetGlyphs(font: SubsettableFont): void {
  const glyphs = new Map<number, GlyphEntry>();
  const create = font.createSubset.bind(font);
  const entry = (gid: number): GlyphEntry => {
    let e = glyphs.get(gid);
    if (e) return e;
    // fontkit keeps a glyph object with the characters it was first asked for. One made here (the
    // part of a composite glyph, e.g. 门 in 间) would have none, and every later text showing it
    // would lose its Unicode mapping (copy, search, text extraction): it is not kept.
    const known = font._glyphs?.[gid] !== undefined;
    const glyph = font.getGlyph(gid);
    if (!known && font._glyphs) delete font._glyphs[gid];
    const glyf = glyph._decode();
    const start = font.loca.offsets[gid];
    const stream = font._getTableStream('glyf');
    stream.pos += start;
    const buffer = Uint8Array.from(stream.readBuffer(font.loca.offsets[gid + 1] - start));
    e = {
      buffer,
      components:
        glyf && glyf.numberOfContours < 0
          ? (glyf.components ?? []).map((c) => ({ glyphID: c.glyphID, pos: c.pos }))
          : null,
      advance: glyph.advanceWidth,
      bearing: glyph._getMetrics().leftBearing,
    };
    glyphs.set(gid, e);
    return e;
  };
  entries.set(font, entry);
  // One function each for every subset of the font, reading the subset from `this`: a function made
  // per subset and stored on it kept the subset alive after its report (reports/pdfkit-speedups.ts).
  const addGlyph = function addGlyph(this: TtfSubset, gid: number): number {
    const e = entry(gid);
    let buffer = e.buffer;
    if (e.components) {
      // A composite glyph names its parts by glyph id: renumber them to this subset's ids.
      buffer = new Uint8Array(e.buffer);
      const view = new DataView(buffer.buffer);
      for (const c of e.components) view.setUint16(c.pos, this.includeGlyph(c.glyphID));
    }
    this.glyf.push(buffer);
    this.loca.offsets.push(this.offset);
    this.hmtx.metrics.push({ advance: e.advance, bearing: e.bearing });
    this.offset += buffer.length;
    return this.glyf.length - 1;
  };
  let layout: SubsetLayout | null | undefined;
  let encode: ((this: TtfSubset) => Uint8Array) | undefined;
  font.createSubset = () => {
    const subset = create();
    if (typeof subset._addGlyph !== 'function' || font._variationProcessor || !Array.isArray(font.loca?.offsets))
      return subset;
    subset._addGlyph = addGlyph;
    layout ??= subsetLayout(font, create);
    if (layout) {
      const fixed = layout;
      encode ??= function encode(this: TtfSubset): Uint8Array {
        return encodeSubset.call(this, fixed);
      };
      subset.encode = encode;
    }
    return subset;
  };
}

/**
 * How fontkit (2.0) lays out a TrueType subset: a table directory (checksums 0), then head, hhea,
 * loca, maxp, cvt, prep, glyf, hmtx, fpgm back to back. Only loca, glyf and hmtx and two counts
 * depend on the glyphs; the rest is the same bytes for every subset of the font.
 */
interface SubsetLayout {
  header: Uint8Array;
  tags: string[];
  fixed: Map<string, Uint8Array>;
  longLoca: boolean;
  /** The glyph-table entries of the last font lead met (see leadPartOf). */
  lead?: LeadPart;
}

/** A lead's glyphs as a subset's tables hold them: the same in every subset that starts with it. */
interface LeadPart {
  glyphs: number[];
  glyf: Uint8Array[];
  offsets: number[];
  metrics: { advance: number; bearing: number }[];
  offset: number;
}

/**
 * The kept entries of the glyphs this subset starts with, when they are the last lead's: a close's
 * branch reports all start with the same few hundred glyphs (reports/font-lead.ts), and adding each
 * again made encoding a subset cost 0.19–0.21 ms instead of 0.04–0.05 (the large bank's lead of 664
 * glyphs, 2026-12-06), about 3 % of a branch report. Compared glyph by glyph, never assumed; a composite
 * glyph in a lead has its parts in the lead too, so its renumbered bytes are the same as well.
 */
function leadPartOf(subset: TtfSubset, layout: SubsetLayout): LeadPart | null {
  const end = subset.leadEnd ?? 0;
  const lead = layout.lead;
  if (end < 2 || !lead || lead.glyphs.length !== end) return null;
  for (let i = 0; i < end; i++) if (subset.glyphs[i] !== lead.glyphs[i]) return null;
  leadPartsTaken++;
  return lead;
}

let leadPartsTaken = 0;
/** Subsets encoded so far with a lead's kept glyph entries (for tests). */
export const leadPartsReused = (): number => leadPartsTaken;

function keepLeadPart(subset: TtfSubset, layout: SubsetLayout): void {
  const end = subset.leadEnd ?? 0;
  if (end < 2 || end > subset.glyf.length) return;
  layout.lead = {
    glyphs: subset.glyphs.slice(0, end),
    glyf: subset.glyf.slice(0, end),
    offsets: subset.loca.offsets.slice(0, end),
    metrics: subset.hmtx.metrics.slice(0, end),
    offset: subset.loca.offsets[end],
  };
}

const DIRECTORY_ENTRY = 16;

function tablesOf(buf: Uint8Array): { header: Uint8Array; tables: { tag: string; bytes: Uint8Array }[] } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = view.getUint16(4);
  const tables = Array.from({ length: count }, (_, i) => {
    const at = 12 + i * DIRECTORY_ENTRY;
    const tag = String.fromCharCode(...buf.subarray(at, at + 4));
    const offset = view.getUint32(at + 8);
    return { tag, bytes: buf.subarray(offset, offset + view.getUint32(at + 12)) };
  });
  return { header: buf.slice(0, 12), tables };
}

/**
 * The constant tables, taken from a subset fontkit encodes itself; the layout is used only when
 * encoding a probe subset both ways gives the same bytes (else fontkit's encoder stays in use).
 */
function subsetLayout(font: SubsettableFont, create: () => TtfSubset): SubsetLayout | null {
  try {
    const probe = () => {
      const s = create();
      for (const g of font.glyphsForString('Aa1 江南·，')) s.includeGlyph(g.id);
      return s;
    };
    const reference = probe().encode();
    const { header, tables } = tablesOf(reference);
    const longLoca = (font.loca as { version?: number }).version === 1;
    const layout: SubsetLayout = {
      header,
      tags: tables.map((t) => t.tag),
      fixed: new Map(tables.map((t) => [t.tag, t.bytes.slice()])),
      longLoca,
    };
    const mine = probe();
    const fast = encodeSubset.call(mine, layout);
    return Buffer.from(fast).equals(Buffer.from(reference)) ? layout : null;
  } catch {
    return null;
  }
}

/** fontkit's TTFSubset.encode, written straight into one buffer (restructure's generic encoder was a sixth of a branch report). */
function encodeSubset(this: TtfSubset, layout: SubsetLayout): Uint8Array {
  const lead = leadPartOf(this, layout);
  this.glyf = lead ? lead.glyf.slice() : [];
  this.offset = lead ? lead.offset : 0;
  this.loca = { offsets: lead ? lead.offsets.slice() : [], version: layout.longLoca ? 1 : 0 };
  this.hmtx = { metrics: lead ? lead.metrics.slice() : [], bearings: [] };
  // Composite glyphs may add their parts while this runs, so the length is read on every turn.
  for (let i = this.glyf.length; i < this.glyphs.length; i++)
    (this._addGlyph as (gid: number) => number)(this.glyphs[i]);
  this.loca.offsets.push(this.offset);
  if (!lead) keepLeadPart(this, layout);
  const n = this.glyf.length;
  const size = (tag: string) => {
    if (tag === 'loca') return (n + 1) * (layout.longLoca ? 4 : 2);
    if (tag === 'glyf') return this.offset;
    if (tag === 'hmtx') return 4 * n;
    return (layout.fixed.get(tag) as Uint8Array).length;
  };
  const sizes = layout.tags.map(size);
  let at = 12 + DIRECTORY_ENTRY * layout.tags.length;
  const out = new Uint8Array(at + sizes.reduce((a, b) => a + b, 0));
  const view = new DataView(out.buffer);
  out.set(layout.header, 0);
  layout.tags.forEach((tag, i) => {
    const entry = 12 + i * DIRECTORY_ENTRY;
    for (let c = 0; c < 4; c++) out[entry + c] = tag.charCodeAt(c);
    view.setUint32(entry + 8, at);
    view.setUint32(entry + 12, sizes[i]);
    writeTable(this, layout, tag, out, view, at, n);
    at += sizes[i];
  });
  return out;
}

function writeTable(
  subset: TtfSubset,
  layout: SubsetLayout,
  tag: string,
  out: Uint8Array,
  view: DataView,
  at: number,
  n: number,
): void {
  if (tag === 'loca') {
    subset.loca.offsets.forEach((o, i) =>
      layout.longLoca ? view.setUint32(at + 4 * i, o) : view.setUint16(at + 2 * i, o >>> 1),
    );
  } else if (tag === 'glyf') {
    for (const g of subset.glyf) {
      out.set(g, at);
      at += g.length;
    }
  } else if (tag === 'hmtx') {
    subset.hmtx.metrics.forEach((m, i) => {
      view.setUint16(at + 4 * i, m.advance);
      view.setInt16(at + 4 * i + 2, m.bearing);
    });
  } else {
    out.set(layout.fixed.get(tag) as Uint8Array, at);
    // The counts fontkit sets on its copies: hhea.numberOfMetrics and maxp.numGlyphs.
    if (tag === 'hhea') view.setUint16(at + 34, n);
    if (tag === 'maxp') view.setUint16(at + 4, n);
  }
}
