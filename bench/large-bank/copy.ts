import fs from 'node:fs';
import path from 'node:path';
import mongoose from 'mongoose';
import type { FaultDb } from '../../test/helpers/faults';
import { relayoutStats } from './relayout';
import { DB_NAME, loadAvg, log, ROOT } from './settings';
import { configureFor, ensureLargeBank, type KeptBank } from './store';

/**
 * What every benchmark on the large bank starts and ends with, written once: the kept bank (generated
 * first when BENCH_DATA_DIR holds none), a FerretDB on a fresh COPY of its data folder (what the run
 * writes never reaches the next one), the kept statistics rewritten in the present layout
 * (relayout.ts), and — whatever happens, a failed re-layout included — this process disconnected and
 * the copy stopped and deleted.
 */
export interface LargeBankCopy {
  kept: KeptBank;
  world: KeptBank['world'];
  db: FaultDb;
  uri: string;
  /** The load average (1 / 5 / 15 min) when the copy began, before its own disk work. */
  loadAtStart: string;
}

export interface CopyOptions {
  /**
   * Also configure the app's code in this process for the copy (configureFor, with these extra
   * settings) and connect Mongoose to it, for benchmarks that call services in-process.
   */
  inProcess?: Record<string, string>;
}

export async function withLargeBankCopy<T>(
  run: (copy: LargeBankCopy) => Promise<T>,
  options: CopyOptions = {},
): Promise<T> {
  const kept = await ensureLargeBank();
  const { startFaultDb } = await import('../../test/helpers/faults');
  const loadAtStart = loadAvg();
  const t0 = Date.now();
  const db = await startFaultDb({ copyFrom: kept.dataDir });
  const copy: LargeBankCopy = { kept, world: kept.world, db, uri: db.uri(), loadAtStart };
  try {
    await relayoutStats(copy.uri);
    log(`a copy of the kept data started in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (options.inProcess) {
      await configureFor(copy.uri, options.inProcess);
      await mongoose.connect(copy.uri, { dbName: DB_NAME });
    }
    return await run(copy);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.dispose();
  }
}

/**
 * Writes a benchmark's section into BENCHMARKS.md: in place of the section under the same heading
 * (up to the next heading of the same or a higher level), or, the first time, where `insertAt` says
 * (an offset in the file; -1 or nothing: at the end).
 */
export function writeBenchSection(text: string, heading: string, insertAt?: (doc: string) => number): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const body = text.trimEnd();
  const start = doc.indexOf(heading);
  if (start < 0) {
    const at = insertAt?.(doc) ?? -1;
    fs.writeFileSync(
      file,
      at < 0
        ? `${doc.trimEnd()}\n\n${body}\n`
        : `${doc.slice(0, at).trimEnd()}\n\n${body}\n\n${doc.slice(at).trimStart()}`,
    );
    return;
  }
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const after = doc.slice(start + heading.length).search(new RegExp(`\\n#{1,${level}} `));
  const rest = after < 0 ? '' : doc.slice(start + heading.length + after + 1);
  fs.writeFileSync(file, `${doc.slice(0, start)}${body}\n${rest ? `\n${rest}` : ''}`);
}

/** Where a new section goes: just before the first line starting with `heading` (-1: not there). */
export const before = (heading: string) => (doc: string) => {
  const at = doc.indexOf(`\n${heading}`);
  return at < 0 ? -1 : at + 1;
};

/** Runs a benchmark's main(): exit 0 when done, the stack and exit 1 when it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
