import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedDb } from '../../server/platform/db/embedded';

/**
 * One real FerretDB for the whole run, on a free port with a throwaway data folder; every test file
 * then uses its own database inside it (see per-file.ts). MONGODB_URI set by the caller wins.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_MONGODB_URI) {
    process.env.TEST_DB_URI = process.env.TEST_MONGODB_URI;
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-test-db-'));
  const port = await freePort();
  const binary = process.env.FERRETDB_BIN ?? path.resolve(__dirname, '..', '..', '.tools', 'bin', 'ferretdb');
  const db = await startEmbeddedDb({ binary, dataDir, port, dbName: 'test' });
  process.env.TEST_DB_URI = `mongodb://127.0.0.1:${port}/`;
  process.env.TEST_DB_DATA_DIR = dataDir;
  process.env.TEST_FERRETDB_BIN = binary;
  (globalThis as { __testDb?: { stop(): Promise<void>; dataDir: string } }).__testDb = { stop: db.stop, dataDir };
}
