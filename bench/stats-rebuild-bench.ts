import { runBench, withLargeBankCopy, writeBenchSection } from './large-bank/copy';
import { measureRebuild, type RebuildTimes } from './large-bank/rebuild';
import { env, loadAvg, log, machine, median, WRITE_FILE } from './large-bank/settings';

/**
 * A full rebuild of one quarter's statistics (`stats rebuild`) against streaming that quarter's
 * visits, on a copy of the large bank (generated first if BENCH_DATA_DIR holds none): the first round
 * rebuilds from no records (the quarter's records removed beforehand, untimed), the others over the
 * records kept. Rounds alternate which of the two goes first. Writes its section of BENCHMARKS.md.
 *
 *   BENCH_DATA_DIR=/work/.benchdata npm run bench:stats-rebuild      # BENCH_REBUILD_ROUNDS (3), BENCH_REBUILD_FIRST (1)
 */
const HEADING = '## Rebuilding the statistics of a quarter';

async function dropQuarter(bankId: string, quarter: string): Promise<void> {
  const { StatsBank, StatsBranch, StatsBucket, StatsRegion } = await import('../server/stats/model');
  for (const m of [StatsBranch, StatsBucket, StatsRegion, StatsBank] as const)
    await (m as typeof StatsBranch).deleteMany({ bankId, quarter });
}

function section(rows: { mode: string; t: RebuildTimes }[], generated: RebuildTimes[], loads: string[]): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    HEADING,
    '',
    `\`npm run bench:stats-rebuild\` (bench/stats-rebuild-bench.ts), run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; embedded FerretDB 1.24; load average at the start ${loads[0]}, at the end ${loads[1]}.`,
    '',
    `The large bank (bench/large-bank; 25,000 branches, 103,000 visits in each of four quarters), on a copy of the kept data. "Streaming" is the very cursor the rebuild reads (the quarter's visits, same fields, batches of 1,000 taken whole), each visit merely counted; the rebuild (\`rebuild(bankId, quarter)\`, what \`stats rebuild BENCH ${rows[0]?.t.quarter ?? ''}\` runs) reads it, works out every visit's contribution and writes the branch, bucket, region and bank records. Same process, same database, one after the other, the order alternating per round. On the embedded FerretDB (1.24 with this project's patches) the quarter's filter is narrowed in SQL by a search of the stored text, so streaming one quarter searches all ${(4 * 103_000).toLocaleString('en')} visits and decodes the quarter's.`,
    '',
    '| round | records before | streaming | rebuild | rebuild / streaming | target ≤ 1.3× |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      ({ mode, t }, i) =>
        `| ${i + 1} | ${mode} | ${s(t.streamMs)} | ${s(t.rebuildMs)} | ${(t.rebuildMs / t.streamMs).toFixed(2)}× | ${t.rebuildMs / t.streamMs <= 1.3 ? 'met' : '**not met**'} |`,
    ),
    '',
  ];
  const fresh = rows.filter((r) => r.mode === 'none');
  if (fresh.length > 1)
    lines.push(
      `Median over the rebuilds from no records: ${median(fresh.map((r) => r.t.rebuildMs / r.t.streamMs)).toFixed(2)}×.`,
      '',
    );
  const over = rows.filter((r) => r.mode !== 'none');
  if (over.length)
    lines.push(
      `Median over the kept records: ${median(over.map((r) => r.t.rebuildMs / r.t.streamMs)).toFixed(2)}×.`,
      '',
    );
  if (generated.length)
    lines.push(
      `First builds while the data was generated (this code; no record of the quarter ever written, the earlier quarters' records already there): ${generated.map((g) => `${g.quarter} ${s(g.streamMs)} / ${s(g.rebuildMs)} = ${(g.rebuildMs / g.streamMs).toFixed(2)}×`).join('; ')}.`,
      '',
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const rounds = env('BENCH_REBUILD_ROUNDS', 3);
  if (rounds <= 0) return;
  await withLargeBankCopy(
    async ({ world }) => {
      const loads = [loadAvg()];
      const { bankId, quarter } = world;
      const rows: { mode: string; t: RebuildTimes }[] = [];
      // BENCH_REBUILD_FIRST rounds (1) rebuild from no records (dropped before each, untimed), the rest over kept ones.
      const first = Math.min(rounds, env('BENCH_REBUILD_FIRST', 1));
      for (let round = 0; round < rounds; round++) {
        const mode = round < first ? 'none' : 'kept, right';
        if (round < first) await dropQuarter(bankId, quarter);
        const [t] = await measureRebuild(bankId, [quarter], 1, round);
        rows.push({ mode, t });
      }
      loads.push(loadAvg());
      const text = section(rows, world.rebuild, loads);
      process.stdout.write(`\n${text}\n`);
      if (WRITE_FILE) writeBenchSection(text, HEADING);
      log('done');
    },
    { inProcess: {} },
  );
}

runBench(main);
