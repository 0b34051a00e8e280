import mongoose from 'mongoose';
import { config } from './config';
import { startEmbeddedDb, type EmbeddedDb } from './ferretdb';
import { logger } from './logger';

mongoose.set('strictQuery', true);
// Indexes are created explicitly at start-up (ensureIndexes) so that a failure is seen, not swallowed.
mongoose.set('autoIndex', false);

let embedded: EmbeddedDb | undefined;

export async function connectDb(): Promise<{ uri: string; embedded: boolean }> {
  const cfg = config();
  let uri = cfg.MONGODB_URI;
  if (!uri) {
    embedded = await startEmbeddedDb({ binary: cfg.FERRETDB_BIN, dataDir: cfg.DATA_DIR, port: cfg.FERRETDB_PORT, dbName: cfg.DB_NAME });
    uri = embedded.uri;
    logger.info({ port: embedded.port, owned: embedded.owned }, 'embedded FerretDB ready');
  }
  await mongoose.connect(uri, { dbName: cfg.DB_NAME, serverSelectionTimeoutMS: 5000 });
  await ensureIndexes();
  return { uri, embedded: Boolean(embedded) };
}

export async function ensureIndexes(): Promise<void> {
  for (const model of Object.values(mongoose.models)) {
    await model.createCollection().catch(() => undefined);
    await model.createIndexes();
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
