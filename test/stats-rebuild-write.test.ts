import { Types } from 'mongoose';
import { sourcesOf, writeQuarter as writeSources, type QuarterFigures } from '../server/stats/rebuild';
import { BranchBuild } from '../server/stats/branch-build';
import { StatsBank, StatsBranch, StatsBucket, StatsRegion } from '../server/stats/model';
import { packValue, unpackValue } from '../server/stats/packing';
import type { Contribution } from '../server/stats/contribution';
import type { AreaSummary } from '../server/stats/summaries';
import { startTestApp, stopTestApp } from './helpers/app';

/**
 * Writing a recomputed quarter (what `stats rebuild` does after reading the visits) over more
 * branches than one batch of writes: the branch records go out batch by batch while the next batch is
 * built, so every batch, the buckets made region by region, and a second write over figures that
 * are right (nothing written) or changed in a later batch (only that record) are checked here.
 */
jest.setTimeout(120_000);

beforeAll(async () => {
  await startTestApp();
});
afterAll(stopTestApp);

const QUARTER = '2031-Q1';

/** As long as an ObjectId (a rebuild sums a branch up as its visits come only for ids longer than an array index). */
const visitId = (code: string, v: number) => `${code}-v${v}`.padStart(24, '0');

const writeQuarter = (bankId: string, quarter: string, f: QuarterFigures, seq: number, opts = {}) =>
  writeSources(bankId, quarter, sourcesOf(f), seq, opts);
const REGIONS = ['North', 'South', 'East'];
const BRANCHES = 1_234; // more than two batches of 500

const contribution = (total: number): Contribution => ({
  rev: 1,
  auditorId: 'auditor',
  staffIds: ['staff'],
  scores: [total, total, total, total, total],
  items: [{ key: 'g1', section: 'greeting', failed: total < 50 }],
  violations: [],
  disputed: false,
  visitedAt: '2031-02-01T10:00:00.000Z',
  questionnaire: 'q:1',
});

function figures(change: (code: string, i: number) => number = (_, i) => 40 + (i % 50)): QuarterFigures {
  const branches: QuarterFigures['branches'] = new Map();
  for (let i = 0; i < BRANCHES; i++) {
    const code = `B${String(i).padStart(5, '0')}`;
    const visits = 1 + (i % 3);
    const entries = Object.fromEntries(
      Array.from({ length: visits }, (_, v) => [visitId(code, v), contribution(change(code, i))]),
    );
    branches.set(code, { region: REGIONS[i % REGIONS.length], entries });
  }
  return { branches };
}

async function branchRecords(bankId: string): Promise<Map<string, { seq: number; packed: string }>> {
  const docs = await StatsBranch.find({ bankId, quarter: QUARTER }, { seq: 1, packed: 1, branchCode: 1 }).lean();
  return new Map(docs.map((d) => [d.branchCode, { seq: d.seq, packed: d.packed }]));
}

async function bankAreas(bankId: string): Promise<Record<string, AreaSummary>> {
  const doc = await StatsBank.findOne({ bankId, quarter: QUARTER }).lean();
  return unpackValue<Record<string, AreaSummary>>(doc?.packed as string);
}

test('every branch record of every batch is written, summed into its buckets, regions and the bank', async () => {
  const bankId = new Types.ObjectId().toString();
  const f = figures();
  await writeQuarter(bankId, QUARTER, f, 1_000);
  const stored = await branchRecords(bankId);
  expect(stored.size).toBe(BRANCHES);
  for (const [code, b] of f.branches) expect(unpackValue(stored.get(code)?.packed as string)).toEqual(b.entries);
  const buckets = await StatsBucket.find({ bankId, quarter: QUARTER }).lean();
  const inBuckets = buckets.flatMap((b) => Object.keys(unpackValue<Record<string, unknown>>(b.packed)));
  expect(inBuckets.sort()).toEqual([...f.branches.keys()].sort());
  const areas = await bankAreas(bankId);
  expect(Object.keys(areas).sort()).toEqual([...REGIONS].sort());
  const visits = [...f.branches.values()].reduce((n, b) => n + Object.keys(b.entries).length, 0);
  expect(Object.values(areas).reduce((n, a) => n + a.visits, 0)).toBe(visits);
  expect(Object.values(areas).reduce((n, a) => n + a.branches, 0)).toBe(BRANCHES);
});

test('written again: right records are left alone, one changed in a later batch is rewritten, one gone is removed', async () => {
  const bankId = new Types.ObjectId().toString();
  await writeQuarter(bankId, QUARTER, figures(), 1_000);
  await writeQuarter(bankId, QUARTER, figures(), 2_000);
  const same = await branchRecords(bankId);
  expect([...same.values()].every((r) => r.seq === 1_000)).toBe(true);

  const changed = figures((code, i) => (code === 'B01100' ? 99 : 40 + (i % 50)));
  changed.branches.delete('B00700');
  await writeQuarter(bankId, QUARTER, changed, 3_000);
  const after = await branchRecords(bankId);
  expect(after.size).toBe(BRANCHES - 1);
  expect(after.has('B00700')).toBe(false);
  expect(after.get('B01100')?.seq).toBe(3_000);
  expect(unpackValue(after.get('B01100')?.packed as string)).toEqual(changed.branches.get('B01100')?.entries);
  expect([...after].filter(([code]) => code !== 'B01100').every(([, r]) => r.seq === 1_000)).toBe(true);
  const areas = await bankAreas(bankId);
  expect(Object.values(areas).reduce((n, a) => n + a.branches, 0)).toBe(BRANCHES - 1);
});

/** Every record of the quarter (branch, bucket, region, bank) as stored: id → seq and packed text. */
async function allRecords(bankId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of [StatsBranch, StatsBucket, StatsRegion, StatsBank] as const) {
    const docs = await (m as typeof StatsBranch).find({ bankId, quarter: QUARTER }, { seq: 1, packed: 1 }).lean();
    for (const d of docs) out.set(String(d._id), `${d.seq} ${d.packed}`);
  }
  return out;
}

test('packed on a thread (a large quarter), every record is the very text packed in process', async () => {
  const bankId = new Types.ObjectId().toString();
  const f = figures();
  await writeQuarter(bankId, QUARTER, f, 1_000, { packThreadFrom: 1 });
  const onThread = await allRecords(bankId);
  for (const m of [StatsBranch, StatsBucket, StatsRegion, StatsBank] as const)
    await (m as typeof StatsBranch).deleteMany({ bankId });
  await writeQuarter(bankId, QUARTER, f, 1_000, { packThreadFrom: Infinity });
  const inProcess = await allRecords(bankId);
  expect(onThread.size).toBe(BRANCHES + (await StatsBucket.countDocuments({ bankId })) + REGIONS.length + 1);
  expect(onThread).toEqual(inProcess);
  // And in process is packValue itself.
  for (const [code, b] of f.branches)
    expect(inProcess.get(`${bankId}:${QUARTER}:${code}`)).toBe(`1000 ${packValue(b.entries)}`);
});

test('built as the visits stream in (what a rebuild writes), every record is the text written from the entries', async () => {
  const bankId = new Types.ObjectId().toString();
  const f = figures();
  // Most branches are summed up as their visits come; one's come out of id order with a tombstone, and one visit
  // comes twice, changed: those two are worked out again from their JSON.
  const b7 = f.branches.get('B00007')?.entries ?? {};
  f.branches.set('B00007', {
    region: 'North',
    entries: { z: b7[visitId('B00007', 0)], a: { rev: 2, removed: true }, m: b7[visitId('B00007', 0)] },
  });
  const built = new Map<string, BranchBuild>();
  for (const [code, b] of f.branches) {
    const build = new BranchBuild(b.region);
    for (const [id, entry] of Object.entries(b.entries)) build.add(id, entry);
    if (code === 'B00008') build.add(visitId('B00008', 0), contribution(12)); // read twice, changed in between
    built.set(code, build);
  }
  (f.branches.get('B00008') as { entries: Record<string, unknown> }).entries[visitId('B00008', 0)] = contribution(12);
  await writeSources(bankId, QUARTER, { branches: built }, 1_000);
  const inOrder = built.get('B00100') as BranchBuild;
  expect(inOrder.summary(1_000)).toBe(inOrder.summary(1_000)); // summed up as its visits came, not worked out again
  const streamed = await allRecords(bankId);
  for (const m of [StatsBranch, StatsBucket, StatsRegion, StatsBank] as const)
    await (m as typeof StatsBranch).deleteMany({ bankId });
  await writeQuarter(bankId, QUARTER, f, 1_000);
  expect(streamed).toEqual(await allRecords(bankId));
  expect(unpackValue(streamed.get(`${bankId}:${QUARTER}:B00008`)?.split(' ')[1] as string)).toEqual(
    f.branches.get('B00008')?.entries,
  );
});
