import mongoose from 'mongoose';
import { config } from '../server/platform/config';

/**
 * The embedded FerretDB is built with fixes (tools/ferretdb/build.sh, tools/ferretdb/patches/): its SQLite
 * backend must look documents up by `_id` through the unique _id index, also when the filter has other
 * conditions besides the _id (unpatched, it scans and parses the whole collection), and it must apply a
 * conditional update atomically, as MongoDB does (unpatched, two writers filtering on the same revision
 * can both win). Its string and ObjectId equalities, narrowed in SQL, must still give MongoDB's answers
 * (that the clause narrows at all is checked by the build's pushdown_test.go).
 */
const { MongoClient, ObjectId } = mongoose.mongo;
type Document = mongoose.mongo.Document;
let client: mongoose.mongo.MongoClient;

beforeAll(async () => {
  client = await MongoClient.connect(config().MONGODB_URI as string);
});
afterAll(async () => client.close());

function planText(explained: Document): string {
  return JSON.stringify(explained.queryPlanner ?? explained);
}

const onFerret = !process.env.TEST_MONGODB_URI;
const ferretIt = onFerret ? it : it.skip;

ferretIt('finds by ObjectId and by string _id with an index search, not a scan', async () => {
  const db = client.db(config().DB_NAME);
  const byOid = db.collection('idx_oid');
  const byString = db.collection<{ _id: string; n: number }>('idx_str');
  const ids = Array.from({ length: 50 }, () => new ObjectId());
  await byOid.insertMany(ids.map((_id, n) => ({ _id, n })));
  await byString.insertMany(ids.map((id, n) => ({ _id: `k${id.toHexString()}`, n })));

  const oidPlan = planText(await byOid.find({ _id: ids[7] }).explain());
  const strPlan = planText(await byString.find({ _id: `k${ids[7]!.toHexString()}` }).explain());
  expect(oidPlan).toMatch(/USING INDEX/);
  expect(oidPlan).not.toMatch(/SCAN/);
  expect(strPlan).toMatch(/USING INDEX/);

  // Same answers as before the fix: found, updated and deleted by id, nothing else touched.
  expect((await byOid.findOne({ _id: ids[7] }))?.n).toBe(7);
  expect((await byOid.updateOne({ _id: ids[8] }, { $set: { n: 80 } })).modifiedCount).toBe(1);
  expect((await byOid.findOne({ _id: ids[8] }))?.n).toBe(80);
  expect((await byString.deleteOne({ _id: `k${ids[9]!.toHexString()}` })).deletedCount).toBe(1);
  expect(await byString.countDocuments({})).toBe(49);
  expect(await byOid.countDocuments({ n: 80 })).toBe(1);
});

ferretIt(
  'keeps only unique indexes on FerretDB, where secondary indexes serve no query and slow every write',
  async () => {
    const { startTestApp, stopTestApp } = await import('./helpers/app');
    const { Visit } = await import('../server/visits/model');
    await startTestApp();
    try {
      await Visit.collection.createIndex({ status: 1 }); // as an older version of the app left it
      const { ensureIndexes } = await import('../server/platform/db/connection');
      await ensureIndexes();
      const indexes = await Visit.collection.indexes();
      expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'assignmentId_1', 'auditorId_1_idempotencyKey_1']);
      expect(indexes.filter((i) => i.name !== '_id_').every((i) => i.unique)).toBe(true);
    } finally {
      await stopTestApp();
    }
  },
);

ferretIt(
  'an exact _id among other conditions still goes through the _id index, and the other conditions still apply',
  async () => {
    const db = client.db(config().DB_NAME);
    const col = db.collection<{ _id: string; rev: number }>('idx_multi');
    await col.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `m${n}`, rev: n % 3 })));
    const plan = planText(await col.find({ _id: 'm7', rev: 1 }).explain());
    expect(plan).toMatch(/USING INDEX/);
    expect(plan).not.toMatch(/SCAN/);
    expect(await col.findOne({ _id: 'm7', rev: 1 })).toEqual({ _id: 'm7', rev: 1 });
    expect(await col.findOne({ _id: 'm7', rev: 2 })).toBeNull();
    expect((await col.updateOne({ _id: 'm8', rev: 0 }, { $inc: { rev: 10 } })).modifiedCount).toBe(0);
    expect((await col.updateOne({ _id: 'm8', rev: 2 }, { $inc: { rev: 10 } })).modifiedCount).toBe(1);
    expect((await col.deleteOne({ _id: 'm9', rev: 1 })).deletedCount).toBe(0);
    expect(await col.countDocuments({})).toBe(50);
  },
);

ferretIt('reports atomic read-modify-write in buildInfo, which the app checks', async () => {
  const info = await client.db(config().DB_NAME).admin().command({ buildInfo: 1 });
  expect(info.ferretdbFeatures?.atomicReadModifyWrite).toBe(true);
});

ferretIt(
  'conditional updates are atomic: of many writers with the same condition exactly one wins, per command kind',
  async () => {
    const db = client.db(config().DB_NAME);
    const col = db.collection<{ _id: string; rev: number; by?: number }>('rmw');
    const rounds = 10;
    const writers = 16;
    const winners = { findAndModify: 0, update: 0, delete: 0 };
    for (let r = 0; r < rounds; r++) {
      await col.insertMany([
        { _id: `f${r}`, rev: 0 },
        { _id: `u${r}`, rev: 0 },
        { _id: `d${r}`, rev: 0 },
      ]);
      const [fam, upd, del] = await Promise.all([
        Promise.all(
          Array.from({ length: writers }, (_, i) =>
            col.findOneAndUpdate({ _id: `f${r}`, rev: 0 }, { $inc: { rev: 1 }, $set: { by: i } }),
          ),
        ),
        Promise.all(
          Array.from({ length: writers }, (_, i) =>
            col.updateOne({ _id: `u${r}`, rev: 0 }, { $inc: { rev: 1 }, $set: { by: i } }),
          ),
        ),
        // A delete racing conditional updates: either the delete wins (and no update), or one update wins (and no delete).
        Promise.all([
          col.deleteOne({ _id: `d${r}`, rev: 0 }),
          ...Array.from({ length: writers - 1 }, (_, i) =>
            col.updateOne({ _id: `d${r}`, rev: 0 }, { $inc: { rev: 1 }, $set: { by: i } }),
          ),
        ]),
      ]);
      winners.findAndModify += fam.filter(Boolean).length;
      winners.update += upd.filter((x) => x.modifiedCount === 1).length;
      const [deleted, ...updated] = del as [mongoose.mongo.DeleteResult, ...mongoose.mongo.UpdateResult[]];
      winners.delete += deleted.deletedCount + updated.filter((x) => x.modifiedCount === 1).length;
      expect((await col.findOne({ _id: `f${r}` }))?.rev).toBe(1);
      expect((await col.findOne({ _id: `u${r}` }))?.rev).toBe(1);
    }
    expect(winners).toEqual({ findAndModify: rounds, update: rounds, delete: rounds });
  },
);

ferretIt('a multi-document update still excludes every single-document writer of the collection', async () => {
  const db = client.db(config().DB_NAME);
  const col = db.collection<{ _id: string; n: number }>('rmw_multi');
  await col.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: `x${i}`, n: 0 })));
  // Each single-document writer adds 2 only while n is still 0; the collection-wide one adds 1 to all.
  const [, ...singles] = await Promise.all([
    col.updateMany({}, { $inc: { n: 1 } }),
    ...Array.from({ length: 20 }, (_, i) => col.updateOne({ _id: `x${i}`, n: 0 }, { $inc: { n: 2 } })),
  ]);
  const byId = new Map((await col.find({}).toArray()).map((d) => [d._id, d.n]));
  // Per document: the single write came first (0 → 2 → 3) or the multi-update did (0 → 1, the single write then
  // misses). A lost update would show as a single write reported done on a document left at 1.
  singles.forEach((r, i) =>
    expect(byId.get(`x${i}`)).toBe((r as mongoose.mongo.UpdateResult).modifiedCount === 1 ? 3 : 1),
  );
});

ferretIt(
  'string and ObjectId equalities narrowed in SQL still find, update and delete exactly what MongoDB would',
  async () => {
    const db = client.db(config().DB_NAME);
    type Row = { _id: number; q?: unknown; bank?: unknown; nested?: unknown; status?: string };
    const col = db.collection<Row>('text_pushdown');
    const bank = new ObjectId();
    await col.insertMany([
      { _id: 1, q: '2026-Q2', bank, status: 'approved' },
      { _id: 2, q: '2026-Q1', bank, status: 'approved' },
      { _id: 3, q: ['2026-Q1', '2026-Q2'], bank: new ObjectId(), status: 'approved' }, // an array holding it matches
      { _id: 4, q: [], bank: [bank], status: 'disputed' },
      { _id: 5, nested: { q: '2026-Q2' }, status: 'approved' }, // the same text one level down does not
      { _id: 6, q: '2026-Q2x', bank: bank.toHexString() }, // nor a longer string, nor the id's digits as text
      { _id: 7, q: '<a&b> "引导" \\ x', status: 'approved' },
      { _id: 8, q: 2026 },
    ]);
    const ids = async (filter: mongoose.mongo.Filter<Row>) =>
      (await col.find(filter).toArray()).map((d) => d._id).sort((a, b) => a - b);
    expect(await ids({ q: '2026-Q2' })).toEqual([1, 3]);
    expect(await ids({ bank })).toEqual([1, 2, 4]);
    expect(await ids({ q: '2026-Q2', bank })).toEqual([1]);
    expect(await ids({ q: '2026-Q1', status: { $in: ['approved'] } })).toEqual([2, 3]);
    expect(await ids({ q: '<a&b> "引导" \\ x' })).toEqual([7]);
    expect(await ids({ 'nested.q': '2026-Q2' })).toEqual([5]);
    expect(await col.countDocuments({ q: '2026-Q2' })).toBe(2);
    expect((await col.updateMany({ q: '2026-Q2', status: 'approved' }, { $set: { status: 'x' } })).modifiedCount).toBe(
      2,
    );
    expect((await col.deleteMany({ bank, status: 'approved' })).deletedCount).toBe(1);
    expect(await ids({})).toEqual([1, 3, 4, 5, 6, 7, 8]);
  },
);

ferretIt('a projection of top-level fields gives MongoDB’s documents and leaves the stored ones whole', async () => {
  const db = client.db(config().DB_NAME);
  const col = db.collection<Document & { _id: number }>('top_level_projection');
  const bank = new ObjectId();
  const stored = [
    { _id: 1, b: 'x', a: { deep: [1, { c: 'y' }] }, q: '2026-Q2', bank, skip: 'never shown' },
    { q: '2026-Q2', _id: 2, a: [], bank }, // _id not first, no b
    { _id: 3, q: '2026-Q1', bank, b: null },
  ];
  await col.insertMany(stored);
  const find = (projection: Document) => col.find({ bank }, { projection }).sort({ _id: 1 }).toArray();
  // _id first, then the fields in the document's own order, whatever order the projection names them in.
  const picked = await find({ q: 1, a: 1, b: 1 });
  expect(picked.map((d) => Object.keys(d))).toEqual([
    ['_id', 'b', 'a', 'q'],
    ['_id', 'q', 'a'],
    ['_id', 'q', 'b'],
  ]);
  expect(picked[0]).toEqual({ _id: 1, b: 'x', a: { deep: [1, { c: 'y' }] }, q: '2026-Q2' });
  expect(await find({ _id: 0, q: 1 })).toEqual([{ q: '2026-Q2' }, { q: '2026-Q2' }, { q: '2026-Q1' }]);
  // Dotted paths still go through upstream's projection.
  expect((await find({ 'a.deep': 1 }))[0]).toEqual({ _id: 1, a: { deep: [1, { c: 'y' }] } });
  // The projected documents share values with the read ones; what is stored is untouched.
  expect(await col.find({ bank }).sort({ _id: 1 }).toArray()).toEqual(stored);
});
