import zlib from 'node:zlib';
import { deflateKeepingPart } from './deflate-splice';
import { glyphFacts } from './fonts';

/**
 * A font lead: the characters whose glyphs come first in a document's font subset, in a fixed order,
 * followed by the glyphs they are made of. Every branch report of a close draws the same few hundred
 * characters (labels, item wording, digits) and embeds them as most of its font file; with the same
 * lead, those glyphs are the same bytes at the start of every report's glyph table, and that part of
 * the font file is compressed once per thread (reports/deflate-splice.ts) instead of once per report.
 * The close learns the lead from its first branch reports (server/publishing/render-pool.ts).
 *
 * Only the numbering of the glyphs inside the PDF depends on it: a document with a lead draws the same
 * text, at the same places, with the same Unicode mapping (test/reports-font-lead.test.ts). A lead
 * character the document never draws costs its glyph's bytes, so a lead holds only what every report
 * draws.
 */

interface LeadFont {
  glyphForCodePoint(codePoint: number): { id: number; advanceWidth: number };
}
/** PDFKit's EmbeddedFont, as far as the lead uses it. */
export interface LeadEmbeddedFont {
  font: object;
  scale: number;
  widths: number[];
  unicode: (number[] | undefined)[];
  subset: { glyphs: number[]; includeGlyph(gid: number): number; leadEnd?: number };
  toUnicodeCmap?: () => unknown;
  document: { compress?: boolean; ref(data?: object): { end(data: string | Uint8Array): void } };
}

interface Lead {
  ids: number[];
  /** Advance widths in font units. */
  advances: number[];
  /** The character of each glyph; null for a glyph that is only part of others. */
  codePoints: (number[] | null)[];
}

const leads = new WeakMap<object, Map<string, Lead>>();
const LEADS_KEPT = 4;

function leadOf(font: LeadFont, chars: string): Lead {
  let byChars = leads.get(font);
  if (!byChars) leads.set(font, (byChars = new Map()));
  const known = byChars.get(chars);
  if (known) return known;
  const lead: Lead = { ids: [], advances: [], codePoints: [] };
  const seen = new Set<number>([0]);
  for (const ch of chars) {
    const cp = ch.codePointAt(0) as number;
    const g = font.glyphForCodePoint(cp);
    if (seen.has(g.id)) continue;
    seen.add(g.id);
    lead.ids.push(g.id);
    lead.advances.push(g.advanceWidth);
    lead.codePoints.push([cp]);
  }
  // A composite glyph's parts are added to the subset when it is encoded, after everything else;
  // added here instead, they keep the glyphs before the lead's end the same in every subset.
  for (let i = 0; i < lead.ids.length; i++) {
    for (const part of glyphFacts(font, lead.ids[i])?.parts ?? []) {
      if (seen.has(part)) continue;
      seen.add(part);
      lead.ids.push(part);
      lead.advances.push(glyphFacts(font, part)?.advance ?? 0);
      lead.codePoints.push(null);
    }
  }
  if (byChars.size >= LEADS_KEPT) byChars.clear();
  byChars.set(chars, lead);
  return lead;
}

/** Starts a fresh document font's subset with the lead's glyphs (before anything is drawn). */
export function startSubsetWithLead(font: LeadEmbeddedFont, chars: string): void {
  if (font.subset.glyphs.length !== 1 || !glyphFacts(font.font, 0)) return; // not fresh, or not a font the subsets handle here
  const lead = leadOf(font.font as LeadFont, chars);
  lead.ids.forEach((id, i) => {
    const sid = font.subset.includeGlyph(id);
    // As the text writer would set them on first use (reports/text.ts).
    font.widths[sid] = lead.advances[i] * font.scale;
    const cps = lead.codePoints[i];
    if (cps) font.unicode[sid] = cps;
  });
  font.subset.leadEnd = font.subset.glyphs.length;
  font.toUnicodeCmap = toUnicodeCmapWithGaps;
}

/**
 * The characters a finished document's subset drew, in the subset's order: those a lead can bring
 * back (one character, the glyph the font maps it to).
 */
export function subsetCharacters(font: LeadEmbeddedFont): string {
  const f = font.font as LeadFont;
  let out = '';
  font.unicode.forEach((cps, sid) => {
    if (sid === 0 || cps?.length !== 1) return;
    if (f.glyphForCodePoint(cps[0]).id === font.subset.glyphs[sid]) out += String.fromCodePoint(cps[0]);
  });
  return out;
}

/** The characters every sample has, in the first sample's order. */
export function commonCharacters(samples: readonly string[]): string {
  if (samples.length === 0) return '';
  const others = samples.slice(1).map((s) => new Set(s));
  return [...samples[0]].filter((ch) => others.every((o) => o.has(ch))).join('');
}

/**
 * The font file's bytes (a TrueType subset) compressed, the lead's glyphs compressed once per thread
 * when the subset has a lead: they are the start of the glyph table, up to the lead's end.
 */
export function compressFontFile(bytes: Uint8Array, leadEnd: number | undefined): Buffer {
  const range = leadEnd && leadEnd > 1 ? leadRange(bytes, leadEnd) : null;
  return range ? deflateKeepingPart(bytes, range.start, range.end) : deflateKeepingPart(bytes, 0, 0);
}

/** Where glyphs 0 to n − 1 lie in a TrueType file: the start of 'glyf' up to loca[n] (null if the file is not as expected). */
function leadRange(bytes: Uint8Array, n: number): { start: number; end: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  for (let i = 0, count = view.getUint16(4); i < count; i++) {
    const at = 12 + 16 * i;
    tables.set(String.fromCharCode(...bytes.subarray(at, at + 4)), view.getUint32(at + 8));
  }
  const [glyf, loca, head] = [tables.get('glyf'), tables.get('loca'), tables.get('head')];
  if (glyf === undefined || loca === undefined || head === undefined) return null;
  const longOffsets = view.getInt16(head + 50) === 1;
  const end = glyf + (longOffsets ? view.getUint32(loca + 4 * n) : 2 * view.getUint16(loca + 2 * n));
  return end > glyf && end <= bytes.length ? { start: glyf, end } : null;
}

const hex4 = (n: number) => `0000${n.toString(16)}`.slice(-4);

function unicodeHex(codePoints: number[]): string {
  const parts = codePoints.map((cp) => {
    if (cp <= 0xffff) return hex4(cp);
    const v = cp - 0x10000;
    return `${hex4(0xd800 | ((v >>> 10) & 0x3ff))} ${hex4(0xdc00 | (v & 0x3ff))}`;
  });
  return `<${parts.join(' ')}>`;
}

/**
 * PDFKit's toUnicodeCmap, for a subset with gaps: the parts of composite glyphs in a lead map to no
 * character (nothing draws them), so the ranges cover only the glyphs that have one. As PDFKit's, a
 * range stays within one block of 256 codes; a section holds at most 100 ranges (the CMap format's limit).
 */
function toUnicodeCmapWithGaps(this: LeadEmbeddedFont): unknown {
  const ranges: string[] = [];
  let run: string[] = [];
  let from = 0;
  const endRun = () => {
    if (run.length) ranges.push(`<${hex4(from)}> <${hex4(from + run.length - 1)}> [${run.join(' ')}]`);
    run = [];
  };
  for (let cid = 0; cid < this.unicode.length; cid++) {
    if (cid % 256 === 0) endRun();
    const cps = this.unicode[cid];
    if (!cps) {
      endRun();
      continue;
    }
    if (!run.length) from = cid;
    run.push(unicodeHex(cps));
  }
  endRun();
  const sections: string[] = [];
  for (let i = 0; i < ranges.length; i += 100) {
    const part = ranges.slice(i, i + 100);
    sections.push(`${part.length} beginbfrange\n${part.join('\n')}\nendbfrange`);
  }
  return compressedStream(
    this.document,
    `/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo <<
  /Registry (Adobe)
  /Ordering (UCS)
  /Supplement 0
>> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000><ffff>
endcodespacerange
${sections.join('\n')}
endcmap
CMapName currentdict /CMap defineresource pop
end
end`,
  );
}

/**
 * A stream of `text` as PDFKit's ref().end(text) writes it (its bytes, then a new line), compressed at
 * zlib's level 1 instead of PDFKit's default (level 6): a CMap of ~3 KB took 0.12 ms at level 6
 * against 0.04 ms, about 1.5 % of a branch report, for ~100 bytes more.
 */
function compressedStream(doc: LeadEmbeddedFont['document'], text: string): unknown {
  if (doc.compress === false) {
    const plain = doc.ref();
    plain.end(text);
    return plain;
  }
  const stream = doc.ref({ Filter: 'FlateDecode' });
  stream.end(zlib.deflateSync(Buffer.from(`${text}\n`, 'latin1'), { level: 1 }));
  return stream;
}
