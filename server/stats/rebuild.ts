import { Types, type mongo } from 'mongoose';
import { release, takeOverStale } from '../platform/db/write-claims';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { readAhead } from '../platform/db/read-ahead';
import { ConflictError } from '../platform/errors';
import { visitBatchesForStats, visitQuarters } from '../visits/service';
import { entryOf, type BankAreas } from './apply';
import { BranchBuild, entriesSource, type BranchEntries, type BranchSource, type Entry } from './branch-build';
import { bucketPart, intoBuckets, regionSummary, type BucketBranches, type RegionBuckets } from './buckets';
import { catchUp } from './catch-up';
import { StatsBank, StatsBranch, StatsBucket, StatsRegion } from './model';
import { bankQuarterId, branchId, bucketId, rebuildClaimKey, regionId, type PackedModel } from './store';
import { packValue, unpackValue } from './packing';
import { packerFor, type Packer } from './pack-thread';

/**
 * Recomputing a bank's statistics from its visits (`stats rebuild`), quarter by quarter. While it
 * runs it holds a claim on the bank's quarter that the ongoing syncs respect (their change notes wait),
 * and when it is done those notes are caught up, so nothing approved meanwhile is lost. Readers may see
 * a quarter half rebuilt while it runs.
 */
export interface QuarterFigures {
  branches: Map<string, BranchFigures>;
}

export interface BranchFigures {
  region: string;
  entries: BranchEntries;
}

/** A quarter's branch records as they are written: by branch code, each one's JSON and summary. */
export interface QuarterSources {
  branches: Map<string, BranchSource>;
}

const LEASE_MS = 30 * 60_000;
/** The cursor's batches read ahead of the work on them. */
const BATCHES_AHEAD = 2;

/** Every visit of a quarter as the entry its branch record should hold, in the order they are read. */
async function readEntries(
  bankId: string,
  quarter: string,
  add: (code: string, region: string, visitId: string, entry: Entry) => void,
): Promise<void> {
  // Read ahead: the database prepares the next batch of visits while this works out the contributions.
  for await (const batch of readAhead(visitBatchesForStats(bankId, quarter), BATCHES_AHEAD))
    for (const v of batch) add(v.branchCode, v.region, String(v._id), await entryOf(v));
}

/** Recomputes what the statistics of one quarter should be, from the visits (nothing written). */
export async function recompute(bankId: string, quarter: string): Promise<QuarterFigures> {
  const branches = new Map<string, BranchFigures>();
  await readEntries(bankId, quarter, (code, region, visitId, entry) => {
    let b = branches.get(code);
    if (!b) branches.set(code, (b = { region, entries: {} }));
    b.entries[visitId] = entry;
  });
  return { branches };
}

/** The branch records of a quarter as a rebuild writes them, built while its visits stream in. */
export async function buildQuarter(bankId: string, quarter: string): Promise<QuarterSources> {
  const branches = new Map<string, BranchBuild>();
  await readEntries(bankId, quarter, (code, region, visitId, entry) => {
    let b = branches.get(code);
    if (!b) branches.set(code, (b = new BranchBuild(region)));
    b.add(visitId, entry);
  });
  return { branches };
}

/** What writeQuarter writes of figures worked out from the entries (recompute's). */
export function sourcesOf(f: QuarterFigures): QuarterSources {
  return { branches: new Map([...f.branches].map(([code, b]) => [code, entriesSource(b.region, b.entries)])) };
}

export async function rebuild(bankId: string, quarter?: string): Promise<{ quarters: string[]; branches: number }> {
  const quarters = quarter ? [quarter] : await visitQuarters(bankId);
  let branches = 0;
  for (const q of quarters) branches += await rebuildQuarter(bankId, q);
  await catchUp(bankId);
  return { quarters, branches };
}

async function rebuildQuarter(bankId: string, quarter: string): Promise<number> {
  const claim = await takeOverStale(rebuildClaimKey(bankId, quarter), LEASE_MS, {
    expiresAt: new Date(Date.now() + LEASE_MS),
  });
  if (!claim) throw new ConflictError(`The statistics of ${quarter} are being rebuilt already`, 'rebuild_running');
  try {
    // The stored branch records are read while the visits stream (two reads at once, not one after the other).
    const [figures, stored] = await Promise.all([
      buildQuarter(bankId, quarter),
      storedRecords(StatsBranch, new Types.ObjectId(bankId), quarter),
    ]);
    await writeQuarter(bankId, quarter, figures, Date.now(), { stored });
    return figures.branches.size;
  } finally {
    await release(claim);
  }
}

const BATCH = 500;

interface StoredRecord {
  _id: string;
  seq: number;
  packed: string;
  region?: string | null;
}

/** The records of a bank's quarter as stored (one read), by id. */
async function storedRecords(
  m: PackedModel,
  bankId: Types.ObjectId,
  quarter: string,
): Promise<Map<string, StoredRecord>> {
  const docs = await collectionOf(m)
    .find<StoredRecord>({ bankId, quarter }, { projection: { seq: 1, packed: 1, region: 1 } })
    .toArray();
  return new Map(docs.map((d) => [String(d._id), d]));
}

/**
 * Whether a stored packed value is the one just worked out. Records a rebuild wrote list their parts
 * in the same order (the text is equal); a sync appends, so the parts are compared one by one.
 */
export function samePacked(stored: string, fresh: string): boolean {
  if (stored === fresh) return true;
  const a = unpackValue<Record<string, unknown>>(stored);
  const b = unpackValue<Record<string, unknown>>(fresh);
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((k) => k in a && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

type Replacement = { _id: string; seq: number; packed: string } & Record<string, unknown>;
const collectionOf = (m: PackedModel) => m.collection as unknown as mongo.Collection<Replacement>;

/**
 * Writes what changed: records that do not exist yet in batches of inserts (one command each), the
 * others one replacement each. An insert that meets a record created meanwhile becomes a replacement.
 */
async function writeRecords(m: PackedModel, inserts: Replacement[], replaces: Replacement[]): Promise<void> {
  const coll = collectionOf(m);
  const redo: Replacement[] = [];
  for (let i = 0; i < inserts.length; i += BATCH) {
    const part = inserts.slice(i, i + BATCH);
    try {
      await coll.insertMany(part, { ordered: false });
    } catch (e) {
      const writeErrors = (e as { writeErrors?: { index?: number; err?: { index?: number } }[] }).writeErrors;
      if (!writeErrors || !isDuplicateKey({ writeErrors })) throw e;
      for (const w of writeErrors) redo.push(part[w.err?.index ?? w.index ?? -1]);
    }
  }
  const all = [...replaces, ...redo];
  for (let i = 0; i < all.length; i += BATCH) {
    await coll.bulkWrite(
      all
        .slice(i, i + BATCH)
        .map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
      { ordered: false },
    );
  }
}

/**
 * Whether a record worked out must be written: a record whose stored value is the one worked out
 * keeps its `seq` (the summaries above it refer to it), so a rebuild over figures that are right
 * writes nothing. Puts it among the inserts (new) or replacements (changed); returns the seq it has after.
 */
function planOne(
  old: StoredRecord | undefined,
  r: Replacement,
  inserts: Replacement[],
  replaces: Replacement[],
): number {
  if (old && (old.region ?? null) === ((r.region as string | undefined) ?? null) && samePacked(old.packed, r.packed))
    return old.seq;
  (old ? replaces : inserts).push(r);
  return r.seq;
}

/** planOne over many records; returns the seq each has after. */
function plan(
  stored: Map<string, StoredRecord>,
  records: Replacement[],
  inserts: Replacement[],
  replaces: Replacement[],
): Map<string, number> {
  return new Map(records.map((r) => [r._id, planOne(stored.get(r._id), r, inserts, replaces)]));
}

/** Removes the stored records of the quarter that were not worked out again (the visits no longer justify them). */
async function removeGone(m: PackedModel, stored: Map<string, StoredRecord>, kept: { has(id: string): boolean }) {
  const gone = [...stored.keys()].filter((id) => !kept.has(id));
  if (gone.length) await collectionOf(m).deleteMany({ _id: { $in: gone } });
}

async function writeChanged(
  m: PackedModel,
  bank: Types.ObjectId,
  quarter: string,
  records: Replacement[],
  stored?: Map<string, StoredRecord>,
): Promise<Map<string, number>> {
  const before = stored ?? (await storedRecords(m, bank, quarter));
  const inserts: Replacement[] = [];
  const replaces: Replacement[] = [];
  const seqs = plan(before, records, inserts, replaces);
  await writeRecords(m, inserts, replaces);
  await removeGone(m, before, seqs);
  return seqs;
}

/**
 * Writes a recomputed quarter over what is stored. Every record that changes gets the same new `seq`,
 * higher than any it had (a time in ms; the syncs count up from there), so a summary taken before is
 * recognised as older; a record already equal to what the visits give keeps its seq and is not
 * written (the summaries above it, taken at that seq, are equal too); records the visits no longer
 * justify are removed. A sync under way when the rebuild began read its visit before the rebuild's
 * claim, so before the rebuild's own read: a record it changes after `stored` was read differs from
 * what the rebuild worked out in that visit's revision (entries carry it) and is rewritten, and one
 * found equal to it holds that visit's newest revision already, which the sync's older one cannot
 * replace.
 */
export async function writeQuarter(
  bankId: string,
  quarter: string,
  f: QuarterSources,
  seq: number,
  given: { stored?: Map<string, StoredRecord>; packThreadFrom?: number } = {},
): Promise<void> {
  const bank = new Types.ObjectId(bankId);
  const now = new Date();
  const doc: RecordMaker = (_id, packed, fields) => ({
    _id,
    bankId: bank,
    quarter,
    ...fields,
    seq,
    packed,
    updatedAt: now,
  });
  const stored = given.stored ?? (await storedRecords(StatsBranch, bank, quarter));
  const packer = packerFor(f.branches.size, given.packThreadFrom);
  let buckets: MadeBucket[];
  try {
    buckets = await writeBranches(bankId, quarter, f, { doc, seq, packer }, stored);
  } finally {
    await packer.close();
  }
  const bucketSeqs = await writeChanged(
    StatsBucket,
    bank,
    quarter,
    buckets.map((b) => b.record),
  );
  const regionValues = new Map<string, RegionBuckets>();
  for (const { region, k, part } of buckets) {
    const value = regionValues.get(region) ?? {};
    value[k] = bucketPart(part, bucketSeqs.get(bucketId(bankId, quarter, region, k)) ?? seq);
    regionValues.set(region, value);
  }
  const regionSeqs = await writeChanged(
    StatsRegion,
    bank,
    quarter,
    [...regionValues].map(([region, value]) => doc(regionId(bankId, quarter, region), packValue(value), { region })),
  );
  const bankAreas: BankAreas = {};
  for (const [region, value] of regionValues)
    bankAreas[region] = regionSummary(value, regionSeqs.get(regionId(bankId, quarter, region)) ?? seq);
  await writeChanged(StatsBank, bank, quarter, [doc(bankQuarterId(bankId, quarter), packValue(bankAreas), {})]);
}

type RecordMaker = (_id: string, packed: string, fields: Record<string, unknown>) => Replacement;
interface MadeBucket {
  region: string;
  k: number;
  part: BucketBranches;
  record: Replacement;
}
interface Writing {
  doc: RecordMaker;
  seq: number;
  packer: Packer;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Batches of branch records being packed ahead of the one being summed up and written. */
const PACKED_AHEAD = 2;

/** The quarter's branches region by region (a region's buckets are made once its last branch is summed up). */
function inRegionOrder(f: QuarterSources): { code: string; region: string }[] {
  const byRegion = new Map<string, string[]>();
  for (const [code, b] of f.branches) {
    const codes = byRegion.get(b.region);
    if (codes) codes.push(code);
    else byRegion.set(b.region, [code]);
  }
  return [...byRegion].flatMap(([region, codes]) => codes.map((code) => ({ code, region })));
}

/** A region's bucket records, packed by `packer` (made and asked for as soon as its branches are summed up). */
function regionBuckets(bankId: string, quarter: string, region: string, branches: BucketBranches, w: Writing) {
  const parts = [...intoBuckets(branches)];
  const packed = w.packer.pack(parts.map(([, part]) => JSON.stringify(part)));
  packed.catch(() => undefined); // handled where it is awaited, maybe after a failure elsewhere
  return async (): Promise<MadeBucket[]> => {
    const texts = await packed;
    return parts.map(([k, part], i) => ({
      region,
      k,
      part,
      record: w.doc(bucketId(bankId, quarter, region, k), texts[i], { region, bucket: k }),
    }));
  };
}

/**
 * Writes the branch records and returns the bucket records that sum them up (not yet written). The
 * records go out in batches, and the work on them overlaps on two cores: while a batch is written,
 * the next is summed up (a rebuild's already is: ./branch-build.ts) and compared, and the ones after
 * it are deflated (on a thread for a large quarter: writing the large bank's 25,000 branches took
 * 3.7–4.4 s instead of 4.4–5.3). What is written, and in what order, is as before: every branch
 * record, region by region, then the buckets.
 */
async function writeBranches(
  bankId: string,
  quarter: string,
  f: QuarterSources,
  w: Writing,
  stored: Map<string, StoredRecord>,
): Promise<MadeBucket[]> {
  const order = inRegionOrder(f);
  const batches = Array.from({ length: Math.ceil(order.length / BATCH) }, (_, i) =>
    order.slice(i * BATCH, (i + 1) * BATCH),
  );
  const packing: Promise<string[]>[] = [];
  const packAhead = (i: number) => {
    if (i >= batches.length || i < packing.length) return; // asked in order, each once
    packing[i] = w.packer.pack(batches[i].map(({ code }) => (f.branches.get(code) as BranchSource).json()));
    packing[i].catch(() => undefined); // handled where it is awaited, maybe after a failure elsewhere
  };
  const kept = new Set<string>();
  const buckets: (() => Promise<MadeBucket[]>)[] = [];
  let branches: BucketBranches = {};
  let writing: Promise<void> = Promise.resolve();
  for (let i = 0; i < batches.length; i++) {
    for (let ahead = i; ahead <= i + PACKED_AHEAD; ahead++) packAhead(ahead);
    // Summed up while the batch is packed; each summary gets its record's seq once that is known.
    const summaries = batches[i].map(({ code }) => (f.branches.get(code) as BranchSource).summary(w.seq));
    const packed = await packing[i];
    const inserts: Replacement[] = [];
    const replaces: Replacement[] = [];
    batches[i].forEach(({ code, region }, j) => {
      const record = w.doc(branchId(bankId, quarter, code), packed[j], { branchCode: code, region });
      kept.add(record._id);
      summaries[j].seq = planOne(stored.get(record._id), record, inserts, replaces);
      branches[code] = summaries[j];
      if ((batches[i][j + 1] ?? batches[i + 1]?.[0])?.region === region) return;
      buckets.push(regionBuckets(bankId, quarter, region, branches, w));
      branches = {};
    });
    await writing;
    writing = writeRecords(StatsBranch, inserts, replaces);
    // Handled where it is awaited; marked so that a failure while the next batch is built is not "unhandled".
    writing.catch(() => undefined);
    await nextTurn(); // lets the driver send the batch before the next one is built
  }
  await writing;
  await removeGone(StatsBranch, stored, kept);
  const made: MadeBucket[] = [];
  for (const region of buckets) made.push(...(await region()));
  return made;
}
