import mongoose from 'mongoose';
import { startApp } from './app';
import type { LargeBank } from './generate';
import { DB_NAME, log, median, quantile } from './settings';

/**
 * Approving a visit with the kept statistics (this app: a change note before the visit's update) and
 * without them (the app built from the commit before, BENCH_BASE_ROOT), on the same data: each side
 * approves its own submitted visits through `POST /api/v1/visits/:id/review`, one at a time with a
 * pause of PAUSE_MS (a reviewer's pace; the background sync of the statistics runs meanwhile), in
 * rounds ordered this, before, before, this (repeated), so that neither side always goes first on a
 * warmer database; each round a fresh app process.
 */
export interface ApproveTimes {
  withStats: number[];
  without: number[];
  /** Per round: [side, median ms] in the order run. */
  rounds: { side: 'with' | 'without'; p50: number }[];
  errors: number;
  pauseMs: number;
  baseCommit: string;
}

const PAUSE_MS = 200;

async function submittedVisits(uri: string, bankId: string, n: number): Promise<string[]> {
  await mongoose.connect(uri, { dbName: DB_NAME });
  const { Visit } = await import('../../server/visits/model');
  const ids = await Visit.find({ bankId, status: 'submitted' }, { _id: 1 }).limit(n).lean();
  await mongoose.disconnect();
  return ids.map((v) => String(v._id));
}

async function approveWith(
  uri: string,
  root: string | undefined,
  w: LargeBank,
  ids: string[],
): Promise<{ ms: number[]; errors: number }> {
  const { tokenOf, call } = await import('../../test/helpers/faults');
  const app = await startApp(uri, root ? { root } : {});
  try {
    const token = await tokenOf(app.url, 'reviewer@bench.local', w.password);
    const ms: number[] = [];
    let errors = 0;
    // Two approvals first, not counted (the first request of a process compiles its code paths).
    for (const [i, id] of ids.entries()) {
      const t0 = performance.now();
      const r = await call(app.url, 'POST', `/api/v1/visits/${id}/review`, {
        body: { decision: 'approve' },
        headers: { Authorization: `Bearer ${token}` },
      });
      const took = performance.now() - t0;
      if (r.status !== 200) errors += 1;
      else if (i >= 2) ms.push(took);
      await new Promise((res) => setTimeout(res, PAUSE_MS));
    }
    return { ms, errors };
  } finally {
    await app.stop();
  }
}

/** `n` approvals a side in `rounds` rounds (a multiple of 4: this, before, before, this). */
export async function approveSideBySide(
  uri: string,
  w: LargeBank,
  baseRoot: string,
  n: number,
  rounds = 4,
): Promise<ApproveTimes> {
  const { execFileSync } = await import('node:child_process');
  const per = Math.ceil((2 * n) / rounds) + 2;
  const ids = await submittedVisits(uri, w.bankId, per * rounds);
  if (ids.length < per * rounds) throw new Error(`only ${ids.length} submitted visits to approve`);
  const out: ApproveTimes = {
    withStats: [],
    without: [],
    rounds: [],
    errors: 0,
    pauseMs: PAUSE_MS,
    baseCommit: execFileSync('git', ['-C', baseRoot, 'rev-parse', '--short', 'HEAD']).toString().trim(),
  };
  const mine: [string | undefined, number[]] = [undefined, out.withStats];
  const base: [string | undefined, number[]] = [baseRoot, out.without];
  const sides = Array.from({ length: rounds }, (_, i) => ([0, 3].includes(i % 4) ? mine : base));
  for (const [i, [root, into]] of sides.entries()) {
    const r = await approveWith(uri, root, w, ids.slice(i * per, (i + 1) * per));
    into.push(...r.ms);
    out.rounds.push({ side: root ? 'without' : 'with', p50: median(r.ms) });
    out.errors += r.errors;
    log(
      `  approve ${root ? 'without statistics' : 'with statistics'}: p50 ${median(r.ms).toFixed(1)} ms, p95 ${quantile(r.ms, 0.95).toFixed(1)} ms, ${r.errors} errors`,
    );
  }
  return out;
}
