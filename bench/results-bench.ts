import { rng } from '../seed/rng';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from '@swc/core';
import mongoose, { Types } from 'mongoose';
import { freePort, startEmbeddedDb } from '../server/platform/db/embedded';
import { ensureIndexes } from '../server/platform/db/connection';
import { shiftQuarter } from '../server/rules/quarters';
import { scoreVisit, type Answer, type AnswerValue, type ScoringSection } from '../server/rules/scoring';
import { Bank, Branch, Staff } from '../server/banks/model';
import { QuestionnaireVersion } from '../server/questionnaires/model';
import { Visit } from '../server/visits/model';

/**
 * Quarterly results benchmark (issue 4): a generated bank on a fresh embedded FerretDB, then the full
 * quarter aggregation against the floor (merely streaming the same visits out of the database), in
 * alternating fresh processes, medians of BENCH_RUNS runs. Writes its section of BENCHMARKS.md.
 *
 *   npm run bench:results                      # 25,000 branches, 100,000 visits per quarter, 3 runs
 *   BENCH_VISITS=20000 BENCH_BRANCHES=5000 BENCH_RUNS=3 npm run bench:results
 *   BENCH_DATA_DIR=/tmp/keep npm run bench:results   # keep the generated database and reuse it next time
 *
 * Modes measured: `floor` and `aggregate` (all figures of the quarter) BENCH_RUNS times each,
 * alternating; `full` (the same plus the branch- and staff-name look-ups) BENCH_FULL_RUNS times.
 */
const ROOT = path.resolve(__dirname, '..');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const BRANCHES = env('BENCH_BRANCHES', 25_000);
const VISITS = env('BENCH_VISITS', 100_000);
const RUNS = env('BENCH_RUNS', 3);
const FULL_RUNS = env('BENCH_FULL_RUNS', 1);
const DATA_DIR = process.env.BENCH_DATA_DIR;
const REGIONS = 50;
const STAFF_PER_BRANCH = 2;
/** Visits that are not counted (draft, submitted, returned), per counted one: the filter has work to do. */
const UNCOUNTED_SHARE = 0.03;
const QUARTER = '2026-Q2';
const BATCH = 1000;
const WRITE_FILE = process.env.BENCH_WRITE !== '0';

const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** 16 items, 4 per dimension, two critical, some scale, some allowing N/A: a typical bank questionnaire. */
const yn = (key: string, extra: Partial<ScoringSection['items'][number]> = {}) => ({
  key,
  type: 'yes_no' as const,
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  ...extra,
});
const sc = (key: string) => ({ ...yn(key), type: 'scale' as const });
const SECTIONS: ScoringSection[] = [
  {
    key: 'greeting',
    weight: 25,
    items: [yn('gr_30s'), yn('gr_eye'), sc('gr_wait'), yn('gr_ticket', { allowNA: true })],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [yn('pk_features'), sc('pk_fees'), yn('pk_term', { weight: 2 }), yn('pk_compare', { allowNA: true })],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      yn('sc_risk', { critical: true }),
      yn('sc_suit', { critical: true }),
      yn('sc_noguarantee'),
      yn('sc_record', { allowNA: true }),
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [yn('fu_contact'), yn('fu_call', { allowNA: true }), sc('fu_after'), yn('fu_card', { allowNA: true })],
  },
];
const ITEMS = SECTIONS.flatMap((s) => s.items);

function answersFor(r: () => number, quality: number): Answer[] {
  return ITEMS.map((i) => {
    let value: AnswerValue;
    if (i.allowNA && r() < 0.1) value = 'na';
    else if (i.type === 'scale')
      value = Math.max(1, Math.min(5, Math.round(1 + 4 * (quality + (r() - 0.5) * 0.5)))) as AnswerValue;
    else value = r() < (i.critical ? 1 - (1 - quality) / 4 : quality) ? 'yes' : 'no';
    return { itemKey: i.key, value };
  });
}

function midQuarter(quarter: string, r: () => number): Date {
  const [y, q] = quarter.split('-Q').map(Number);
  return new Date(Date.UTC(y, (q - 1) * 3, 5 + Math.floor(r() * 80), 1 + Math.floor(r() * 9)));
}

interface Ctx {
  bankId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  auditorId: Types.ObjectId;
  branches: { code: string; region: string; quality: number }[];
}

async function generate(): Promise<Ctx> {
  const r = rng(20260401);
  const bankId = new Types.ObjectId();
  const auditorId = new Types.ObjectId();
  const questionnaireId = new Types.ObjectId();
  await Bank.collection.insertOne({
    _id: bankId,
    code: 'BENCH',
    name: '基准测试银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    reportRecipients: [],
  });
  await QuestionnaireVersion.collection.insertOne({
    questionnaireId,
    bankId,
    version: 1,
    name: '标准问卷',
    sections: SECTIONS.map((s) => ({
      ...s,
      items: s.items.map((i) => ({ ...i, text: { zh: `题目 ${i.key}`, en: `Item ${i.key}` } })),
    })),
  });
  const branches = Array.from({ length: BRANCHES }, (_, i) => ({
    code: `BR${String(i).padStart(6, '0')}`,
    region: `区域${String(i % REGIONS).padStart(2, '0')}`,
    quality: 0.55 + 0.43 * r(),
  }));
  const t0 = Date.now();
  for (let i = 0; i < branches.length; i += BATCH) {
    const part = branches.slice(i, i + BATCH);
    await Branch.collection.insertMany(
      part.map((b) => ({ bankId, code: b.code, name: `${b.region}第${b.code}支行`, region: b.region, active: true })),
      { ordered: false },
    );
    await Staff.collection.insertMany(
      part.flatMap((b) =>
        Array.from({ length: STAFF_PER_BRANCH }, (_, k) => ({
          bankId,
          employeeId: `${b.code}-${k}`,
          name: `员工${b.code}-${k}`,
          branchCode: b.code,
          region: b.region,
          active: true,
        })),
      ),
      { ordered: false },
    );
  }
  log(`  ${BRANCHES} branches and ${BRANCHES * STAFF_PER_BRANCH} staff in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const ctx = { bankId, questionnaireId, auditorId, branches };
  for (const quarter of [shiftQuarter(QUARTER, -1), QUARTER]) await generateQuarter(ctx, quarter, r);
  return ctx;
}

/** A visit document as the visit service stores it: comments, staff, history and all. */
function visitDoc(ctx: Ctx, quarter: string, status: string, r: () => number) {
  const b = ctx.branches[Math.floor(r() * ctx.branches.length)];
  const answers = answersFor(r, b.quality);
  const scored = scoreVisit(SECTIONS, answers);
  const staffIds = Array.from({ length: Math.floor(r() * 3) }, () => `${b.code}-${Math.floor(r() * STAFF_PER_BRANCH)}`);
  const id = new Types.ObjectId();
  const at = midQuarter(quarter, r);
  return {
    _id: id,
    assignmentId: new Types.ObjectId(),
    bankId: ctx.bankId,
    branchCode: b.code,
    region: b.region,
    auditorId: ctx.auditorId,
    questionnaireId: ctx.questionnaireId,
    questionnaireVersion: 1,
    quarter,
    visitedAt: at,
    durationMinutes: 20 + Math.floor(r() * 30),
    staff: staffIds.map((employeeId) => ({ employeeId, description: '柜台工作人员，女，戴眼镜' })),
    staffIds,
    answers: answers.map((a) =>
      r() < 0.3 ? { ...a, comment: '等候约五分钟后才有人接待，未主动介绍产品风险等级。' } : a,
    ),
    summary: '客户经理态度良好，但产品费用说明不完整，未提及提前赎回费用。整体流程规范，双录完整。',
    status,
    scores: { sections: scored.sections, total: scored.total },
    violations: scored.violations,
    flags: [],
    attachments: [],
    history: ['created', 'submitted', 'approved'].map((action) => ({
      at,
      by: ctx.auditorId,
      role: action === 'approved' ? 'reviewer' : 'auditor',
      action,
      changes: [{ field: 'status', before: null, after: action }],
    })),
    submittedAt: at,
    firstSubmittedAt: at,
    approvedAt: at,
    rev: 3,
    idempotencyKey: `auto:${String(id)}`,
    createdAt: at,
    updatedAt: at,
  };
}

async function generateQuarter(ctx: Ctx, quarter: string, r: () => number): Promise<void> {
  const visits = Visit.collection;
  const uncounted = Math.round(VISITS * UNCOUNTED_SHARE);
  const total = VISITS + uncounted;
  const t0 = Date.now();
  for (let i = 0; i < total; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, total - i) }, (_, k) => {
      const n = i + k;
      const status = n < VISITS ? (r() < 0.01 ? 'disputed' : 'approved') : ['draft', 'submitted', 'returned'][n % 3];
      return visitDoc(ctx, quarter, status, r);
    });
    await visits.insertMany(docs, { ordered: false });
    if ((i / BATCH) % 20 === 19)
      log(`  ${quarter}: ${i + docs.length}/${total} visits (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  log(`  ${quarter}: ${VISITS} counted + ${uncounted} other visits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// ---- measuring in fresh processes ----

/**
 * The child runs from plain JavaScript, so the TypeScript compiler is not part of its memory. A file
 * that does not compile (someone's work in progress) is skipped: the child needs only the results code.
 */
function compileForChildren(outDir: string): string {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') ? [p] : [];
    });
  for (const file of [...walk(path.join(ROOT, 'server')), path.join(ROOT, 'bench', 'results-child.ts')]) {
    const rel = path.relative(ROOT, file).replace(/\.ts$/, '.js');
    let out: { code: string };
    try {
      out = transformSync(fs.readFileSync(file, 'utf8'), {
        filename: file,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
    } catch {
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), out.code);
  }
  return path.join(outDir, 'bench', 'results-child.js');
}

type Mode = 'floor' | 'aggregate' | 'full';

interface Measurement {
  mode: string;
  ms: number;
  visits: number;
  rssBeforeMB: number;
  peakRssMB: number;
  [k: string]: unknown;
}

function measure(childJs: string, mode: string, uri: string, dbName: string, bankId: string): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, mode, uri, dbName, bankId, QUARTER], {
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() as string) as Measurement)
        : reject(new Error(`${mode} exited ${code}`)),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- report ----

function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${gib} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function ferretVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'])
      .toString()
      .split('\n')[0]
      .replace(/^version:\s*/, '')
      .trim();
  } catch {
    return 'unknown';
  }
}

function section(rows: Record<Mode, Measurement[]>, gen: { seconds: number | null; ferret: string }): string {
  const med = (ms: Measurement[]) => ({ ms: median(ms.map((m) => m.ms)), rss: median(ms.map((m) => m.peakRssMB)) });
  const f = med(rows.floor);
  const a = med(rows.aggregate);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const each = (ms: Measurement[]) => ms.map((m) => `${s(m.ms)} s / ${m.peakRssMB.toFixed(0)} MB`).join('; ');
  const last = rows.aggregate[rows.aggregate.length - 1];
  const full = BRANCHES === 25_000 && VISITS === 100_000;
  const lines = [
    '## Quarterly results aggregation (`npm run bench:results`, bench/results-bench.ts)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; embedded FerretDB ${gen.ferret} (SQLite backend), ${DATA_DIR ? 'data folder BENCH_DATA_DIR' : 'fresh temporary data folder'}. ` +
      `Load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (the machine is shared; absolute times vary with it, compare within a run).`,
    '',
    `Data: one bank, ${BRANCHES.toLocaleString('en')} branches in ${REGIONS} regions, ${(BRANCHES * STAFF_PER_BRANCH).toLocaleString('en')} staff, ` +
      `${VISITS.toLocaleString('en')} counted (approved/disputed) visits in ${QUARTER} and as many in ${shiftQuarter(QUARTER, -1)}, ` +
      `plus ${Math.round(VISITS * UNCOUNTED_SHARE).toLocaleString('en')} uncounted visits per quarter; 16 answers per visit, comments, staff and history as stored. ` +
      (gen.seconds === null
        ? 'Data reused from an earlier generation by this script (BENCH_DATA_DIR).'
        : `Generation (insertMany in batches of ${BATCH}) took ${gen.seconds.toFixed(0)} s.`) +
      (full ? '' : ' **Reduced size**: the full 25,000 / 100,000 was not run for these figures.'),
    '',
    `Medians of ${RUNS} runs; every run is a fresh Node process (peak RSS = that process's maxRSS, Node and Mongoose included), floor and aggregation alternating.`,
    '',
    '| measurement | time | peak RSS |',
    '|---|---|---|',
    `| floor: stream the same cursor (same filter, projection, batch size), do nothing | ${s(f.ms)} s | ${f.rss.toFixed(0)} MB |`,
    `| aggregation: every figure of the quarter (branches, regions, bank, staff, 4-quarter trend, spread, key problems, violations) | ${s(a.ms)} s | ${a.rss.toFixed(0)} MB |`,
    `| ratio aggregation / floor | ${(a.ms / f.ms).toFixed(2)}× | |`,
  ];
  if (rows.full.length) {
    const x = med(rows.full);
    lines.push(
      `| full report: the aggregation plus branch- and staff-name look-ups (${rows.full.length} run${rows.full.length > 1 ? 's' : ''}) | ${s(x.ms)} s (${(x.ms / f.ms).toFixed(2)}×) | ${x.rss.toFixed(0)} MB |`,
    );
  }
  lines.push(
    '',
    `Runs — floor: ${each(rows.floor)}. Aggregation: ${each(rows.aggregate)}.${rows.full.length ? ` Full: ${each(rows.full)}.` : ''}`,
    `Result check (last aggregation): ${last.visits} counted visits in the trend window, ${String(last.branches)} branch rows, ${String(last.regions)} regions, ${String(last.staff)} staff, ` +
      `${String(last.keyProblems)} key problems, ${String(last.violations)} violations, bank total ${typeof last.bankTotal === 'number' ? last.bankTotal.toFixed(2) : '–'}.`,
    '',
    `Target: within 1.5× of the floor — ${a.ms <= 1.5 * f.ms ? 'met' : 'NOT met'}; peak RSS under 300 MB — ${a.rss < 300 ? 'met' : 'NOT met'}.`,
    '',
  );
  return lines.join('\n');
}

const HEADING = '## Quarterly results aggregation';

/** Replaces only this benchmark's section; other sections of BENCHMARKS.md are kept as they are. */
function writeSection(text: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = old.indexOf(HEADING);
  if (start < 0) {
    fs.writeFileSync(file, `${old.trimEnd()}\n\n${text}`);
    return;
  }
  const next = old.indexOf('\n## ', start + HEADING.length);
  // The next section keeps its blank line before its heading.
  fs.writeFileSync(file, old.slice(0, start) + text.trimEnd() + (next < 0 ? '\n' : `\n\n${old.slice(next + 1)}`));
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-results-bench-'));
  const dataDir = DATA_DIR ?? tmp;
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const port = await freePort();
  const db = await startEmbeddedDb({ binary, dataDir, port, dbName: 'bench' });
  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    log(`FerretDB on port ${port}, data in ${dataDir}`);
    await mongoose.connect(uri, { dbName: 'bench' });
    const existing = DATA_DIR ? await Bank.findOne({ code: 'BENCH' }, { _id: 1 }).lean() : null;
    let bankId: string;
    let genSeconds: number | null = null;
    if (existing) {
      bankId = String(existing._id);
      log('reusing the generated data in BENCH_DATA_DIR');
    } else {
      await ensureIndexes();
      const t0 = Date.now();
      bankId = String((await generate()).bankId);
      genSeconds = (Date.now() - t0) / 1000;
    }
    await mongoose.disconnect();
    const childJs = compileForChildren(path.join(tmp, 'js'));
    const rows: Record<Mode, Measurement[]> = { floor: [], aggregate: [], full: [] };
    const run = async (mode: Mode, i: number) => {
      const m = await measure(childJs, mode, uri, 'bench', bankId);
      rows[mode].push(m);
      log(
        `run ${i + 1} ${mode}: ${(m.ms / 1000).toFixed(1)} s, peak RSS ${m.peakRssMB.toFixed(0)} MB, ${m.visits} visits`,
      );
    };
    for (let i = 0; i < RUNS; i++) {
      for (const mode of i % 2 === 0 ? (['floor', 'aggregate'] as const) : (['aggregate', 'floor'] as const))
        await run(mode, i);
    }
    for (let i = 0; i < FULL_RUNS; i++) await run('full', i);
    const text = section(rows, { seconds: genSeconds, ferret: ferretVersion(binary) });
    process.stdout.write(`\n${text}`);
    if (WRITE_FILE) writeSection(text);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
