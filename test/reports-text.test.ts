import zlib from 'node:zlib';
import PDFDocument from 'pdfkit';
import { COLORS, ReportDoc, type Column, type Row } from '../reports/doc';
import { reportFont } from '../reports/fonts';
import { label } from '../reports/labels';
import { ReportText, WRAPS_KEPT_UP_TO } from '../reports/text';
import { en, zh } from '../server/i18n/reports';
import { pdfPixels as pixels } from './helpers/reports';

/**
 * The reports' own text writer (reports/text.ts) must draw what PDFKit's text() draws: the same
 * lines, widths and heights (compared here with a plain PDFKit document, none of the report's
 * speed-ups), and the same pixels on the page (both rasterised by poppler's pdftoppm).
 */
const fontDoc = () => new PDFDocument({ size: 'A4', font: reportFont() as unknown as string });
type Wrapping = PDFKit.PDFDocument & {
  _text(t: string, x: number, y: number, o: object, line: (l: string) => void): unknown;
};

/** The lines PDFKit's own wrapper makes (no height limit, so no page breaks while measuring). */
function pdfkitLines(doc: PDFKit.PDFDocument, text: string, width: number, size: number): string[] {
  const lines: string[] = [];
  doc.fontSize(size);
  (doc as Wrapping)._text(text, 0, 0, { width, height: Infinity }, (l) => lines.push(l));
  return lines;
}

const fromReports = [...Object.values(en), ...Object.values(zh)].filter((s) => !s.includes('{')).slice(0, 400);
const CORPUS = [
  ...fromReports,
  '等候约五分钟后才有人接待，未主动介绍产品风险等级。柜员服务规范，费用说明清楚。',
  'AVATAR To Wa Ty LT “quoted” — the branch’s total 87.5 (−1.2) vs 88.7',
  'Supercalifragilisticexpialidocious-and-then-some-more-without-any-space-at-all',
  '客户经理态度良好，但产品费用说明不完整，未提及提前赎回费用。Customer waited 5 minutes; staff 王小明、李红.',
  'first line\nsecond line\n\nafter an empty one',
  'trailing spaces   ',
  '（括号）「引号」《书名》……——',
  '𠀀𠀁 rare ideographs outside the basic plane',
];
const WIDTHS = [4, 31.5, 60, 123.4, 420];
const SIZES = [7.5, 9.5, 12.5];

describe('the report text writer measures as PDFKit does', () => {
  const reference = fontDoc();
  const mine = new ReportText(fontDoc() as unknown as ConstructorParameters<typeof ReportText>[0]);

  test('the same widths, exactly', () => {
    for (const t of CORPUS)
      for (const size of SIZES) expect(mine.width(t, size)).toBe(reference.fontSize(size).widthOfString(t));
  });

  test('the same lines for every text, width and size', () => {
    let multiLine = 0;
    for (const t of CORPUS)
      for (const w of WIDTHS)
        for (const size of SIZES) {
          const expected = pdfkitLines(reference, t, w, size);
          if (expected.length > 1) multiLine++;
          expect({ t, w, size, lines: mine.lines(t, w, size).map((l) => l.text) }).toEqual({
            t,
            w,
            size,
            lines: expected,
          });
        }
    // The corpus does exercise wrapping (and cutting words wider than a line, at the 4-point width).
    expect(multiLine).toBeGreaterThan(CORPUS.length * 3);
  });

  test('a text wrapped once is kept for the process: asked again, by any document, the same lines', () => {
    const t = CORPUS[CORPUS.length - 5];
    const first = mine.lines(t, 123.4, 9.5);
    const other = new ReportText(fontDoc() as unknown as ConstructorParameters<typeof ReportText>[0]);
    expect(other.lines(t, 123.4, 9.5)).toBe(first); // not wrapped again: the kept lines themselves
    expect(Object.isFrozen(first)).toBe(true); // shared, so nobody may change them
    expect(mine.lines(t, 60, 9.5)).not.toBe(first); // another width (or size) is wrapped on its own
    expect(mine.lines(t, 60, 9.5).map((l) => l.text)).toEqual(pdfkitLines(reference, t, 60, 9.5));
    expect(mine.lines(t, 123.4, 7.5).map((l) => l.text)).toEqual(pdfkitLines(reference, t, 123.4, 7.5));
    // A long text (a comment, a summary: usually met once) is wrapped each time, not kept.
    const long = '客户经理态度良好，但产品费用说明不完整。'.repeat(Math.ceil((WRAPS_KEPT_UP_TO + 1) / 20));
    expect(long.length).toBeGreaterThan(WRAPS_KEPT_UP_TO);
    expect(mine.lines(long, 123.4, 9.5)).not.toBe(mine.lines(long, 123.4, 9.5));
    expect(mine.lines(long, 123.4, 9.5).map((l) => l.text)).toEqual(pdfkitLines(reference, long, 123.4, 9.5));
  });

  test('the same heights', () => {
    for (const t of CORPUS.slice(-8))
      for (const w of WIDTHS) {
        const expected = reference.fontSize(9).heightOfString(t, { width: w, lineGap: 1 });
        expect(mine.height(t, w, 9, 1)).toBeCloseTo(expected, 9);
      }
  });
});

describe('glyphs a font moves off the pen’s path (neither report font does; a fallback font might)', () => {
  const MARKED = 'Moved a\u0301 mark';
  /** Each text matrix and the glyph ids drawn under it, from a document's drawing operators. */
  const placements = (ops: string) =>
    ops
      .split(/(1 0 0 1 [-\d.]+ [-\d.]+ Tm)/)
      .slice(1)
      .reduce<string[]>((out, part, i, all) => {
        if (i % 2 === 0) out.push(`${part} ${[...all[i + 1].matchAll(/<([0-9a-f]+)>/g)].map((m) => m[1]).join('')}`);
        return out;
      }, []);

  test('are placed one by one where PDFKit places them', () => {
    type Laid = { glyphs: unknown[]; positions: Record<string, number>[]; advanceWidth: number };
    const withOffsets = () => {
      const doc = fontDoc() as unknown as {
        _font: { layout(t: string, f?: unknown, w?: boolean): Laid };
      } & PDFKit.PDFDocument;
      const real = doc._font.layout.bind(doc._font);
      doc._font.layout = (t, f, onlyWidth) => {
        const laid = real(t, f, onlyWidth);
        if (t !== MARKED || onlyWidth) return laid;
        // The accent raised and pulled back over its letter, as a mark-positioning font would.
        const positions = laid.positions.map((p, i) => (i === 7 ? { ...p, xOffset: -300, yOffset: 120 } : { ...p }));
        return { ...laid, positions };
      };
      const ops: string[] = [];
      const add = doc.addContent.bind(doc);
      (doc as unknown as { addContent(s: string): unknown }).addContent = (s: string) => {
        ops.push(s);
        return add(s);
      };
      return { doc, ops };
    };
    const reference = withOffsets();
    reference.doc.fontSize(12).text(MARKED, 100, 200, { lineBreak: false });
    const mine = withOffsets();
    const block = new ReportText(mine.doc as unknown as ConstructorParameters<typeof ReportText>[0]).begin();
    block.line(MARKED, 100, 200, 12, COLORS.ink);
    block.end();
    const expected = placements(reference.ops.join('\n'));
    expect(expected.length).toBe(3); // up to the accent, the accent, the rest
    expect(placements(mine.ops.join('\n'))).toEqual(expected);
  });
});

const META = {
  headerLeft: '基准测试银行 · 2026-Q3 · version 1',
  headerRight: 'Branch JN-002 济南泉城路支行',
  footerLeft: 'Generated 2026-10-01 09:00 (Asia/Shanghai)',
  pageLabel: (x: number, y: number) => `Page ${x} of ${y}`,
  title: 'test',
  author: 'test',
  createdAt: new Date('2026-10-01T01:00:00Z'),
};

type Para = { t: string; size: number; color: string; align: 'left' | 'right' | 'center'; lineGap: number };
const PARAS: Para[] = CORPUS.slice(-8).flatMap((t, i) =>
  Array.from({ length: 12 }, (_, k) => ({
    t,
    size: SIZES[(i + k) % 3],
    color: [COLORS.ink, COLORS.bad, COLORS.accent][k % 3],
    align: (['left', 'right', 'center'] as const)[(i + k) % 3],
    lineGap: k % 2 ? 2 : 0,
  })),
);

describe('the report text writer draws as PDFKit does', () => {
  test('paragraphs (wrapped, aligned, coloured, across page breaks): the same pixels', async () => {
    const viaPdfkit = new ReportDoc(META);
    for (const p of PARAS)
      viaPdfkit.doc
        .fontSize(p.size)
        .fillColor(p.color)
        .text(p.t, viaPdfkit.left, viaPdfkit.doc.y, { width: 240, align: p.align, lineGap: p.lineGap });
    const viaWriter = new ReportDoc(META);
    for (const p of PARAS)
      viaWriter.write(p.t, viaWriter.left, viaWriter.doc.y, 240, {
        size: p.size,
        color: p.color,
        align: p.align,
        lineGap: p.lineGap,
      });
    const [a, b] = [pixels(await viaPdfkit.finish()), pixels(await viaWriter.finish())];
    expect(a.length).toBeGreaterThan(2);
    expect(b.length).toBe(a.length);
    b.forEach((page, i) => expect(page.equals(a[i])).toBe(true));
  });

  test('a table (fills, rules, wrapped and aligned cells, a header repeated on a new page): the same pixels as drawn with PDFKit', async () => {
    const columns: Column[] = [
      { header: 'Section', width: 1.2 },
      { header: '检查项', width: 3.6 },
      { header: 'Score', width: 0.8, align: 'right' },
      { header: 'Comment', width: 2.9, align: 'center' },
    ];
    const rows: Row[] = Array.from({ length: 70 }, (_, i) => [
      ['Greeting', '销售合规', 'Follow-up'][i % 3],
      CORPUS[CORPUS.length - 1 - (i % 8)],
      { text: (i * 7.3).toFixed(1), color: i % 4 ? COLORS.ink : COLORS.bad },
      i % 3 ? '' : CORPUS[CORPUS.length - 8 + (i % 5)],
    ]);
    const writer = new ReportDoc(META);
    writer.table(columns, rows, { size: 7.5 });
    const reference = new ReportDoc(META);
    pdfkitTable(reference, columns, rows, 7.5);
    const [a, b] = [pixels(await reference.finish()), pixels(await writer.finish())];
    expect(a.length).toBeGreaterThan(2);
    expect(b.length).toBe(a.length);
    b.forEach((page, i) => expect(page.equals(a[i])).toBe(true));
  });

  test("labels (the cover, the charts): the same pixels and the same pen as PDFKit's text()", async () => {
    // Where the cover and the charts draw a short text, a label is what PDFKit's text() did there:
    // with a width (wrapped and aligned in it, a page break near the bottom), or none (lineBreak: false).
    type Case = { t: string; size: number; color: string; width?: number; align?: 'left' | 'right' | 'center' };
    const cases: Case[] = CORPUS.slice(-10).flatMap((t, i) => [
      { t, size: SIZES[i % 3], color: COLORS.muted },
      { t, size: 26, color: COLORS.accent, width: 480 },
      {
        t,
        size: 7,
        color: COLORS.ink,
        width: [22, 40, 95][i % 3],
        align: (['right', 'center', 'left'] as const)[i % 3],
      },
    ]);
    const viaPdfkit = new ReportDoc(META);
    const viaLabel = new ReportDoc(META);
    const pens: [number, number][][] = [[], []];
    cases.forEach((c, i) => {
      const x = 40 + (i % 4) * 60;
      const y = viaPdfkit.doc.y + 6;
      viaPdfkit.doc
        .fontSize(c.size)
        .fillColor(c.color)
        .text(c.t, x, y, { width: c.width, align: c.align, lineBreak: false });
      label(viaLabel, c.t, x, viaLabel.doc.y + 6, c);
      viaPdfkit.doc.moveDown(0.4);
      viaLabel.doc.moveDown(0.4);
      viaPdfkit.doc.fillColor(COLORS.ink);
      pens[0].push([viaPdfkit.doc.x, viaPdfkit.doc.y]);
      pens[1].push([viaLabel.doc.x, viaLabel.doc.y]);
    });
    expect(pens[1]).toEqual(pens[0]);
    const [a, b] = [pixels(await viaPdfkit.finish()), pixels(await viaLabel.finish())];
    expect(a.length).toBeGreaterThan(2);
    expect(b.length).toBe(a.length);
    b.forEach((page, i) => expect(page.equals(a[i])).toBe(true));
  });

  test('page contents are compressed at zlib level 1 and read back whole', async () => {
    const r = new ReportDoc(META);
    r.para(CORPUS.join(' '));
    const pdf = await r.finish();
    const streams = [...pdf.toString('latin1').matchAll(/\/Length (\d+)\n\/Filter \/FlateDecode\n>>\nstream\n/g)];
    const contents = streams.map((m) => pdf.subarray(m.index + m[0].length, m.index + m[0].length + Number(m[1])));
    const pages = contents.map((c) => zlib.inflateSync(c).toString('latin1')).filter((c) => c.includes(' Tf'));
    expect(pages.length).toBeGreaterThan(0);
    for (const c of contents.filter((x) => pages.includes(zlib.inflateSync(x).toString('latin1'))))
      expect(c.subarray(0, 2).toString('hex')).toBe('7801');
    expect(pages.join('')).toContain('1 0 0 -1 0 841.89 cm');
  });
});

/** The table as it was drawn before the writer, through PDFKit's text() and shapes (the reference). */
function pdfkitTable(r: ReportDoc, columns: Column[], rows: Row[], size: number): void {
  const doc = r.doc.fontSize(size);
  const pad = 3.5;
  const total = columns.reduce((s, c) => s + c.width, 0);
  const widths = columns.map((c) => (c.width / total) * r.width);
  const oneLine = doc.currentLineHeight(true) + 1;
  const single = (t: string, w: number) => !t.includes('\n') && doc.widthOfString(t) <= w;
  const heightOf = (cells: string[]) =>
    Math.max(
      ...cells.map((t, i) =>
        single(t, widths[i] - 2 * pad)
          ? oneLine
          : doc.heightOfString(t || ' ', { width: widths[i] - 2 * pad, lineGap: 1 }),
      ),
    ) +
    2 * pad;
  const draw = (cells: Row, h: number, fill: string | null) => {
    if (fill) doc.rect(r.left, doc.y, r.width, h).fill(fill);
    let x = r.left;
    const top = doc.y;
    cells.forEach((cell, i) => {
      const t = typeof cell === 'string' ? cell : cell.text;
      const w = widths[i] - 2 * pad;
      const align = columns[i].align ?? 'left';
      doc.fillColor(typeof cell === 'object' && cell.color ? cell.color : COLORS.ink);
      if (single(t, w)) {
        const free = w - doc.widthOfString(t);
        doc.text(t, x + pad + (align === 'right' ? free : align === 'center' ? free / 2 : 0), top + pad, {
          lineBreak: false,
        });
      } else doc.text(t, x + pad, top + pad, { width: w, align, lineGap: 1 });
      x += widths[i];
    });
    doc.y = top + h;
    doc
      .moveTo(r.left, doc.y)
      .lineTo(r.left + r.width, doc.y)
      .lineWidth(0.3)
      .strokeColor(COLORS.rule)
      .stroke();
  };
  const header = columns.map((c) => c.header);
  const headerHeight = heightOf(header);
  rows.forEach((row, i) => {
    const h = heightOf(row.map((c) => (typeof c === 'string' ? c : c.text)));
    let withHeader = i === 0;
    if (withHeader) r.ensureSpace(headerHeight + h);
    else if (doc.y + h > doc.page.height - 64) {
      r.newPage();
      withHeader = true;
    }
    if (withHeader) {
      doc.fontSize(size);
      draw(header, headerHeight, COLORS.headerFill);
    }
    draw(row, h, i % 2 === 1 ? COLORS.zebra : null);
  });
  doc.y += 8;
}
