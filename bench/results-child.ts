import mongoose from 'mongoose';
import type { Principal } from '../server/platform/access';
import { trendQuarters } from '../server/rules/quarters';
import type { Level } from '../server/results/schema';
import { countedVisitsCursor, quarterResults } from '../server/results/service';

/**
 * One measurement in a fresh process (so peak RSS is this measurement's alone), started by
 * results-bench.ts from precompiled JavaScript. Modes:
 *   floor     — stream the very cursor the results read (same filter, projection, batch size), do nothing;
 *   aggregate — every figure of the quarter: branch, region, bank and staff scores, trend, spread, key
 *               problems, violations (names are not looked up: rows are keyed by code);
 *   full      — the same plus the branch- and staff-name look-ups (what level=branch/staff also does).
 * Prints one JSON line.
 */
const ADMIN: Principal = { id: '000000000000000000000000', email: 'bench@local', name: 'bench', role: 'admin' };

async function main(): Promise<void> {
  const [mode, uri, dbName, bankId, quarter] = process.argv.slice(2);
  mongoose.set('autoIndex', false);
  mongoose.set('strictQuery', true);
  await mongoose.connect(uri, { dbName });
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let visits = 0;
  let extra: Record<string, unknown> = {};
  if (mode === 'floor') {
    for await (const v of countedVisitsCursor(bankId, trendQuarters(quarter))) if (v) visits += 1;
  } else {
    const levels = new Set<Level>(mode === 'full' ? ['bank', 'region', 'branch', 'staff'] : ['bank', 'region']);
    const r = await quarterResults(ADMIN, { bankId, quarter }, levels);
    visits = r.trend.reduce((a, t) => a + t.n, 0);
    extra = {
      bankTotal: r.bank?.total,
      branches: r.branches.length,
      regions: r.regions.length,
      staff: r.staff.length,
      keyProblems: r.keyProblems.length,
      violations: r.violations.length,
    };
  }
  const ms = performance.now() - t0;
  const out = {
    mode,
    ms,
    visits,
    rssBeforeMB: rssBefore / 2 ** 20,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    ...extra,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  await mongoose.disconnect();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
