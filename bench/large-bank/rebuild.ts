import os from 'node:os';
import { log } from './settings';

/**
 * A full rebuild of one quarter's statistics (the app's `stats rebuild`) against streaming that
 * quarter's visits: the very cursor the rebuild reads (same filter, same fields, same batch size),
 * each visit merely counted. Same process, same database, alternating order per round.
 */
export interface RebuildTimes {
  quarter: string;
  round: number;
  streamMs: number;
  rebuildMs: number;
  visits: number;
  branches: number;
  load: number;
}

async function stream(bankId: string, quarter: string): Promise<{ ms: number; visits: number }> {
  const { visitBatchesForStats } = await import('../../server/visits/service');
  const t0 = performance.now();
  let visits = 0;
  for await (const batch of visitBatchesForStats(bankId, quarter)) for (const v of batch) if (v) visits += 1;
  return { ms: performance.now() - t0, visits };
}

async function rebuildOnce(bankId: string, quarter: string): Promise<{ ms: number; branches: number }> {
  const { rebuild } = await import('../../server/stats/service');
  const t0 = performance.now();
  const r = await rebuild(bankId, quarter);
  return { ms: performance.now() - t0, branches: r.branches };
}

export async function measureRebuild(
  bankId: string,
  quarters: readonly string[],
  rounds: number,
  firstRound = 0,
): Promise<RebuildTimes[]> {
  const out: RebuildTimes[] = [];
  for (let round = firstRound; round < firstRound + rounds; round++) {
    for (const quarter of quarters) {
      const streamFirst = (round + quarters.indexOf(quarter)) % 2 === 0;
      const s1 = streamFirst ? await stream(bankId, quarter) : undefined;
      const rb = await rebuildOnce(bankId, quarter);
      const s = s1 ?? (await stream(bankId, quarter));
      const row = {
        quarter,
        round,
        streamMs: s.ms,
        rebuildMs: rb.ms,
        visits: s.visits,
        branches: rb.branches,
        load: os.loadavg()[0],
      };
      out.push(row);
      log(
        `  ${quarter} round ${round + 1}: stream ${(s.ms / 1000).toFixed(1)} s, rebuild ${(rb.ms / 1000).toFixed(1)} s (${(rb.ms / s.ms).toFixed(2)}×), ${s.visits} visits, ${rb.branches} branches`,
      );
    }
  }
  return out;
}
