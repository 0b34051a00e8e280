import mongoose from 'mongoose';
import { config } from '../config';
import { startEmbeddedDb, type EmbeddedDb } from './embedded';
import { logger } from '../logger';

mongoose.set('strictQuery', true);
// Indexes are created explicitly at start-up (ensureIndexes) so that a failure is seen, not swallowed.
mongoose.set('autoIndex', false);

let embedded: EmbeddedDb | undefined;

/**
 * A database that went away must turn requests into quick 503s, not hang them. A stopped server is
 * noticed at the next operation; a hung one (process frozen, network gone: the socket stays open) only
 * by the driver's heartbeat, which then fails every operation waiting on it. With the driver's
 * defaults (a check every 10 s, 30 s to answer) that took up to 40 s (test/faults-db.test.ts).
 * Long queries are not cut short: there is no socket timeout.
 */
const CONNECTION_TIMEOUTS = { serverSelectionTimeoutMS: 5000, heartbeatFrequencyMS: 2000, connectTimeoutMS: 5000 };

export async function connectDb(): Promise<{ uri: string; embedded: boolean }> {
  const cfg = config();
  let uri = cfg.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedDb({
      binary: cfg.FERRETDB_BIN,
      dataDir: cfg.DATA_DIR,
      port: cfg.FERRETDB_PORT,
      dbName: cfg.DB_NAME,
    });
    uri = embedded.uri;
    logger.info({ port: embedded.port, owned: embedded.owned }, 'embedded FerretDB ready');
  }
  await mongoose.connect(uri, { dbName: cfg.DB_NAME, ...CONNECTION_TIMEOUTS });
  features = await detectFeatures();
  logger.info(features, 'database features');
  await ensureIndexes();
  return { uri, embedded: Boolean(embedded) };
}

export interface DbFeatures {
  /** FerretDB rather than MongoDB: only unique indexes are worth keeping (see ensureIndexes). */
  ferretDb: boolean;
  /**
   * An update or findAndModify whose filter has conditions besides _id (a revision, a status) is
   * applied atomically: two writers with the same condition cannot both win. True on MongoDB and on
   * the embedded FerretDB as this project builds it (tools/ferretdb/build.sh); false on a stock
   * FerretDB 1.24, which reads and writes back in separate steps — writers then need another arbiter.
   */
  atomicConditionalUpdates: boolean;
}

/** Until connected, assume the weakest server. */
let features: DbFeatures = { ferretDb: true, atomicConditionalUpdates: false };

export function dbFeatures(): Readonly<DbFeatures> {
  return features;
}

/** For tests that exercise the code path of another kind of server on the one they have. */
export function overrideDbFeatures(change: Partial<DbFeatures>): () => void {
  const before = features;
  features = { ...features, ...change };
  return () => {
    features = before;
  };
}

async function detectFeatures(): Promise<DbFeatures> {
  const info = await mongoose.connection.db?.admin().command({ buildInfo: 1 });
  const ferretDb = typeof info?.ferretdbVersion === 'string';
  const patched =
    (info?.ferretdbFeatures as { atomicReadModifyWrite?: unknown } | undefined)?.atomicReadModifyWrite === true;
  return { ferretDb, atomicConditionalUpdates: !ferretDb || patched };
}

/**
 * FerretDB 1.24 (the embedded database) answers every query without secondary indexes: it pushes down
 * only an exact {_id} filter and sorts in memory. There a non-unique index is pure cost — each insert and
 * update re-extracts its fields from the document's JSON — so only unique indexes (which enforce rules)
 * are kept. MongoDB gets every index the schemas declare.
 */
export async function ensureIndexes(): Promise<void> {
  const uniqueOnly = (await detectFeatures()).ferretDb;
  // The collections are independent: all at once, so a start-up (and every test file's fresh database)
  // waits for the slowest collection rather than for the ~45 round trips one after the other.
  await Promise.all(Object.values(mongoose.models).map((model) => ensureIndexesOf(model, uniqueOnly)));
}

async function ensureIndexesOf(model: mongoose.Model<unknown>, uniqueOnly: boolean): Promise<void> {
  await model.createCollection().catch(() => undefined);
  if (!uniqueOnly) {
    await model.createIndexes();
    return;
  }
  for (const [fields, options] of model.schema.indexes()) {
    if (options?.unique)
      await model.collection.createIndex(
        fields as Record<string, 1 | -1>,
        options as mongoose.mongo.CreateIndexesOptions,
      );
  }
  const existing = await model.collection.indexes();
  for (const index of existing) {
    if (index.name && index.name !== '_id_' && !index.unique) await model.collection.dropIndex(index.name);
  }
}

export async function disconnectDb(): Promise<void> {
  await mongoose.disconnect();
  if (embedded) {
    await embedded.stop();
    embedded = undefined;
  }
}

export async function pingDb(): Promise<boolean> {
  try {
    const db = mongoose.connection.db;
    if (!db || mongoose.connection.readyState !== 1) return false;
    await db.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
