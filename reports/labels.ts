import type { ReportDoc } from './doc';
import type { Align } from './text';

export interface LabelStyle {
  size: number;
  color: string;
  /** Wrapped (and aligned) in this width, as PDFKit's text() with a width; none: one line from x. */
  width?: number;
  align?: Align;
}

/**
 * A short text (the cover's lines, a chart's legend, axis and bar labels) drawn where and as PDFKit's
 * text() draws it, by the reports' own writer (reports/text.ts). Through PDFKit's text path the cover
 * and the charts were about a tenth of a branch report's CPU (its wrapper, options and a text object
 * per line), for a few dozen short strings that recur in every report.
 *
 * With a width: ReportDoc.write (wrapped in the width, aligned; a line past the page's bottom margin
 * starts a new page; doc.y below the last line). Without: PDFKit's text() with `lineBreak: false` and
 * no width — each line of the text on the same baseline, one after the other from x, nothing wrapped
 * and no page break; doc.y unchanged, doc.x after the text. Either way the font size is left at
 * `size`, as PDFKit's chained fontSize() left it (moveDown counts in it).
 */
export function label(r: ReportDoc, text: string, x: number, top: number, style: LabelStyle): void {
  if (style.width) {
    r.write(text, x, top, style.width, style);
    return;
  }
  const doc = r.doc;
  doc.fontSize(style.size);
  doc.y = top;
  const block = r.text.begin();
  let at = x;
  for (const line of text.split('\n')) {
    block.line(line, at, top, style.size, style.color);
    at += r.text.width(line, style.size);
  }
  block.end();
  doc.x = at;
}
