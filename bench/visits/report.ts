import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, ferretPid as ferretPidOf } from '../proc';
import type { Measured } from './load';
import {
  CLIENTS,
  log,
  MEASURE_S,
  PACED_RATE,
  PACED_S,
  PER_CLIENT,
  ROOT,
  RUNS,
  SOLO_S,
  TARGET,
  WARMUP_S,
  WRITE_FILE,
} from './settings';

/** Figures of a phase (throughput, latency percentiles, CPU per submission) and the BENCHMARKS.md section. */

// ---- CPU per submission

/** User + system CPU of a process so far, in milliseconds (Linux /proc; 0 elsewhere). */
export function cpuMs(pid: number | undefined): number {
  return (cpuSeconds(pid) || 0) * 1000;
}

/** The FerretDB process serving this port (a grandchild: the guard shell runs it). */
export const ferretPid = (port: number): number | undefined => ferretPidOf(`--listen-addr=127.0.0.1:${port}\0`);

export async function withCpu(
  serverPid: number | undefined,
  dbPid: number | undefined,
  run: () => Promise<Measured>,
): Promise<Figures> {
  const before = [cpuMs(serverPid), cpuMs(dbPid)];
  const m = await run();
  const n = Math.max(1, m.completed);
  return { ...figures(m), cpuServer: (cpuMs(serverPid) - before[0]) / n, cpuDb: (cpuMs(dbPid) - before[1]) / n };
}

// ---- figures

export const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface Figures {
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  n: number;
  errors: number;
  errorKinds: string;
  firstP50?: number;
  /** CPU milliseconds per submission (warm-up included) of the server process and of FerretDB. */
  cpuServer?: number;
  cpuDb?: number;
}

export function figures(m: Measured): Figures {
  const s = [...m.latencies].sort((a, b) => a - b);
  const f = [...m.firstStepMs].sort((a, b) => a - b);
  return {
    throughput: m.submissions / m.seconds,
    p50: pct(s, 50),
    p95: pct(s, 95),
    p99: pct(s, 99),
    n: m.submissions,
    errors: [...m.errors.values()].reduce((a, b) => a + b, 0),
    errorKinds: [...m.errors].map(([k, n]) => `${n}× ${k}`).join('; '),
    ...(f.length ? { firstP50: pct(f, 50) } : {}),
  };
}

export const fmt = (f: Figures) =>
  `${f.throughput.toFixed(1)}/s  p50 ${f.p50.toFixed(0)} ms  p95 ${f.p95.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  (n=${f.n}, errors ${f.errors}${f.errors ? `: ${f.errorKinds}` : ''})${f.cpuServer === undefined ? '' : `  CPU/subm. server ${f.cpuServer.toFixed(2)} ms, FerretDB ${(f.cpuDb ?? 0).toFixed(2)} ms`}`;

export function machine(): string {
  const cpu =
    fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return `${os.cpus().length} cores (nproc), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, CPU "${cpu}", Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  // Re-read right before writing: other sections of this file belong to other benchmarks.
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Visit submissions';
  const start = current.indexOf(heading);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${heading}\n\n${body.trim()}\n`;
  } else {
    const after = current.indexOf('\n## ', start + heading.length);
    next = `${current.slice(0, start)}${heading}\n\n${body.trim()}\n${after === -1 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  fs.writeFileSync(file, next);
}

export function report(
  {
    app,
    floor,
    soloApp,
    soloFloor,
    pacedApp,
    pacedFloor,
  }: Record<'app' | 'floor' | 'soloApp' | 'soloFloor' | 'pacedApp' | 'pacedFloor', Figures[]>,
  load: number,
  profiles: string[],
  answerCount: number,
): void {
  const m = (xs: Figures[], k: keyof Figures) => median(xs.map((x) => Number(x[k])));
  const ratios = app.map((a, i) => a.throughput / floor[i].throughput);
  const ratio = median(ratios);
  const appP95 = m(app, 'p95');
  const cpu = (xs: Figures[]) =>
    xs[0]?.cpuServer === undefined ? '–' : `${m(xs, 'cpuServer').toFixed(2)} + ${m(xs, 'cpuDb').toFixed(2)}`;
  const row = (name: string, xs: Figures[]) =>
    `| ${name} | ${m(xs, 'throughput').toFixed(1)} | ${m(xs, 'p50').toFixed(0)} | ${m(xs, 'p95').toFixed(0)} | ${m(xs, 'p99').toFixed(0)} | ${xs.map((x) => x.throughput.toFixed(1)).join(' / ')} | ${cpu(xs)} | ${xs.reduce((n, x) => n + x.errors, 0)} |`;
  const pacedP95 = m(pacedApp, 'p95');
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; 1-minute load average at the start ${load.toFixed(2)}.`,
    `Embedded FerretDB 1.24 (SQLite, as built by tools/ferretdb/build.sh) in a fresh temp folder; ${CLIENTS} concurrent keep-alive clients on loopback, each submitting back to back (closed loop); per run ${WARMUP_S} s warm-up + ${MEASURE_S} s measured per target, then the same ${CLIENTS} clients paced to ${PACED_RATE} submissions/s in all (${WARMUP_S} s + ${PACED_S} s), then ${SOLO_S} s with a single client; ${RUNS} runs, medians; app and floor in the same run, order alternating. Both servers run the TypeScript sources through a bare SWC hook (no source-map-support), as compiled JavaScript would run.`,
    `A submission: app = \`POST /api/v1/visits\` (${answerCount} answers to the demo questionnaire, staff, summary) + \`POST /api/v1/visits/:id/submit\`; floor = one \`POST\` to a bare Express + Mongoose endpoint inserting the same submitted visit document (another database on the same server).`,
    `The app's database holds ${CLIENTS * PER_CLIENT + Math.max(PER_CLIENT, 120 * (WARMUP_S + SOLO_S))} open assignments at the start of each run (${PER_CLIENT} per auditor, more for the lone client; BENCH_ASSIGNMENTS).`,
    '',
    '| target | submissions/s | p50 ms | p95 ms | p99 ms | per run (subm./s) | CPU ms per subm. (server + FerretDB) | errors |',
    '|---|---|---|---|---|---|---|---|',
    row(`app, ${CLIENTS} clients`, app),
    row(`floor, ${CLIENTS} clients`, floor),
    row(`app, ${CLIENTS} clients paced to ${PACED_RATE}/s`, pacedApp),
    row(`floor, ${CLIENTS} clients paced to ${PACED_RATE}/s`, pacedFloor),
    row('app, 1 client', soloApp),
    row('floor, 1 client', soloFloor),
    '',
    `App/floor throughput: **${ratio.toFixed(2)}** (per run ${ratios.map((r) => r.toFixed(2)).join(' / ')}); app p95 **${appP95.toFixed(0)} ms** with ${CLIENTS} clients back to back, **${pacedP95.toFixed(0)} ms** with ${CLIENTS} clients at ${PACED_RATE}/s. Target, both with ${CLIENTS} clients back to back: throughput ≥ ${TARGET.ratio} of the floor's **${ratio >= TARGET.ratio ? 'met' : 'missed'}**, p95 < ${TARGET.p95Ms} ms **${appP95 < TARGET.p95Ms ? 'met' : 'missed'}** (the floor's own p95: ${m(floor, 'p95').toFixed(0)} ms).`,
  ];
  if (profiles.length)
    lines.push('', 'App database time per command (last run):', '', ...profileTable(profiles[profiles.length - 1]));
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (WRITE_FILE) {
    // The analysis lives beside the benchmark, so a re-run refreshes the figures and keeps the explanation.
    const notesFile = path.join(ROOT, 'bench', 'visits-bench.notes.md');
    const notes = fs.existsSync(notesFile) ? `\n\n${fs.readFileSync(notesFile, 'utf8').trim()}` : '';
    writeSection(`Command: \`npm run bench:visits\` (bench/visits-bench.ts).\n\n${text}${notes}`);
    log('BENCHMARKS.md: section "Visit submissions" written');
  }
}

export function profileTable(json: string): string[] {
  const rows = (JSON.parse(json) as [string, { n: number; ms: number }][])
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 12);
  return [
    '| command | count | total ms | mean ms |',
    '|---|---|---|---|',
    ...rows.map(([k, s]) => `| ${k} | ${s.n} | ${s.ms.toFixed(0)} | ${(s.ms / s.n).toFixed(1)} |`),
  ];
}
