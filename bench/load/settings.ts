import path from 'node:path';
import type * as faultHelpers from '../../test/helpers/faults';

/** The load test's settings (environment variables) and small shared helpers. */
export const ROOT = path.resolve(__dirname, '../..');
const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
export const SECONDS = Math.min(1800, Math.max(10, num('LOAD_SECONDS', 180)));
export const AUDITORS = num('LOAD_AUDITORS', 4);
export const MANAGERS = num('LOAD_MANAGERS', 2);
export const REVIEWERS = num('LOAD_REVIEWERS', 1);
/** Requests per second per auditor connection (a phone does not submit back to back); 0: unthrottled. */
export const AUDITOR_RATE = num('LOAD_AUDITOR_RATE', 1);
export const SAMPLE_MS = num('LOAD_SAMPLE_MS', 2000);
export const LOAD_USERS = 12; // auditor accounts the auditor connections act as
export const WRITE_FILE = process.env.BENCH_WRITE !== '0';
export const DB_NAME = 'load';
/** The demo seed's password of every demo user. */
export const PASSWORD = 'Demo-pass-2026';

export const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export function quarterLabel(d: Date, offset = 0): string {
  const cn = new Date(d.getTime() + 8 * 3600_000);
  const q = cn.getUTCFullYear() * 4 + Math.floor(cn.getUTCMonth() / 3) + offset;
  return `${Math.floor(q / 4)}-Q${(q % 4) + 1}`;
}

export type Call = typeof faultHelpers.call;
