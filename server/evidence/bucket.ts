import { Readable } from 'node:stream';
import mongoose, { type Types } from 'mongoose';

/**
 * The GridFS bucket evidence files live in (`evidence`, 255 KB chunks). Storing (storage.ts), the
 * upload notes (pending.ts) and every download open files here; what a file is evidence of is
 * recorded by its holder (a visit's attachment, a dispute's), never here.
 */
export const BUCKET = 'evidence';
const CHUNK_BYTES = 255 * 1024;

function database(): mongoose.mongo.Db {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  return db;
}

export function bucket(): mongoose.mongo.GridFSBucket {
  return new mongoose.mongo.GridFSBucket(database(), { bucketName: BUCKET, chunkSizeBytes: CHUNK_BYTES });
}

/** Chunks first: a file document without chunks is still found (and removed) by its upload note. */
export async function removeStoredFile(fileId: Types.ObjectId): Promise<void> {
  const db = database();
  await db.collection(`${BUCKET}.chunks`).deleteMany({ files_id: fileId });
  await db.collection(`${BUCKET}.files`).deleteOne({ _id: fileId });
}

/** Chunks fetched per round trip when a file is read: about 1 MB held per download, whatever the file's size. */
const CHUNKS_PER_BATCH = 4;

async function* chunksOf(fileId: Types.ObjectId): AsyncGenerator<Buffer> {
  // One query for the whole file (on FerretDB any filter but _id scans, so never one per chunk), read a few
  // chunks at a time: the driver's GridFS stream takes the server's default first batch (101 chunks, 25 MB).
  const cursor = database()
    .collection(`${BUCKET}.chunks`)
    .find({ files_id: fileId }, { sort: { n: 1 }, batchSize: CHUNKS_PER_BATCH, projection: { n: 1, data: 1 } });
  let expected = 0;
  try {
    for await (const c of cursor) {
      if (c.n !== expected) throw new Error(`evidence file ${String(fileId)}: chunk ${expected} missing`);
      expected++;
      const data = c.data as mongoose.mongo.Binary;
      yield Buffer.from(data.buffer.buffer, data.buffer.byteOffset, data.position);
    }
    if (expected === 0) throw new Error(`evidence file ${String(fileId)} has no stored bytes`);
  } finally {
    await cursor.close();
  }
}

/** A stored file as a stream, in order, holding only a few chunks at a time (the download of evidence). */
export function openStoredFile(fileId: Types.ObjectId): Readable {
  return Readable.from(chunksOf(fileId), { objectMode: false });
}
