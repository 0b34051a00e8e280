/**
 * Strings laid out by PDFKit's font, kept per process for the reports' text writer (reports/text.ts):
 * a render thread meets the same labels, digits and item texts in every report.
 */

/** PDFKit's EmbeddedFont, as far as it is used here. */
export interface LaidOutGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
export interface EmbeddedFontLike {
  id: string;
  /** fontkit's font, shared by every document of the process. */
  font: object;
  ascender: number;
  descender: number;
  lineGap: number;
  scale: number;
  widths: number[];
  unicode: number[][];
  subset: { includeGlyph(gid: number): number };
  layout(text: string): { glyphs: LaidOutGlyph[]; positions: Position[]; advanceWidth: number };
  ref(): unknown;
}
export interface DocLike {
  _font: EmbeddedFontLike;
  page: { height: number; fonts: Record<string, unknown>; margins: { bottom: number } };
  x: number;
  y: number;
  addContent(data: string): unknown;
}

/**
 * A string laid out once, kept small (a render thread keeps thousands): its glyph ids, the pen's
 * adjustments between them (only when the font kerns the string), its width (1000 units per em).
 */
export interface Run {
  ids: number[];
  /** Per glyph: the position adjustment after it (TJ units); null when there is none. */
  adjust: number[] | null;
  /** Only when a glyph is moved off the pen's path (a combining mark, say): where each glyph goes. */
  placed: Position[] | null;
  width: number;
}
export interface Position {
  xAdvance: number;
  xOffset: number;
  yOffset: number;
  advanceWidth: number;
}

/** Two generations: a lookup is one Map read, and memory stays bounded by twice the limit. */
class Generations<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }
  set(key: string, value: V): void {
    if (this.young.size >= this.limit) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/** A wrapped line: its text and the width the wrapper counted (reports/text.ts). */
export interface LineBox {
  text: string;
  /** The width the wrapper counted for the line (trailing spaces included, as PDFKit's centring uses). */
  width: number;
}

/**
 * Per font (fontkit's, shared by every document of the process): laid-out strings, the glyphs met,
 * and texts wrapped at a size and width (an item's wording, an answer's words: the same in every visit).
 */
interface FontMemo {
  runs: Generations<Run>;
  glyphs: Map<number, LaidOutGlyph>;
  wrapped: Generations<readonly LineBox[]>;
}
const memos = new WeakMap<object, FontMemo>();
const RUNS_KEPT = 2_000;
const WRAPPED_KEPT = 2_000;

export function memoOf(font: EmbeddedFontLike): FontMemo {
  let memo = memos.get(font.font);
  if (!memo)
    memos.set(
      font.font,
      (memo = {
        runs: new Generations<Run>(RUNS_KEPT),
        glyphs: new Map(),
        wrapped: new Generations<readonly LineBox[]>(WRAPPED_KEPT),
      }),
    );
  return memo;
}

export function runOf(font: EmbeddedFontLike, text: string): Run {
  const memo = memoOf(font);
  let run = memo.runs.get(text);
  if (run) return run;
  const laid = font.layout(text);
  let kerned = false;
  let offset = false;
  for (const p of laid.positions) {
    if (p.xAdvance !== p.advanceWidth) kerned = true;
    if (p.xOffset || p.yOffset) offset = true;
  }
  for (const g of laid.glyphs) if (!memo.glyphs.has(g.id)) memo.glyphs.set(g.id, g);
  run = {
    ids: laid.glyphs.map((g) => g.id),
    adjust: kerned ? laid.positions.map((p) => p.xAdvance - p.advanceWidth) : null,
    placed: offset ? laid.positions : null,
    width: laid.advanceWidth,
  };
  memo.runs.set(text, run);
  return run;
}
