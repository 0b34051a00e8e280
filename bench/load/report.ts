import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import type { Group } from './mix';
import type { Sample } from './sampler';
import type { LoadWorld } from './seed';
import { AUDITOR_RATE, AUDITORS, LOAD_USERS, MANAGERS, REVIEWERS, ROOT, SAMPLE_MS } from './settings';
import { kinds, pct } from './stats';

/** The write-up: the section "Load" of BENCHMARKS.md. */
export function ms(v: number): string {
  return Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–';
}
const mib = (kb?: number) => (kb === undefined || !Number.isFinite(kb) ? '–' : (kb / 1024).toFixed(0));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Growth of the app's memory from the first to the last third: what "does not grow without bound" rests on. */
function memoryReading(thirds: Sample[][]): string {
  const [first, , last] = thirds.map((t) =>
    mean(t.map((s) => s.app).filter((x): x is number => typeof x === 'number')),
  );
  const growth = ((last - first) / first) * 100;
  return growth <= 10
    ? ` The app's memory does not grow with the traffic: its last third averages ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % against the first (garbage collection moves it up and down by tens of MiB).`
    : ` The app's memory grew by ${growth.toFixed(1)} % from the first to the last third: look for a leak or a cache without a bound.`;
}

export interface RenderInput {
  machine: string;
  load: number;
  elapsed: number;
  groups: Group[];
  samples: Sample[];
  after: string;
  world: LoadWorld;
  exhausted: number;
  solo: Map<string, number>;
}

export function render(r: RenderInput): string {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const rows = [...kinds.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, k]) => {
      const sorted = [...k.times].sort((a, b) => a - b);
      const non2xx =
        [...k.statuses.entries()]
          .filter(([s]) => s < 200 || s >= 300)
          .map(([s, c]) => `${s}: ${c}`)
          .join(', ') || '–';
      return `| ${name} | ${k.times.length} | ${(k.times.length / r.elapsed).toFixed(2)} | ${ms(r.solo.get(name) ?? NaN)} | ${ms(pct(sorted, 50))} | ${ms(pct(sorted, 95))} | ${ms(pct(sorted, 99))} | ${non2xx} |`;
    });
  const total = [...kinds.values()].reduce((s, k) => s + k.times.length, 0);
  const non2xxAll = [...kinds.values()].reduce(
    (s, k) => s + [...k.statuses.entries()].filter(([st]) => st < 200 || st >= 300).reduce((x, [, c]) => x + c, 0),
    0,
  );
  const groupRows = r.groups.map((g) => {
    const res = g.result as autocannon.Result;
    return `| ${g.name} | ${g.connections} | ${res.requests.total} | ${res.requests.average.toFixed(2)} | ${res.latency.p50} | ${res.latency.p99} | ${res.non2xx} | ${res.errors} | ${res.timeouts} |`;
  });
  const thirds = [0, 1, 2].map((i) =>
    r.samples.filter((s) => s.t > 0 && s.t >= (i * r.elapsed) / 3 && s.t <= ((i + 1) * r.elapsed) / 3),
  );
  const memRows = (['app', 'db'] as const).map((key) => {
    const [a, b, c] = thirds.map((t) => {
      const v = t.map((s) => s[key]).filter((x): x is number => typeof x === 'number');
      return { mean: mean(v), max: Math.max(...v) };
    });
    const growth = ((c.mean - a.mean) / a.mean) * 100;
    return `| ${key === 'app' ? 'app (node)' : 'FerretDB'} | ${mib(r.samples[0]?.[key])} | ${mib(a.mean)} / ${mib(a.max)} | ${mib(b.mean)} / ${mib(b.max)} | ${mib(c.mean)} / ${mib(c.max)} | ${mib(r.samples[r.samples.length - 1]?.[key])} | ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % |`;
  });
  const busy = r.samples.filter((s) => s.appCpu !== undefined);
  const cpu = `app ${mean(busy.map((s) => s.appCpu as number)).toFixed(0)} %, FerretDB ${mean(busy.map((s) => s.dbCpu ?? 0)).toFixed(0)} % of one core on average; machine load average ${mean(r.samples.map((s) => s.load)).toFixed(1)} on ${os.cpus().length} cores`;
  const trace = r.samples
    .filter((_, i) => i % Math.max(1, Math.round(r.samples.length / 12)) === 0 || i === r.samples.length - 1)
    .map((s) => `${s.t.toFixed(0)} s: ${mib(s.app)}`)
    .join(' · ');
  return [
    `Measured ${date} UTC on ${r.machine}; load average ${r.load.toFixed(2)} at the start — the machine is shared with other work,`,
    'so the figures are pessimistic; the "alone" column (each request on its own, just before the mix) shows what the machine gave',
    'without contention. Loopback only; the app as `…/server/main.js` in its own process with NODE_ENV=production and its background',
    `workers, on a fresh embedded FerretDB 1.24 (SQLite) loaded with the demo seed (${r.world.visitsBefore} visits, two banks, 46 branches)`,
    `plus ${r.world.pool.length} open assignments for ${LOAD_USERS} auditor accounts; JNCB ${r.world.prevQuarter} was closed beforehand for the report PDFs.`,
    '',
    `Mix, all at once for ${r.elapsed.toFixed(0)} s (\`npm run bench:load\`; \`LOAD_SECONDS\`, \`LOAD_AUDITORS\`, \`LOAD_MANAGERS\`, \`LOAD_REVIEWERS\`, \`LOAD_AUDITOR_RATE\`):`,
    `- auditors: ${plural(AUDITORS, 'connection')}, ${AUDITOR_RATE ? `at most ${plural(AUDITOR_RATE, 'request')}/s each` : 'back to back'}: start a visit (full answer set, Idempotency-Key), submit it;`,
    `- bank managers: ${plural(MANAGERS, 'connection')} back to back, as the whole-bank, region and branch manager in turn: \`GET /api/v1/results\` (${r.world.quarter}, bank/region/branch level), the \`/results\` dashboard page (session cookie), a PDF of their cut of the report;`,
    `- reviewers: ${plural(REVIEWERS, 'connection')} back to back: \`GET /api/v1/review/queue\`, then approve three visits from its oldest twenty.`,
    '',
    `Total: ${total} requests answered, ${(total / r.elapsed).toFixed(1)} requests/s; non-2xx: ${non2xxAll}. End state: ${r.after}.${r.exhausted ? ` The auditors ran out of open assignments ${r.exhausted} times.` : ''}`,
    `CPU during the mix: ${cpu}.${reading(r)}`,
    '',
    '| request | count | per s | alone p50 ms | p50 ms | p95 ms | p99 ms | non-2xx by status |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Per group, as autocannon counts (latency in ms; autocannon reports p97.5/p99, not p95; a timeout is 30 s without an answer):',
    '',
    '| group | connections | requests | req/s | p50 | p99 | non-2xx | errors | timeouts |',
    '|---|---|---|---|---|---|---|---|---|',
    ...groupRows,
    '',
    `Resident memory (MiB), sampled every ${SAMPLE_MS / 1000} s; mean / max per third of the run:`,
    '',
    '| process | at start | first third | middle third | last third | at the end | last vs first third (mean) |',
    '|---|---|---|---|---|---|---|',
    ...memRows,
    '',
    `App RSS over time (MiB): ${trace}.${memoryReading(thirds)}`,
  ].join('\n');
}

/** Where the time went, from the CPU samples and the alone/mix ratio, in one sentence. */
function reading(r: RenderInput): string {
  const busy = r.samples.filter((s) => s.appCpu !== undefined);
  const app = mean(busy.map((s) => s.appCpu as number));
  const dbCpu = mean(busy.map((s) => s.dbCpu ?? 0));
  const ratios = [...kinds.entries()]
    .map(
      ([k, v]) =>
        pct(
          [...v.times].sort((a, b) => a - b),
          50,
        ) / (r.solo.get(k) ?? NaN),
    )
    .filter(Number.isFinite);
  const slow = ratios.length ? `${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}×` : '';
  if (dbCpu > app * 2)
    return ` The app process mostly waited: the requests queue on FerretDB, which did most of the work; under the mix the medians are ${slow} the alone times.`;
  return ` Under the mix the medians are ${slow} the alone times.`;
}

/** Replaces only this section; every other section of BENCHMARKS.md is kept as it is. */
export function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  // Re-read right before writing: the other sections belong to other benchmarks.
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Load';
  const startAt = current.search(/^## Load\s*$/m);
  let next: string;
  if (startAt === -1) {
    next = `${current.trimEnd()}\n\n${heading}\n\n${body.trim()}\n`;
  } else {
    const after = current.indexOf('\n## ', startAt + heading.length);
    next = `${current.slice(0, startAt)}${heading}\n\n${body.trim()}\n${after === -1 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  fs.writeFileSync(file, next);
}
