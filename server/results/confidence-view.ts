import type { Change } from '../rules/confidence';
import { formatScore } from '../rules/scoring';
import type { PageContext } from '../web/render';
import type { ResultRow, ScoreConfidence } from './types';

/**
 * How SPEC §11 reads on a page: "± half-width" beside a mean, the change marked significant, not
 * significant or too little data (with its p), and the league table's warning when a small sample
 * sits at its top or bottom. Words come from the dictionary (server/i18n/confidence.ts).
 */

/** "± 4.3", or '' without an interval. */
export function plusMinus(c: { ci95?: ScoreConfidence['ci95'] } | undefined | null): string {
  if (!c?.ci95) return '';
  return `± ${formatScore((c.ci95[1] - c.ci95[0]) / 2)}`;
}

/** "[62.1, 70.4]", or '' without an interval. */
export function interval(c: { ci95?: ScoreConfidence['ci95'] } | undefined | null): string {
  return c?.ci95 ? `[${formatScore(c.ci95[0])}, ${formatScore(c.ci95[1])}]` : '';
}

export interface Verdict {
  /** sig | nsig | few */
  kind: 'sig' | 'nsig' | 'few';
  label: string;
  /** "p = 0.031" (or '' when there is no p). */
  p: string;
}

const pText = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

export function verdict(ctx: PageContext, change: Change | undefined): Verdict | null {
  if (!change) return null;
  if (change.significant === null) return { kind: 'few', label: ctx.t('confidence.too_little_data'), p: '' };
  const kind = change.significant ? 'sig' : 'nsig';
  return { kind, label: ctx.t(`confidence.${kind}`), p: change.p === null ? '' : pText(change.p) };
}

/** Small sample: for an area fewer than 3 branches, for a branch or person fewer than 3 visits. */
export const isSmall = (r: ResultRow): boolean => r.smallSample ?? r.n < 3;

/**
 * A league table never puts a small-sample row at its top or bottom without saying so: the
 * sentence names the rows concerned.
 */
export function edgeWarning(ctx: PageContext, rows: readonly ResultRow[]): string | null {
  if (rows.length < 2) return null;
  const edges = [...new Set([rows[0], rows[rows.length - 1]])].filter(isSmall);
  if (edges.length === 0) return null;
  return ctx.t('confidence.edge_warning', { rows: edges.map((r) => `${r.key} ${r.name}`).join(', ') });
}
