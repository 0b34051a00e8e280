import { rng } from '../seed/rng';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { Types } from 'mongoose';
import { loadConfig, setConfig } from '../server/platform/config';
import { freePort, startEmbeddedDb } from '../server/platform/db/embedded';

/**
 * The whole close of a large bank: the bank of the results benchmark (25,000 branches in 50 regions,
 * 100,000 approved visits per quarter, two quarters, 16 items with comments) generated into a fresh
 * embedded FerretDB, then one close run by the in-process worker exactly as the app runs it:
 * snapshot, bank + region + branch PDFs stored in GridFS, deliveries queued. Reports wall time per
 * phase and the peak resident memory of this process and of FerretDB.
 *
 *   npm run bench:reports-close                                  # 25,000 branches
 *   BENCH_BRANCHES=2500 BENCH_VISITS=10000 npm run bench:reports-close
 */
const ROOT = path.resolve(__dirname, '..');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const BRANCHES = env('BENCH_BRANCHES', 25_000);
const VISITS = env('BENCH_VISITS', 100_000);
const REGIONS = 50;
const QUARTER = '2026-Q2';
const PREVIOUS = '2026-Q1';
const BATCH = 1000;
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const HEADING = '### Whole close of a large bank';

const log = (m: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

type Item = {
  key: string;
  type: 'yes_no' | 'scale';
  weight: number;
  critical: boolean;
  allowNA: boolean;
  required: boolean;
  text: { zh: string; en: string };
};
const yn = (key: string, zh: string, extra: Partial<Item> = {}): Item => ({
  key,
  type: 'yes_no',
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  text: { zh, en: key },
  ...extra,
});
const sc = (key: string, zh: string): Item => ({ ...yn(key, zh), type: 'scale' });
const SECTIONS = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      yn('gr_30s', '30秒内问候'),
      yn('gr_eye', '目光接触'),
      sc('gr_wait', '等待时间'),
      yn('gr_ticket', '取号说明', { allowNA: true }),
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      yn('pk_features', '介绍产品特点'),
      sc('pk_fees', '说明费用'),
      yn('pk_term', '说明期限', { weight: 2 }),
      yn('pk_compare', '比较产品', { allowNA: true }),
    ],
  },
  {
    key: 'sales_compliance',
    weight: 25,
    items: [
      yn('sc_risk', '风险揭示', { critical: true }),
      yn('sc_suit', '适当性评估', { critical: true }),
      yn('sc_noguarantee', '未承诺保本'),
      yn('sc_record', '双录', { allowNA: true }),
    ],
  },
  {
    key: 'follow_up',
    weight: 25,
    items: [
      yn('fu_contact', '留下联系方式'),
      yn('fu_call', '按时回访', { allowNA: true }),
      sc('fu_after', '售后答疑'),
      yn('fu_card', '递交名片', { allowNA: true }),
    ],
  },
] as const;

interface Gen {
  bankId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  branches: { code: string; region: string; quality: number }[];
}

async function generate(): Promise<Gen> {
  const { Bank, Branch } = await import('../server/banks/model');
  const { Questionnaire, QuestionnaireVersion } = await import('../server/questionnaires/model');
  const r = rng(20260401);
  const bankId = new Types.ObjectId();
  const questionnaireId = new Types.ObjectId();
  await Bank.collection.insertOne({
    _id: bankId,
    code: 'BENCH',
    name: '基准测试银行',
    timezone: 'Asia/Shanghai',
    language: 'zh',
    reportRecipients: ['head@bench.example', 'audit@bench.example'],
  });
  await Questionnaire.collection.insertOne({
    _id: questionnaireId,
    bankId,
    name: '标准问卷',
    latestVersion: 1,
    archived: false,
  });
  await QuestionnaireVersion.collection.insertOne({
    questionnaireId,
    bankId,
    version: 1,
    name: '标准问卷',
    sections: SECTIONS,
  });
  const branches = Array.from({ length: BRANCHES }, (_, i) => ({
    code: `BR${String(i).padStart(6, '0')}`,
    region: `区域${String(i % REGIONS).padStart(2, '0')}`,
    quality: 0.55 + 0.43 * r(),
  }));
  for (let i = 0; i < branches.length; i += BATCH) {
    await Branch.collection.insertMany(
      branches.slice(i, i + BATCH).map((b) => ({
        bankId,
        code: b.code,
        name: `${b.region}第${b.code.slice(2)}支行`,
        region: b.region,
        active: true,
      })),
      { ordered: false },
    );
  }
  const gen = { bankId, questionnaireId, branches };
  for (const q of [PREVIOUS, QUARTER]) await generateQuarter(gen, q, r);
  return gen;
}

async function generateQuarter(g: Gen, quarter: string, r: () => number): Promise<void> {
  const { Visit } = await import('../server/visits/model');
  const { scoreVisit } = await import('../server/rules/scoring');
  const scoring = SECTIONS.map((s) => ({ key: s.key, weight: s.weight, items: s.items.map((i) => ({ ...i })) }));
  const items = SECTIONS.flatMap((s) => s.items);
  const [y, q] = quarter.split('-Q').map(Number);
  const t0 = Date.now();
  for (let i = 0; i < VISITS; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, VISITS - i) }, () => {
      const b = g.branches[Math.floor(r() * g.branches.length)];
      const answers = items.map((it) => {
        let value: string | number;
        if (it.allowNA && r() < 0.1) value = 'na';
        else if (it.type === 'scale')
          value = Math.max(1, Math.min(5, Math.round(1 + 4 * (b.quality + (r() - 0.5) * 0.5))));
        else value = r() < (it.critical ? 1 - (1 - b.quality) / 4 : b.quality) ? 'yes' : 'no';
        return { itemKey: it.key, value };
      });
      const scored = scoreVisit(scoring as never, answers as never);
      const at = new Date(Date.UTC(y, (q - 1) * 3, 5 + Math.floor(r() * 80), 1 + Math.floor(r() * 9)));
      const id = new Types.ObjectId();
      return {
        _id: id,
        assignmentId: new Types.ObjectId(),
        bankId: g.bankId,
        branchCode: b.code,
        region: b.region,
        auditorId: g.bankId,
        questionnaireId: g.questionnaireId,
        questionnaireVersion: 1,
        quarter,
        visitedAt: at,
        durationMinutes: 20 + Math.floor(r() * 30),
        staff: [{ employeeId: `${b.code}-1`, description: '柜台工作人员，女，戴眼镜' }],
        staffIds: [`${b.code}-1`],
        answers: answers.map((a) =>
          r() < 0.3 ? { ...a, comment: '等候约五分钟后才有人接待，未主动介绍产品风险等级。' } : a,
        ),
        summary: '客户经理态度良好，但产品费用说明不完整，未提及提前赎回费用。整体流程规范，双录完整。',
        status: 'approved',
        scores: { sections: scored.sections, total: scored.total },
        violations: scored.violations,
        flags: [],
        attachments: [],
        history: [],
        approvedAt: at,
        rev: 3,
        idempotencyKey: `auto:${String(id)}`,
        createdAt: at,
        updatedAt: at,
      };
    });
    await Visit.collection.insertMany(docs, { ordered: false });
    if ((i / BATCH) % 25 === 24)
      log(`  ${quarter}: ${i + docs.length}/${VISITS} visits (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}

/** The FerretDB process serving `port` (not its guard shell). */
function ferretPid(port: number): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes('ferretdb') && cmd.includes(`:${port}`) && !cmd.startsWith('/bin/sh')) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory (MB) of the FerretDB process serving `port`, read from /proc. */
function ferretRssMB(port: number): number {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('ferretdb') || !cmd.includes(`:${port}`) || cmd.startsWith('/bin/sh')) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${name}/status`, 'utf8'));
      if (m) return Number(m[1]) / 1024;
    } catch {
      // gone
    }
  }
  return 0;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(HEADING);
  let next: string;
  if (start === -1) {
    // Inside the PDF-reports section when it exists (it ends at the next second-level heading).
    const parent = current.indexOf('## PDF reports');
    if (parent === -1) next = `${current.trimEnd()}\n\n${body}\n`;
    else {
      const after = current.slice(parent + 3).search(/\n## /);
      const at = after === -1 ? current.length : parent + 3 + after;
      next = `${current.slice(0, at).trimEnd()}\n\n${body}\n${current.slice(at)}`;
    }
  } else {
    const rest = current.slice(start + HEADING.length);
    const end = rest.search(/\n##/);
    next = `${current.slice(0, start)}${body}${end === -1 ? '\n' : rest.slice(end)}`;
  }
  fs.writeFileSync(file, next);
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-close-db-'));
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-close-outbox-'));
  const port = await freePort();
  const db = await startEmbeddedDb({
    binary: path.join(ROOT, '.tools', 'bin', 'ferretdb'),
    dataDir,
    port,
    dbName: 'bench',
  });
  setConfig(
    loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      MONGODB_URI: db.uri,
      DB_NAME: 'bench_close',
      LOG_LEVEL: 'warn',
      OUTBOX_DIR: outbox,
    }),
  );
  try {
    await import('../server/models');
    await mongoose.connect(db.uri, { dbName: 'bench_close' });
    const { ensureIndexes } = await import('../server/platform/db/connection');
    await ensureIndexes();
    log(`generating ${BRANCHES} branches, ${VISITS} visits in each of ${PREVIOUS} and ${QUARTER}`);
    const t0 = Date.now();
    const g = await generate();
    log(`generated in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const { closeQuarter } = await import('../server/publishing/service');
    const { startAppWorkers } = await import('../server/jobs');
    const { Job } = await import('../server/platform/jobs/model');
    const { Report, ReportFile } = await import('../server/publishing/model');
    const { threadsFor } = await import('../server/publishing/render-pool');
    let peakNode = 0;
    let peakFerret = 0;
    const phases = new Map<string, number>();
    const started = Date.now();
    const admin = { id: 'bench', email: 'bench@localhost', name: 'bench', role: 'admin' as const };
    const fpid = ferretPid(port);
    const cpu0 = { app: cpuSeconds(process.pid), db: cpuSeconds(fpid) };
    const load: number[] = [];
    const queued = await closeQuarter(admin, String(g.bankId), QUARTER);
    const workers = startAppWorkers({ pollMs: 100, mail: false });
    let lastLog = 0;
    for (;;) {
      peakNode = Math.max(peakNode, process.memoryUsage().rss / 2 ** 20);
      peakFerret = Math.max(peakFerret, ferretRssMB(port));
      const job = await Job.findById(queued.jobId).lean();
      const phase = job?.progress?.phase ?? 'queued';
      if (!phases.has(phase)) phases.set(phase, Date.now() - started);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        load.push(os.loadavg()[0]);
        log(
          `  ${phase} ${job?.progress?.done ?? 0}/${job?.progress?.total ?? 0}, ${((Date.now() - started) / 1000).toFixed(0)} s, node ${peakNode.toFixed(0)} MB, ferretdb ${peakFerret.toFixed(0)} MB`,
        );
      }
      if (job?.status === 'done' || job?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const total = (Date.now() - started) / 1000;
    const cpu = { app: cpuSeconds(process.pid) - cpu0.app, db: cpuSeconds(fpid) - cpu0.db };
    await workers.stop();
    const report = await Report.findById(queued.reportId).lean();
    if (report?.status !== 'ready') throw new Error(`the close failed: ${report?.error}`);
    const files: { _id: string; n: number; bytes: number }[] = [];
    for await (const f of ReportFile.find({ reportId: report._id }, { kind: 1, size: 1 }).lean().cursor()) {
      const row =
        files.find((x) => x._id === f.kind) ?? (files.push({ _id: f.kind, n: 0, bytes: 0 }), files[files.length - 1]);
      row.n += 1;
      row.bytes += f.size;
    }
    const bankFile = await ReportFile.findOne({ reportId: report._id, scope: 'bank' }, { size: 1 }).lean();
    const at = (p: string) => (phases.get(p) ?? 0) / 1000;
    const renderS = total - at('render');
    const branchFiles = files.find((f) => f._id === 'branch')?.n ?? 0;
    const threads = threadsFor(files.reduce((n, f) => n + f.n, 0));
    const body = [
      HEADING,
      '',
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; \`npm run bench:reports-close\` (BENCH_BRANCHES=${BRANCHES}, BENCH_VISITS=${VISITS}).`,
      '',
      `A bank of ${BRANCHES.toLocaleString('en')} branches in ${REGIONS} regions with ${VISITS.toLocaleString('en')} approved visits in ${QUARTER} and as many in ${PREVIOUS} (16 items, comments), on a fresh embedded FerretDB; one close by the in-process worker: snapshot from the results service (one read of the visits), then ${files.map((f) => `${f.n.toLocaleString('en')} ${f._id}`).join(', ')} PDFs (${(files.reduce((s, f) => s + f.bytes, 0) / 2 ** 20).toFixed(0)} MB, bank report ${(Number(bankFile?.size ?? 0) / 2 ** 20).toFixed(1)} MB) rendered on ${threads ? `${threads} worker threads` : "the close's own thread"} and stored in GridFS.`,
      '',
      '| step | wall time |',
      '|---|---|',
      `| snapshot (results service, one read of the visits) | ${(at('render') - at('snapshot')).toFixed(0)} s |`,
      `| render and store all PDFs | ${renderS.toFixed(0)} s (${(branchFiles / Math.max(1, renderS)).toFixed(1)} branch reports/s overall) |`,
      `| **whole close** | **${(total / 60).toFixed(1)} min** (target < 10 min) |`,
      '',
      `CPU time used by the close: app process ${cpu.app.toFixed(0)} s (all its threads), FerretDB ${cpu.db.toFixed(0)} s. Peak resident memory: app process ${peakNode.toFixed(0)} MB (render threads included), FerretDB ${peakFerret.toFixed(0)} MB (sampled every 250 ms). The machine was shared with other work: 1-minute load average ${load.length ? `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}` : os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs during the close.`,
    ].join('\n');
    log(`\n${body}\n`);
    if (WRITE_FILE) writeSection(body);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(outbox, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
