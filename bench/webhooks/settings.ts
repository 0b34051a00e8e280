import path from 'node:path';

/** The webhook benchmark's settings (environment variables, see bench/webhooks-bench.ts). */

export const ROOT = path.resolve(__dirname, '..', '..');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
/** Events to produce by real changes (each visit gives 5: approved, alert, disputed, resolved, withdrawn). */
export const EVENTS = env('BENCH_EVENTS', 10_000);
/** Changes (approvals, disputes, resolutions) started per second, open loop. */
export const CHANGE_RATE = env('BENCH_CHANGE_RATE', 12);
/** Visit submissions (create + submit through the API) started per second meanwhile, open loop. */
export const SUBMIT_RATE = env('BENCH_SUBMIT_RATE', 2);
/** Fresh runs (each on a new database); the figures recorded are their medians. */
export const RUNS = env('BENCH_RUNS', 1);
/** After the last change, how long to wait for every delivery before counting the missing as lost. */
export const DRAIN_S = env('BENCH_DRAIN_S', 600);
/** Bound on changes and submissions in flight (a pace the app cannot keep shows as late starts). */
export const MAX_IN_FLIGHT = env('BENCH_MAX_IN_FLIGHT', 64);
export const ENDPOINTS = 3;
/**
 * Branches of the bench bank, in regions of 50; the visits go round them. 500 branches for 2,000
 * visits is the large bank's 4 visits per branch and quarter: with one branch, every change rewrote
 * that branch's statistics record of thousands of visits, a cost no real branch has.
 */
export const BRANCHES = env('BENCH_BRANCHES', 500);
export const TARGET_P95_MS = 2000;
export const WRITE_FILE = process.env.BENCH_WRITE !== '0';
export const PASSWORD = 'Bench-pass-2026';
export const SECRET = 'bench-webhooks-session-secret-0123456789abcdef';
/** The critical item answered "no" on every changed visit (a compliance violation), disputed and overturned. */
export const VIOLATED_ITEM = 'c_id_check';

export const log = (m: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

export function pct(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const median = (xs: readonly number[]) => pct(xs, 50);
