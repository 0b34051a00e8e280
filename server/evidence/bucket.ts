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
