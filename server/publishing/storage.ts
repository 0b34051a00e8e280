import crypto from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import { logger } from '../platform/logger';

/**
 * Report PDFs and snapshots live in GridFS (bucket `reports`). Every stored file carries the id of
 * its report in its metadata, so that the leftovers of an interrupted close can be found and removed.
 */
export const BUCKET = 'reports';
const CHUNK_BYTES = 255 * 1024;

/** One bucket per connection: a new bucket checks its indexes again on its first upload (two extra round trips). */
let cached: { db: mongoose.mongo.Db; bucket: mongoose.mongo.GridFSBucket } | undefined;

export function bucket(): mongoose.mongo.GridFSBucket {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  if (cached?.db !== db)
    cached = { db, bucket: new mongoose.mongo.GridFSBucket(db, { bucketName: BUCKET, chunkSizeBytes: CHUNK_BYTES }) };
  return cached.bucket;
}

export interface StoredBlob {
  fileId: Types.ObjectId;
  size: number;
  chunks: number;
  sha256: string;
}

export function sha256(buf: Buffer): string {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

export function storeBlob(
  buf: Buffer,
  filename: string,
  metadata: { reportId: string; scope: string; contentType: string },
): Promise<StoredBlob> {
  return new Promise((resolve, reject) => {
    const up = bucket().openUploadStream(filename, { metadata });
    up.once('error', reject);
    up.end(buf, () =>
      resolve({
        fileId: up.id as Types.ObjectId,
        size: buf.length,
        chunks: Math.ceil(buf.length / CHUNK_BYTES),
        sha256: sha256(buf),
      }),
    );
  });
}

export interface BlobInput {
  buf: Buffer;
  filename: string;
  metadata: { reportId: string; scope: string; contentType: string };
}

/**
 * Stores many files in GridFS's own layout (what openUploadStream writes) with one insert for their
 * descriptions and a few for their chunks, instead of two round trips per file: a large close writes
 * tens of thousands of small PDFs. Descriptions go first, so that whatever a crash leaves behind is
 * found (by its metadata) and removed by removeOrphans.
 */
export async function storeBlobs(items: BlobInput[]): Promise<StoredBlob[]> {
  const db = mongoose.connection.db as mongoose.mongo.Db;
  const now = new Date();
  const stored = items.map((it) => ({
    fileId: new Types.ObjectId(),
    size: it.buf.length,
    chunks: Math.ceil(it.buf.length / CHUNK_BYTES),
    sha256: sha256(it.buf),
  }));
  await db.collection(`${BUCKET}.files`).insertMany(
    items.map((it, i) => ({
      _id: stored[i].fileId,
      length: it.buf.length,
      chunkSize: CHUNK_BYTES,
      uploadDate: now,
      filename: it.filename,
      metadata: it.metadata,
    })),
    { ordered: true },
  );
  let batch: { files_id: Types.ObjectId; n: number; data: Buffer }[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length) await db.collection(`${BUCKET}.chunks`).insertMany(batch, { ordered: true });
    batch = [];
    bytes = 0;
  };
  for (const [i, it] of items.entries()) {
    for (let n = 0; n * CHUNK_BYTES < it.buf.length; n++) {
      const data = it.buf.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES);
      batch.push({ files_id: stored[i].fileId, n, data });
      bytes += data.length;
      // Well under the 48 MB a single database message may carry.
      if (bytes >= 8 * 1024 * 1024) await flush();
    }
  }
  await flush();
  return stored;
}

/** GridFS's indexes, as openUploadStream would create them (stores that bypass it call this once). */
export async function ensureBucketIndexes(): Promise<void> {
  const db = mongoose.connection.db as mongoose.mongo.Db;
  await db.collection(`${BUCKET}.files`).createIndex({ filename: 1, uploadDate: 1 });
  await db.collection(`${BUCKET}.chunks`).createIndex({ files_id: 1, n: 1 }, { unique: true });
}

export async function readBlob(fileId: Types.ObjectId | string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of bucket().openDownloadStream(new Types.ObjectId(String(fileId)))) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function openBlob(fileId: Types.ObjectId | string): mongoose.mongo.GridFSBucketReadStream {
  return bucket().openDownloadStream(new Types.ObjectId(String(fileId)));
}

/**
 * Removes a report's stored files that are not in `keep` (what a crashed run left half-recorded).
 * Only files older than `before` are touched, so a file being recorded right now is never taken.
 */
export async function removeOrphans(reportId: string, keep: ReadonlySet<string>, before: Date): Promise<number> {
  const files = await bucket()
    .find({ 'metadata.reportId': reportId, uploadDate: { $lt: before } }, { projection: { _id: 1 } })
    .toArray();
  let removed = 0;
  for (const f of files) {
    if (keep.has(String(f._id))) continue;
    try {
      await bucket().delete(f._id);
      removed += 1;
    } catch (e) {
      logger.warn({ err: e, fileId: String(f._id) }, 'could not remove an orphaned report file');
    }
  }
  return removed;
}
