import mongoose from 'mongoose';
import { ensureLargeBank, configureFor } from './large-bank/store';
import { measureRebuild } from './large-bank/rebuild';
import { DB_NAME, env } from './large-bank/settings';

/**
 * Generates the large bank if it is not kept yet (BENCH_DATA_DIR), then measures a full rebuild of
 * each quarter's statistics against streaming that quarter's visits, BENCH_REBUILD_ROUNDS times on a
 * copy of the kept data.
 *
 *   BENCH_DATA_DIR=/work/.benchdata npm run bench:stats-rebuild
 */
async function main(): Promise<void> {
  const kept = await ensureLargeBank();
  const rounds = env('BENCH_REBUILD_ROUNDS', 2);
  if (rounds <= 0) return;
  const { startFaultDb } = await import('../test/helpers/faults');
  const db = await startFaultDb({ copyFrom: kept.dataDir });
  try {
    await configureFor(db.uri());
    await mongoose.connect(db.uri(), { dbName: DB_NAME });
    const rows = await measureRebuild(kept.world.bankId, kept.world.quarters, rounds);
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.dispose();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
