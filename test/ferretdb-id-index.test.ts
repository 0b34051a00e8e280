import mongoose from 'mongoose';
import { config } from '../server/core/config';

/**
 * The embedded FerretDB is built with one fix (scripts/build-ferretdb.sh): its SQLite backend must look
 * documents up by `_id` through the unique _id index. Unpatched, it scans and parses the whole collection,
 * which made every read and write by id cost time proportional to the collection.
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

ferretIt('keeps only unique indexes on FerretDB, where secondary indexes serve no query and slow every write', async () => {
  const { startTestApp, stopTestApp } = await import('./helpers/app');
  const { Visit } = await import('../server/visits/model');
  await startTestApp();
  try {
    await Visit.collection.createIndex({ status: 1 }); // as an older version of the app left it
    const { ensureIndexes } = await import('../server/core/db');
    await ensureIndexes();
    const indexes = await Visit.collection.indexes();
    expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'assignmentId_1', 'auditorId_1_idempotencyKey_1']);
    expect(indexes.filter((i) => i.name !== '_id_').every((i) => i.unique)).toBe(true);
  } finally {
    await stopTestApp();
  }
});
