import os from 'node:os';
import path from 'node:path';
import { trendQuarters } from '../../server/rules/quarters';

/** Sizes and places of the large bank every benchmark uses (environment variables). */
export const ROOT = path.resolve(__dirname, '../..');
export const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
export const BRANCHES = env('BENCH_BRANCHES', 25_000);
/** Counted visits in EACH of the four quarters. */
export const VISITS = env('BENCH_VISITS', 100_000);
export const REGIONS = 50;
export const STAFF_PER_BRANCH = 2;
/** Visits that are not counted (draft, submitted, returned), per counted one: the filters have work to do. */
export const UNCOUNTED_SHARE = 0.03;
/** The quarter the benchmarks read and close; the data covers its whole four-quarter trend. */
export const QUARTER = '2026-Q2';
export const QUARTERS = trendQuarters(QUARTER);
export const BATCH = 1000;
export const DB_NAME = 'bench';
export const PASSWORD = 'Bench-pass-2026';
/** Kept between runs (generating 400,000 visits takes minutes); never inside the repository. */
export const DATA_ROOT = process.env.BENCH_DATA_DIR ?? path.join(os.tmpdir(), 'msa-bench-data');
export const WRITE_FILE = process.env.BENCH_WRITE !== '0';

export const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The value at quantile q (0..1) of a sample, nearest rank. */
export const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

export function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

export const loadAvg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
