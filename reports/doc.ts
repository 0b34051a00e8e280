import PDFDocument from 'pdfkit';
import { startSubsetWithLead, subsetCharacters, type LeadEmbeddedFont } from './font-lead';
import { reportFont } from './fonts';
import { embedFontFaster, joinPageContent, shareLayoutCache, shareMeasures } from './pdfkit-speedups';
import { lineX, pdfNumber, ReportText, type Align, type LineBox, type TextBlock } from './text';

/**
 * A thin layout layer over PDFKit for the reports: headings, paragraphs, tables that break across
 * pages with their header repeated, vector charts, and a header and footer on every page (drawn
 * last, over buffered pages, because "page x of y" needs the page count).
 */
export const COLORS = {
  ink: '#1d2433',
  muted: '#5b6475',
  rule: '#c9d0dc',
  headerFill: '#e8edf5',
  zebra: '#f6f8fb',
  accent: '#1f3b73',
  previous: '#b8c4d9',
  bad: '#b3261e',
  series: ['#1f3b73', '#2a9d8f', '#d4a017', '#e76f51', '#8e6cc2'],
} as const;

export interface PageMeta {
  headerLeft: string;
  headerRight: string;
  footerLeft: string;
  /** Gets the 1-based page number and the page count. */
  pageLabel: (x: number, y: number) => string;
  title: string;
  author: string;
  createdAt: Date;
}

export interface Column {
  header: string;
  /** Relative width; the columns share the text width in proportion. */
  width: number;
  align?: 'left' | 'right' | 'center';
}

export interface Cell {
  text: string;
  color?: string;
}
export type Row = (string | Cell)[];

/** A table row laid out: each cell's text, its lines (null: it fits on one), the row's height. */
interface LaidRow {
  texts: string[];
  lines: (readonly LineBox[] | null)[];
  h: number;
}

/**
 * How pages are produced. `buffer`: every page stays in memory until the end, when the header and
 * footer ("page x of y") are drawn on each: simple, but a 25,000-branch bank report held over a
 * gigabyte that way. For large documents, two passes: `count` lays the document out without keeping
 * anything and records its page count; `stream` lays it out again and writes each page's header and
 * footer as the page is finished, then lets it go (see twoPasses).
 */
export type Paging = { mode: 'buffer' } | { mode: 'count'; pages?: number } | { mode: 'stream'; pages: number };

/** A single table cell never grows beyond this, so that one row always fits on a page. */
const MAX_CELL_CHARS = 700;
const MARGIN = { top: 72, bottom: 64, left: 48, right: 48 };

const OWNER = Symbol('ReportDoc');
type PagedPdf = PDFKit.PDFDocument & {
  [OWNER]?: ReportDoc;
  addContent(data: string): PDFKit.PDFDocument;
};
const fontOf = (doc: PDFKit.PDFDocument) => (doc as unknown as { _font: LeadEmbeddedFont })._font;
/** The count pass's addContent: nothing is drawn. */
function drawNothing(this: PDFKit.PDFDocument): PDFKit.PDFDocument {
  return this;
}

export class ReportDoc {
  readonly doc: PDFKit.PDFDocument;
  /** The reports' own text writer (reports/text.ts): what PDFKit's text() would draw, for less. */
  readonly text: ReportText;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;
  /** Pages finished so far (count and stream modes). */
  private finished = 0;

  constructor(
    private readonly meta: PageMeta,
    private readonly paging: Paging = { mode: 'buffer' },
    fontLead?: string,
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: MARGIN,
      bufferPages: paging.mode === 'buffer',
      autoFirstPage: true,
      info: { Title: meta.title, Author: meta.author, Creator: 'mystery-shopper-audit', CreationDate: meta.createdAt },
      // The CJK font is the document's only font (it covers Latin too). PDFKit accepts a parsed
      // fontkit font, although its types list only paths; it also spares loading Helvetica's metrics.
      font: reportFont() as unknown as string,
    });
    shareLayoutCache(this.doc);
    shareMeasures(this.doc);
    this.text = new ReportText(this.doc as unknown as ConstructorParameters<typeof ReportText>[0]);
    embedFontFaster(this.doc);
    if (fontLead) startSubsetWithLead(fontOf(this.doc), fontLead);
    joinPageContent(this.doc);
    if (paging.mode !== 'buffer') this.finishPagesAsTheyEnd();
    this.done = new Promise((resolve, reject) => {
      this.doc.on('data', (c: Buffer) => {
        if (paging.mode !== 'count') this.chunks.push(c);
      });
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
    this.doc.fillColor(COLORS.ink);
  }

  /** The characters drawn, once finished, as a font lead can take them (reports/font-lead.ts). */
  drawnCharacters(): string {
    return subsetCharacters(fontOf(this.doc));
  }

  get left(): number {
    return MARGIN.left;
  }
  get width(): number {
    return this.doc.page.width - MARGIN.left - MARGIN.right;
  }
  private get bottom(): number {
    return this.doc.page.height - MARGIN.bottom;
  }
  get y(): number {
    return this.doc.y;
  }

  newPage(): void {
    this.doc.addPage();
    this.doc.y = MARGIN.top;
  }

  /** Starts a new page unless `height` still fits on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.newPage();
  }

  space(points: number): void {
    this.doc.y += points;
  }

  /** `keepWith`: room needed below the heading, so that it never ends a page alone. */
  h1(text: string, keepWith = 60): void {
    this.ensureSpace(40 + keepWith);
    this.write(text, this.left, this.doc.y, this.width, { size: 17, color: COLORS.accent });
    const y = this.doc.y + 3;
    this.doc
      .moveTo(this.left, y)
      .lineTo(this.left + this.width, y)
      .lineWidth(0.8)
      .strokeColor(COLORS.accent)
      .stroke();
    this.doc.y = y + 10;
  }

  h2(text: string, keepWith = 50): void {
    this.ensureSpace(24 + keepWith);
    this.write(text, this.left, this.doc.y, this.width, { size: 12.5, color: COLORS.accent });
    this.doc.y += 4;
  }

  para(text: string, opts: { size?: number; color?: string; gap?: number } = {}): void {
    const size = opts.size ?? 10;
    // Room for up to three lines keeps a paragraph from starting on a page's last line (without
    // measuring it first: wrapping text twice is the costliest thing a report does).
    this.ensureSpace(Math.min(3, 1 + Math.floor(this.text.width(text, size) / this.width)) * size * 1.4);
    this.write(text, this.left, this.doc.y, this.width, { size, color: opts.color ?? COLORS.ink, lineGap: 2 });
    this.doc.y += opts.gap ?? 5;
  }

  /**
   * Text wrapped in `width` from (x, top), as PDFKit's text() with a width: a line that would pass the
   * page's bottom margin starts a new page; afterwards doc.y is below the last line.
   */
  write(
    text: string,
    x: number,
    top: number,
    width: number,
    style: { size: number; color: string; lineGap?: number; align?: Align },
  ): void {
    const { size, color, lineGap = 0, align = 'left' } = style;
    const doc = this.doc;
    doc.fontSize(size);
    doc.x = x;
    doc.y = top;
    const lh = this.text.lineHeight(size);
    const maxY = () => pdfNumber(doc.page.height - doc.page.margins.bottom);
    if (doc.y > maxY() || doc.y + lh > maxY()) this.newPage();
    const lines = this.text.lines(text, width, size);
    let block = this.text.begin();
    lines.forEach((line, i) => {
      block.line(line.text, lineX(this.text, line, x, width, size, align), doc.y, size, color);
      doc.y += lh + lineGap;
      if (i < lines.length - 1 && pdfNumber(doc.y + lh) > maxY()) {
        block.end();
        this.newPage();
        block = this.text.begin();
      }
    });
    block.end();
    doc.x = x; // where PDFKit's wrapper leaves the pen, after a page break too
  }

  bullets(lines: string[], size = 9.5): void {
    for (const line of lines) this.para(`•  ${line}`, { size, gap: 3 });
  }

  /** A table whose rows never split; a row that does not fit starts a new page under a repeated header. */
  table(columns: Column[], rows: Row[], opts: { size?: number; emptyText?: string } = {}): void {
    const size = opts.size ?? 8.5;
    const pad = 3.5;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const doc = this.doc.fontSize(size);
    const text = this.text;
    const lh = text.lineHeight(size);
    // Most cells are a short number or name: one line, no wrapping to work out.
    const oneLine = lh + 1;
    const single = (t: string, w: number) => !t.includes('\n') && text.width(t, size) <= w;
    // Each cell laid out once: its lines (null for one that fits on one), then the row's height.
    const lay = (texts: string[]): LaidRow => {
      const lines = texts.map((t, i) =>
        single(t, widths[i] - 2 * pad) ? null : text.lines(t || ' ', widths[i] - 2 * pad, size),
      );
      return { texts, lines, h: Math.max(...lines.map((l) => (l ? l.length * (lh + 1) : oneLine))) + 2 * pad };
    };
    const textsOf = (cells: Row) => cells.map((c) => clip(typeof c === 'string' ? c : c.text));
    const drawCell = (
      block: TextBlock,
      t: string,
      lines: readonly LineBox[] | null,
      x: number,
      top: number,
      i: number,
      color: string,
    ) => {
      const w = widths[i] - 2 * pad;
      const align = columns[i].align ?? 'left';
      if (!lines) {
        const free = w - text.width(t, size);
        block.line(t, x + (align === 'right' ? free : align === 'center' ? free / 2 : 0), top, size, color);
        return;
      }
      lines.forEach((line, k) => {
        block.line(line.text, lineX(text, line, x, w, size, align), top + k * (lh + 1), size, color);
      });
    };
    const drawRow = (cells: Row, row: LaidRow, fill: string | null) => {
      const top = doc.y;
      const block = text.begin();
      if (fill) block.fill(this.left, top, this.width, row.h, fill);
      let x = this.left;
      row.texts.forEach((t, i) => {
        const cell = cells[i];
        const color = typeof cell === 'object' && cell.color ? cell.color : COLORS.ink;
        drawCell(block, t, row.lines[i], x + pad, top + pad, i, color);
        x += widths[i];
      });
      block.rule(this.left, this.left + this.width, top + row.h, 0.3, COLORS.rule);
      block.end();
      doc.y = top + row.h;
    };
    const header = columns.map((c) => c.header);
    const headerRow = lay(header);
    const drawHeader = () => drawRow(header, headerRow, COLORS.headerFill);

    if (rows.length === 0) {
      this.para(opts.emptyText ?? '–', { size: 9.5, color: COLORS.muted });
      return;
    }
    rows.forEach((row, i) => {
      const laid = lay(textsOf(row));
      // The header goes with the first row; a row that does not fit starts a page with the header again.
      let header = i === 0;
      if (header) this.ensureSpace(headerRow.h + laid.h);
      else if (doc.y + laid.h > this.bottom) {
        this.newPage();
        header = true;
      }
      if (header) {
        doc.fontSize(size);
        drawHeader();
      }
      drawRow(row, laid, i % 2 === 1 ? COLORS.zebra : null);
    });
    doc.y += 8;
  }

  /**
   * Every page break, PDFKit's own inside a long text included, goes through addPage: the page that
   * ends there gets its header and footer (stream) or is only counted (count), and PDFKit writes it
   * out. The count pass draws nothing, so it keeps no content at all.
   */
  private finishPagesAsTheyEnd(): void {
    // One function for every document, finding its ReportDoc through the document (a closure made per
    // document and stored on it would keep the ended document alive: reports/pdfkit-speedups.ts).
    const doc = this.doc as PagedPdf;
    doc[OWNER] = this;
    doc.addPage = ReportDoc.endPageThenAdd;
    if (this.paging.mode === 'count') doc.addContent = drawNothing;
  }

  private static endPageThenAdd(this: PagedPdf, options?: PDFKit.PDFDocumentOptions): PDFKit.PDFDocument {
    this[OWNER]?.endPage();
    return (Object.getPrototypeOf(this) as PDFKit.PDFDocument).addPage.call(this, options);
  }

  private endPage(): void {
    this.finished += 1;
    if (this.paging.mode !== 'stream') return;
    // Drawn in the middle of the layout: whatever decorate changes is put back.
    const d = this.doc as PDFKit.PDFDocument & { _fontSize: number; _fillColor?: [PDFKit.Mixins.ColorValue, number?] };
    const { x, y, _fontSize: size, _fillColor: fill } = d;
    this.decorate(this.finished, this.paging.pages);
    d.fontSize(size);
    if (fill) d.fillColor(...fill);
    d.x = x;
    d.y = y;
  }

  /** Draws the header and footer on every page, then ends the document. */
  async finish(): Promise<Buffer> {
    if (this.paging.mode !== 'buffer') return this.finishStreamed(this.paging);
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      this.decorate(i - range.start + 1, range.count);
    }
    this.doc.end();
    return this.done;
  }

  private async finishStreamed(paging: Exclude<Paging, { mode: 'buffer' }>): Promise<Buffer> {
    this.endPage();
    this.doc.end();
    const pdf = await this.done;
    if (paging.mode === 'count') paging.pages = this.finished;
    else if (this.finished !== paging.pages)
      throw new Error(`the report laid out to ${this.finished} pages, not the ${paging.pages} counted`);
    return pdf;
  }

  private decorate(page: number, pages: number): void {
    const doc = this.doc;
    const { width, height } = doc.page;
    // Writing inside the margins would make PDFKit open a new page; lift the bottom margin meanwhile.
    const savedBottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    const inner = width - MARGIN.left - MARGIN.right;
    const style = { size: 8, color: COLORS.muted };
    this.write(this.meta.headerLeft, MARGIN.left, 34, inner * 0.68, style);
    this.write(this.meta.headerRight, MARGIN.left + inner * 0.68, 34, inner * 0.32, { ...style, align: 'right' });
    doc
      .moveTo(MARGIN.left, 50)
      .lineTo(width - MARGIN.right, 50)
      .lineWidth(0.5)
      .strokeColor(COLORS.rule)
      .stroke();
    const fy = height - 44;
    doc
      .moveTo(MARGIN.left, fy - 6)
      .lineTo(width - MARGIN.right, fy - 6)
      .lineWidth(0.5)
      .strokeColor(COLORS.rule)
      .stroke();
    this.write(this.meta.footerLeft, MARGIN.left, fy, inner * 0.6, style);
    this.write(this.meta.pageLabel(page, pages), MARGIN.left + inner * 0.6, fy, inner * 0.4, {
      ...style,
      align: 'right',
    });
    doc.page.margins.bottom = savedBottom;
    doc.fillColor(COLORS.ink);
  }
}

/**
 * Renders a report in two passes (see Paging): `render` must lay out the same document both times.
 * Memory then stays at about one page plus the finished PDF's bytes, whatever the page count, for
 * about 1.2 times the CPU of a single pass (the counting pass writes no content).
 */
export async function twoPasses(render: (paging: Paging) => Promise<Buffer>): Promise<Buffer> {
  const count: Paging = { mode: 'count' };
  await render(count);
  return render({ mode: 'stream', pages: count.pages ?? 0 });
}

function clip(text: string): string {
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
}
