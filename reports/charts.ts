import { COLORS, type ReportDoc } from './doc';
import { score } from './format';
import { label } from './labels';

/** Vector charts (lines and rectangles, no images): sharp at any zoom, a few hundred bytes each. */
export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  /** Line charts: a thicker line with value labels, for the total. */
  emphasis?: boolean;
}

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
  max: number;
}

const AXIS_WIDTH = 26;

function legend(r: ReportDoc, series: Series[]): void {
  const doc = r.doc.fontSize(8);
  let x = r.left + AXIS_WIDTH;
  const y = r.y;
  for (const s of series) {
    doc.rect(x, y + 2, 9, 6).fill(s.color);
    label(r, s.name, x + 12, y, { size: 8, color: COLORS.ink });
    x += 12 + doc.widthOfString(s.name) + 14;
  }
  r.doc.y = y + 16;
}

/** The value axis: grid lines every `step` from 0 to `max`, labelled on the left. */
function axis(r: ReportDoc, f: Frame, step: number, format: (v: number) => string): void {
  const doc = r.doc;
  for (let v = 0; v <= f.max + 1e-9; v += step) {
    const y = f.y + f.h - (v / f.max) * f.h;
    doc
      .moveTo(f.x, y)
      .lineTo(f.x + f.w, y)
      .lineWidth(0.3)
      .strokeColor(COLORS.rule)
      .stroke();
    label(r, format(v), f.x - AXIS_WIDTH, y - 4, {
      size: 7,
      color: COLORS.muted,
      width: AXIS_WIDTH - 4,
      align: 'right',
    });
  }
  doc
    .moveTo(f.x, f.y + f.h)
    .lineTo(f.x + f.w, f.y + f.h)
    .lineWidth(0.8)
    .strokeColor(COLORS.muted)
    .stroke();
}

function frame(r: ReportDoc, height: number, max: number): Frame {
  r.ensureSpace(height + 50);
  return { x: r.left + AXIS_WIDTH, y: r.y + 4, w: r.width - AXIS_WIDTH, h: height, max };
}

function categoryLabels(r: ReportDoc, f: Frame, labels: string[]): void {
  const slot = f.w / labels.length;
  labels.forEach((l, i) =>
    label(r, l, f.x + i * slot, f.y + f.h + 4, { size: 8, color: COLORS.ink, width: slot, align: 'center' }),
  );
  r.doc.y = f.y + f.h + 20;
}

/** Bars per category, one bar per series side by side, each labelled with its score. */
export function groupedBars(r: ReportDoc, categories: string[], series: Series[], height = 150): void {
  r.ensureSpace(height + 70);
  legend(r, series);
  const f = frame(r, height, 100);
  axis(r, f, 20, (v) => String(v));
  const slot = f.w / categories.length;
  const barW = Math.min(26, (slot * 0.75) / series.length);
  const doc = r.doc;
  categories.forEach((_, ci) => {
    const groupX = f.x + ci * slot + (slot - barW * series.length) / 2;
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (typeof v !== 'number') return;
      const h = (Math.max(0, Math.min(v, f.max)) / f.max) * f.h;
      const x = groupX + si * barW;
      doc.rect(x + 1, f.y + f.h - h, barW - 2, h).fill(s.color);
      label(r, score(v), x - 6, f.y + f.h - h - 9, { size: 7, color: COLORS.ink, width: barW + 12, align: 'center' });
    });
  });
  categoryLabels(r, f, categories);
}

/** One line per series across the quarters; a missing value breaks the line rather than inventing one. */
export function lineChart(r: ReportDoc, xLabels: string[], series: Series[], height = 150): void {
  r.ensureSpace(height + 70);
  legend(r, series);
  const f = frame(r, height, 100);
  axis(r, f, 20, (v) => String(v));
  const slot = f.w / xLabels.length;
  const px = (i: number) => f.x + slot * i + slot / 2;
  const py = (v: number) => f.y + f.h - (Math.max(0, Math.min(v, f.max)) / f.max) * f.h;
  const doc = r.doc;
  for (const s of series) {
    let drawing = false;
    s.values.forEach((v, i) => {
      if (typeof v !== 'number') {
        drawing = false;
        return;
      }
      if (drawing) doc.lineTo(px(i), py(v));
      else doc.moveTo(px(i), py(v));
      drawing = true;
    });
    doc
      .lineWidth(s.emphasis ? 2.2 : 1)
      .strokeColor(s.color)
      .stroke();
    s.values.forEach((v, i) => {
      if (typeof v !== 'number') return;
      doc.circle(px(i), py(v), s.emphasis ? 2.8 : 1.8).fill(s.color);
      if (s.emphasis)
        label(r, score(v), px(i) - 20, py(v) - 13, { size: 7.5, color: COLORS.ink, width: 40, align: 'center' });
    });
  }
  categoryLabels(r, f, xLabels);
}

/** How many branches fall in each band of total score (the shape of the spread, not just min and max). */
export function histogram(r: ReportDoc, values: number[], height = 110): void {
  const bands = Array.from({ length: 10 }, (_, i) => ({ from: i * 10, count: 0 }));
  for (const v of values) bands[Math.min(9, Math.max(0, Math.floor(v / 10)))].count += 1;
  const maxCount = Math.max(1, ...bands.map((b) => b.count));
  const step = niceStep(maxCount);
  const f = frame(r, height, Math.ceil(maxCount / step) * step);
  axis(r, f, step, (v) => String(Math.round(v)));
  const slot = f.w / bands.length;
  const doc = r.doc;
  bands.forEach((b, i) => {
    if (b.count === 0) return;
    const h = (b.count / f.max) * f.h;
    doc.rect(f.x + i * slot + 3, f.y + f.h - h, slot - 6, h).fill(COLORS.accent);
    label(r, String(b.count), f.x + i * slot, f.y + f.h - h - 9, {
      size: 7,
      color: COLORS.ink,
      width: slot,
      align: 'center',
    });
  });
  categoryLabels(
    r,
    f,
    bands.map((b) => `${b.from}–${b.from + 10}`),
  );
}

function niceStep(max: number): number {
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return Math.max(1, (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag);
}
