import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const db = (globalThis as { __testDb?: { stop(): Promise<void>; dataDir: string } }).__testDb;
  if (!db) return;
  await db.stop();
  fs.rmSync(db.dataDir, { recursive: true, force: true });
}
