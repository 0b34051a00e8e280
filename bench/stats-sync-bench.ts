import mongoose, { Schema, Types } from 'mongoose';
import { SECTION_KEYS, type SectionKey } from '../server/rules/scoring';
import type { Contribution } from '../server/stats/contribution';
import { env, loadAvg, log, machine, median, quantile } from './large-bank/settings';
import type * as Previous from './stats-sync-previous';

/**
 * What one approval's statistics sync costs on a large region (issue 13: "approving a visit gets at
 * most 5 ms slower"), the records as they are kept now against the previous layout, side by side in
 * one process on one embedded FerretDB:
 *   previous: branch record → the region record (every branch's summary of the region) → the bank
 *             record (every region's summary and the bank's whole violation list);
 *   buckets:  branch record → its bucket's record (~1/16 of the region's branch summaries) → the
 *             region record (16 bucket summaries and the region's violations) → the bank record
 *             (one summary per region).
 * One region of BENCH_SYNC_BRANCHES (500) branches with 4 counted visits each (16 answers, two staff,
 * auditors from a pool of 20, ~0.1 violations a visit, 1 % disputed: the shape of bench/large-bank),
 * in a bank of 50 such regions (the other 49 present in the bank record). Each approval adds a new
 * visit to a random branch through the sync's own steps (server/stats/apply.ts applyEntry; the
 * previous layout's steps are copied below on the same store functions), the two layouts
 * alternating which goes first. Per approval: wall time, and the packed JSON written and read
 * (counted from the driver's command events). Prints a Markdown table.
 *
 *   npm run bench:stats-sync      # BENCH_SYNC_APPROVALS (100), BENCH_SYNC_BRANCHES (500)
 */
const BRANCHES = env('BENCH_SYNC_BRANCHES', 500);
const APPROVALS = env('BENCH_SYNC_APPROVALS', 100);
const REGIONS = 50;
const VISITS_PER_BRANCH = 4;
const ITEMS = SECTION_KEYS.flatMap((s) => [1, 2, 3, 4].map((i) => ({ key: `${s}_${i}`, section: s as SectionKey })));
const QUARTER = '2026-Q2';
const REGION = 'R00';

let seed = 20261205;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const code = (i: number) => `BR${String(i).padStart(6, '0')}`;

function contribution(branch: string): Contribution {
  const sections = SECTION_KEYS.map(() => Math.round(rnd() * 1000) / 1000);
  const violations =
    rnd() < 0.1 ? [{ itemKey: ITEMS[Math.floor(rnd() * 16)].key, sectionKey: 'sales_compliance' as const }] : [];
  return {
    rev: 1,
    auditorId: new Types.ObjectId(`6a0000000000000000000${String(Math.floor(rnd() * 20)).padStart(3, '0')}`).toString(),
    staffIds: [`${branch}-E1`, `${branch}-E2`],
    scores: [...sections, sections.reduce((a, b) => a + b, 0) / 4],
    items: ITEMS.map((i) => ({ key: i.key, section: i.section, failed: rnd() < 0.1 })),
    violations,
    disputed: rnd() < 0.01,
    visitedAt: new Date(Date.UTC(2026, 3, 1 + Math.floor(rnd() * 80))).toISOString(),
    questionnaire: '6a0000000000000000000999:3',
  };
}

const packedSchema = () =>
  new Schema(
    { _id: String, bankId: Schema.Types.ObjectId, quarter: String, seq: Number, packed: String },
    { strict: false, versionKey: false },
  );

/** Bytes of packed JSON sent in writes and received in reads, from the driver's command events. */
const io = { written: 0, read: 0 };
function countIo(): void {
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (e) => {
    const c = e.command as { updates?: { u?: { $set?: { packed?: string } } }[]; documents?: { packed?: string }[] };
    for (const u of c.updates ?? []) io.written += u.u?.$set?.packed?.length ?? 0;
    for (const d of c.documents ?? []) io.written += d.packed?.length ?? 0;
  });
  client.on('commandSucceeded', (e) => {
    const r = e.reply as { cursor?: { firstBatch?: { packed?: string }[] } };
    for (const d of r.cursor?.firstBatch ?? []) io.read += d.packed?.length ?? 0;
  });
}

/** The other 49 regions of the bank (copies of the one measured): in the bank record, and their region records. */
async function widenBank(bankId: string): Promise<void> {
  const { StatsBank, StatsRegion } = await import('../server/stats/model');
  const { bankQuarterId, regionId, updatePacked } = await import('../server/stats/store');
  const { default: m } = await import('mongoose');
  const region = await StatsRegion.collection.findOne({ _id: regionId(bankId, QUARTER, REGION) as never });
  for (let r = 1; r < REGIONS; r++) {
    const name = `R${String(r).padStart(2, '0')}`;
    await StatsRegion.collection.insertOne({ ...region, _id: regionId(bankId, QUARTER, name) as never, region: name });
  }
  await updatePacked<Record<string, unknown>>(
    StatsBank,
    bankQuarterId(bankId, QUARTER),
    { bankId: new m.Types.ObjectId(bankId), quarter: QUARTER },
    (regions) => {
      const one = regions?.[REGION];
      const out: Record<string, unknown> = { ...(regions ?? {}) };
      for (let r = 1; r < REGIONS; r++) out[`R${String(r).padStart(2, '0')}`] = one;
      return out;
    },
  );
}

async function main(): Promise<void> {
  const { startFaultDb } = await import('../test/helpers/faults');
  const { configureFor } = await import('./large-bank/store');
  const db = await startFaultDb();
  const loads = [loadAvg()];
  try {
    await configureFor(db.uri());
    await mongoose.connect(db.uri(), { dbName: 'bench_sync', monitorCommands: true });
    const { applyEntry } = await import('../server/stats/apply');
    const { sourcesOf, writeQuarter } = await import('../server/stats/rebuild');
    const previous = await import('./stats-sync-previous');
    const bankId = new Types.ObjectId().toString();
    const branches = new Map<string, { region: string; entries: Record<string, Contribution> }>();
    for (let i = 0; i < BRANCHES; i++) {
      const entries: Record<string, Contribution> = {};
      for (let v = 0; v < VISITS_PER_BRANCH; v++) entries[new Types.ObjectId().toString()] = contribution(code(i));
      branches.set(code(i), { region: REGION, entries });
    }
    const t0 = Date.now();
    await writeQuarter(bankId, QUARTER, sourcesOf({ branches }), Date.now());
    await widenBank(bankId);
    await previous.seed(mongoose, packedSchema, bankId, QUARTER, REGION, REGIONS, branches);
    log(`seeded ${BRANCHES} branches × ${VISITS_PER_BRANCH} visits, both layouts, in ${Date.now() - t0} ms`);
    countIo();
    const runs = { previous: [] as number[][], buckets: [] as number[][] };
    const approve = async (layout: 'previous' | 'buckets', branch: string, visitId: string, c: Contribution) => {
      const before = { ...io };
      const t = process.hrtime.bigint();
      if (layout === 'buckets') await applyEntry(bankId, QUARTER, branch, REGION, visitId, c);
      else await previous.applyEntry(bankId, QUARTER, branch, REGION, visitId, c);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      return [ms, io.written - before.written, io.read - before.read];
    };
    const WARMUP = 5;
    for (let i = 0; i < APPROVALS + WARMUP; i++) {
      const branch = code(Math.floor(rnd() * BRANCHES));
      const c = contribution(branch);
      const visitId = new Types.ObjectId().toString();
      const order = i % 2 ? (['previous', 'buckets'] as const) : (['buckets', 'previous'] as const);
      for (const layout of order) {
        const r = await approve(layout, branch, visitId, c);
        if (i >= WARMUP) runs[layout].push(r);
      }
    }
    const reads = await measureReads(bankId, previous);
    loads.push(loadAvg());
    report(runs, loads);
    process.stdout.write(reads);
  } finally {
    await mongoose.disconnect();
    await db.dispose();
  }
}

/** What the readers read of the same data, each layout (median of 15 reads each, alternating). */
async function measureReads(bankId: string, previous: typeof Previous): Promise<string> {
  const svc = await import('../server/stats/service');
  const regions = Array.from({ length: REGIONS }, (_, r) => `R${String(r).padStart(2, '0')}`);
  const kinds: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    [
      'the bank record (every region’s summary; before: with the bank’s violations)',
      () => previous.readBank(bankId, QUARTER),
      () => svc.bankQuarterStats(bankId, QUARTER),
    ],
    [
      'one region’s branch summaries (500)',
      () => previous.readRegion(bankId, QUARTER, REGION),
      () => svc.regionQuarterStats(bankId, QUARTER, [REGION]),
    ],
    [
      'the bank’s violations (before: in the bank record; now: 50 region records)',
      () => previous.readBank(bankId, QUARTER),
      () => svc.regionViolationsOf(bankId, QUARTER, regions),
    ],
  ];
  const lines = [
    '',
    '| read | previous (p50) | buckets (p50) | packed JSON read, previous / buckets |',
    '|---|---|---|---|',
  ];
  for (const [name, before, now] of kinds) {
    const t: Record<'before' | 'now', number[]> = { before: [], now: [] };
    const bytes: Record<'before' | 'now', number> = { before: 0, now: 0 };
    for (let i = 0; i < 15; i++)
      for (const [k, f] of (i % 2
        ? [
            ['before', before],
            ['now', now],
          ]
        : [
            ['now', now],
            ['before', before],
          ]) as ['before' | 'now', () => Promise<unknown>][]) {
        const r0 = io.read;
        const t0 = process.hrtime.bigint();
        await f();
        t[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
        bytes[k] = io.read - r0;
      }
    lines.push(
      `| ${name} | ${median(t.before).toFixed(1)} ms | ${median(t.now).toFixed(1)} ms | ${(bytes.before / 1024).toFixed(0)} kB / ${(bytes.now / 1024).toFixed(0)} kB |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function report(runs: Record<'previous' | 'buckets', number[][]>, loads: string[]): void {
  const col = (rs: number[][], k: number) => rs.map((r) => r[k]);
  const kb = (b: number) => `${(b / 1024).toFixed(0)} kB`;
  const row = (name: string, rs: number[][]) =>
    `| ${name} | ${median(col(rs, 0)).toFixed(1)} ms | ${quantile(col(rs, 0), 0.95).toFixed(1)} ms | ${kb(median(col(rs, 1)))} | ${kb(median(col(rs, 2)))} |`;
  const ratio = (k: number) => (median(col(runs.previous, k)) / median(col(runs.buckets, k))).toFixed(1);
  process.stdout.write(
    [
      '',
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; embedded FerretDB 1.24; load average (1 / 5 / 15 min) at the start ${loads[0]}, at the end ${loads[1]}.`,
      `${APPROVALS} approvals on each layout, alternating, region of ${BRANCHES} branches × ${VISITS_PER_BRANCH} visits in a bank of ${REGIONS} regions.`,
      '',
      '| layout | sync per approval, p50 | p95 | packed JSON written (p50) | packed JSON read (p50) |',
      '|---|---|---|---|---|',
      row('previous (region record of all branches, bank record with all violations)', runs.previous),
      row('buckets (this change)', runs.buckets),
      '',
      `previous / buckets, medians: time ${ratio(0)}×, written ${ratio(1)}×, read ${ratio(2)}×.`,
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
