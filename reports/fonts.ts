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
    throw new ReportFontMissingError(`No CJK font for the PDF reports: install fonts-wqy-microhei (bash scripts/setup.sh). Looked for ${CANDIDATES.map((c) => c.path).join(', ')}`);
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
  glyf: Uint8Array[];
  loca: { offsets: number[] };
  hmtx: { metrics: { advance: number; bearing: number }[] };
  offset: number;
  includeGlyph(gid: number): number;
  _addGlyph?: (gid: number) => number;
}

interface SubsettableFont {
  createSubset(): TtfSubset;
  getGlyph(gid: number): { advanceWidth: number; _decode(): { numberOfContours: number; components?: { glyphID: number; pos: number }[] } | null; _getMetrics(): { leftBearing: number } };
  loca: { offsets: number[] };
  _getTableStream(tag: string): { pos: number; readBuffer(n: number): Uint8Array };
  _variationProcessor?: unknown;
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
    const glyph = font.getGlyph(gid);
    const glyf = glyph._decode();
    const start = font.loca.offsets[gid];
    const stream = font._getTableStream('glyf');
    stream.pos += start;
    const buffer = Uint8Array.from(stream.readBuffer(font.loca.offsets[gid + 1] - start));
    e = { buffer, components: glyf && glyf.numberOfContours < 0 ? (glyf.components ?? []).map((c) => ({ glyphID: c.glyphID, pos: c.pos })) : null, advance: glyph.advanceWidth, bearing: glyph._getMetrics().leftBearing };
    glyphs.set(gid, e);
    return e;
  };
  font.createSubset = () => {
    const subset = create();
    if (typeof subset._addGlyph !== 'function' || font._variationProcessor || !Array.isArray(font.loca?.offsets)) return subset;
    subset._addGlyph = function addGlyph(this: TtfSubset, gid: number): number {
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
    return subset;
  };
}
