import { performance } from 'node:perf_hooks';

/** Per request kind: every time measured during the mix and the answers by status. */
export interface KindStats {
  times: number[];
  statuses: Map<number, number>;
}
export const kinds = new Map<string, KindStats>();
let measuring = false;

/** Only requests made while measuring are counted (not the set-up's). */
export function setMeasuring(on: boolean): void {
  measuring = on;
}

/** autocannon's per-connection context, as the request sets use it. */
export interface Ctx {
  kind?: string;
  t0?: number;
  visitId?: string;
  auth?: string;
  queue?: string[];
  [k: string]: unknown;
}

export function start(ctx: Ctx, kind: string): void {
  ctx.kind = kind;
  ctx.t0 = performance.now();
}

export function record(ctx: Ctx, status: number): void {
  if (!measuring || !ctx.kind || ctx.t0 === undefined) return;
  const k: KindStats = kinds.get(ctx.kind) ?? { times: [], statuses: new Map<number, number>() };
  k.times.push(performance.now() - ctx.t0);
  k.statuses.set(status, (k.statuses.get(status) ?? 0) + 1);
  kinds.set(ctx.kind, k);
}

export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
