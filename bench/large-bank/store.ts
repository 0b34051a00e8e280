import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import { freePort, startEmbeddedDb } from '../../server/platform/db/embedded';
import { generateLargeBank, type LargeBank } from './generate';
import { measureRebuild, type RebuildTimes } from './rebuild';
import { BRANCHES, DATA_ROOT, DB_NAME, log, ROOT, VISITS } from './settings';

/**
 * The large bank, generated once and kept in BENCH_DATA_DIR (a stopped FerretDB's data folder plus
 * world.json describing it). The statistics are built by the app's own `rebuild`, measured against
 * streaming the same quarter's visits. Benchmarks start a FerretDB on a COPY of the folder
 * (test/helpers/faults.ts startFaultDb({copyFrom})), so what they write never reaches the next run.
 */
export interface KeptBank {
  world: LargeBank & { rebuild: RebuildTimes[] };
  /** The data folder to copy (holds ferretdb/). */
  dataDir: string;
}

export const keptDir = () => path.join(DATA_ROOT, `large-bank-${BRANCHES}x${VISITS}`);

/** Configures the app's code in this process for a database (the generator and in-process measurements). */
export async function configureFor(uri: string, extra: Record<string, string> = {}): Promise<void> {
  const { loadConfig, setConfig } = await import('../../server/platform/config');
  setConfig(
    loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      MONGODB_URI: uri,
      DB_NAME,
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_LOG_N: '12',
      ...extra,
    }),
  );
  await import('../../server/models');
}

export async function ensureLargeBank(): Promise<KeptBank> {
  const dir = keptDir();
  const worldFile = path.join(dir, 'world.json');
  if (fs.existsSync(worldFile)) {
    log(`the large bank is kept in ${dir}`);
    return {
      world: JSON.parse(fs.readFileSync(worldFile, 'utf8')) as KeptBank['world'],
      dataDir: path.join(dir, 'data'),
    };
  }
  const partial = path.join(dir, 'data.partial');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const port = await freePort();
  const db = await startEmbeddedDb({
    binary: path.join(ROOT, '.tools', 'bin', 'ferretdb'),
    dataDir: partial,
    port,
    dbName: DB_NAME,
  });
  try {
    await configureFor(db.uri);
    await mongoose.connect(db.uri, { dbName: DB_NAME });
    const { ensureIndexes } = await import('../../server/platform/db/connection');
    await ensureIndexes();
    log(`generating the large bank: ${BRANCHES} branches, ${VISITS} counted visits in each of four quarters`);
    const bank = await generateLargeBank();
    log(`generated in ${bank.generatedSeconds.toFixed(0)} s; building the statistics with the app's rebuild`);
    const rebuild = await measureRebuild(bank.bankId, bank.quarters, 1);
    const world = { ...bank, rebuild };
    await mongoose.disconnect();
    await db.stop();
    fs.renameSync(partial, path.join(dir, 'data'));
    fs.writeFileSync(worldFile, JSON.stringify(world, null, 2));
    return { world, dataDir: path.join(dir, 'data') };
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.stop();
  }
}
