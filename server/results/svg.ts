import { formatScore } from '../rules/scoring';

/**
 * Tiny server-rendered SVG charts: no script, no CDN, nothing to load on a closed network. Colours
 * are presentation attributes (the CSP forbids inline `style`), sizes come from the viewBox so the
 * charts shrink to a phone's width; every figure is also printed as text next to its mark.
 */

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const num = (v: number) => (Math.round(v * 10) / 10).toString();

const W = 360;
const CURRENT = '#0b5cab';
const PREVIOUS = '#98a2b3';
const INK = '#1d2430';
const GRID = '#e4e7ec';

export interface BarDatum {
  label: string;
  value: number | null;
  previous?: number | null;
  /** The 95 % interval of the value (SPEC §11), drawn as a whisker across the bar. */
  ci95?: [number, number] | null;
}

const WHISKER = '#111827';

/** A horizontal whisker from lo to hi at height y, with end caps (clamped to the 0–100 scale). */
function whisker(x: (v: number) => number, lo: number, hi: number, y: number, cap: number): string {
  const a = num(x(clamp(lo)));
  const b = num(x(clamp(hi)));
  return (
    `<g class="whisker" stroke="${WHISKER}" stroke-width="1.5"><line x1="${a}" x2="${b}" y1="${y}" y2="${y}"/>` +
    `<line x1="${a}" x2="${a}" y1="${y - cap}" y2="${y + cap}"/><line x1="${b}" x2="${b}" y1="${y - cap}" y2="${y + cap}"/></g>`
  );
}

export interface ChartText {
  title: string;
  current?: string;
  previous?: string;
  /** Shown where a value is missing. */
  none?: string;
}

function open(height: number, text: ChartText, cls: string): string {
  return `<svg class="${cls}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${esc(text.title)}"><title>${esc(text.title)}</title>`;
}

/** One row per dimension on a 0–100 scale: a thick bar for the quarter, a thin one for the previous quarter. */
export function barChart(data: BarDatum[], text: ChartText): string {
  const left = 4;
  const right = 52;
  const span = W - left - right;
  const rowH = 44;
  const legendH = text.previous ? 22 : 0;
  const height = legendH + data.length * rowH + 4;
  const parts = [open(height, text, 'chart chart-bars')];
  if (text.previous) {
    parts.push(
      `<rect x="${left}" y="4" width="12" height="10" fill="${CURRENT}"/><text x="${left + 16}" y="13" font-size="11" fill="${INK}">${esc(text.current ?? '')}</text>`,
      `<rect x="${left + 150}" y="7" width="12" height="5" fill="${PREVIOUS}"/><text x="${left + 166}" y="13" font-size="11" fill="${INK}">${esc(text.previous)}</text>`,
    );
  }
  data.forEach((d, i) => {
    const y = legendH + i * rowH;
    parts.push(`<text x="${left}" y="${y + 12}" font-size="12" fill="${INK}">${esc(d.label)}</text>`);
    const w = d.value === null ? 0 : (span * clamp(d.value)) / 100;
    parts.push(`<rect x="${left}" y="${y + 17}" width="${num(span)}" height="14" fill="${GRID}"/>`);
    if (d.value !== null)
      parts.push(`<rect class="bar" x="${left}" y="${y + 17}" width="${num(w)}" height="14" fill="${CURRENT}"/>`);
    if (d.value !== null && d.ci95)
      parts.push(whisker((v) => left + (span * v) / 100, d.ci95[0], d.ci95[1], y + 24, 5));
    parts.push(
      `<text x="${left + span + 6}" y="${y + 29}" font-size="12" font-weight="600" fill="${INK}">${esc(d.value === null ? (text.none ?? '–') : formatScore(d.value))}</text>`,
    );
    if (typeof d.previous === 'number') {
      parts.push(
        `<rect class="bar-prev" x="${left}" y="${y + 34}" width="${num((span * clamp(d.previous)) / 100)}" height="5" fill="${PREVIOUS}"/>`,
      );
      parts.push(
        `<text x="${left + span + 6}" y="${y + 41}" font-size="10" fill="${PREVIOUS}">${esc(formatScore(d.previous))}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface LinePoint {
  label: string;
  value: number | null;
  ci95?: [number, number] | null;
}

/** The total over the quarters on a 0–100 scale; a quarter without data breaks the line. */
export function lineChart(points: LinePoint[], text: ChartText): string {
  const pad = { left: 30, right: 14, top: 16, bottom: 26 };
  const height = 190;
  const plotW = W - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (points.length === 1 ? plotW / 2 : (plotW * i) / (points.length - 1));
  const y = (v: number) => pad.top + plotH - (plotH * clamp(v)) / 100;
  const parts = [open(height, text, 'chart chart-line')];
  for (const g of [0, 25, 50, 75, 100]) {
    parts.push(
      `<line x1="${pad.left}" x2="${W - pad.right}" y1="${num(y(g))}" y2="${num(y(g))}" stroke="${GRID}" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${pad.left - 4}" y="${num(y(g) + 4)}" font-size="10" text-anchor="end" fill="${PREVIOUS}">${g}</text>`,
    );
  }
  let run: string[] = [];
  const flush = () => {
    if (run.length > 1)
      parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${CURRENT}" stroke-width="2.5"/>`);
    run = [];
  };
  points.forEach((p, i) => {
    if (p.value === null) return flush();
    run.push(`${num(x(i))},${num(y(p.value))}`);
  });
  flush();
  points.forEach((p, i) => {
    const anchor = i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle';
    parts.push(
      `<text x="${num(x(i))}" y="${height - 8}" font-size="11" text-anchor="${anchor}" fill="${INK}">${esc(p.label)}</text>`,
    );
    if (p.value === null) {
      parts.push(
        `<text x="${num(x(i))}" y="${num(y(50))}" font-size="11" text-anchor="${anchor}" fill="${PREVIOUS}">${esc(text.none ?? '–')}</text>`,
      );
      return;
    }
    if (p.ci95) {
      const cx = num(x(i));
      const [top, bottom] = [num(y(clamp(p.ci95[1]))), num(y(clamp(p.ci95[0])))];
      parts.push(
        `<g class="whisker" stroke="${WHISKER}" stroke-width="1.5"><line x1="${cx}" x2="${cx}" y1="${top}" y2="${bottom}"/>` +
          `<line x1="${num(x(i) - 4)}" x2="${num(x(i) + 4)}" y1="${top}" y2="${top}"/><line x1="${num(x(i) - 4)}" x2="${num(x(i) + 4)}" y1="${bottom}" y2="${bottom}"/></g>`,
      );
    }
    parts.push(`<circle class="point" cx="${num(x(i))}" cy="${num(y(p.value))}" r="4" fill="${CURRENT}"/>`);
    parts.push(
      `<text x="${num(x(i))}" y="${num(y(p.value) - 8)}" font-size="11" font-weight="600" text-anchor="${anchor}" fill="${INK}">${esc(formatScore(p.value))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function clamp(v: number): number {
  return Math.max(0, Math.min(100, v));
}
