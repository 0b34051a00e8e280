import { Schema, Types, model } from 'mongoose';
import { logger } from '../platform/logger';
import { DisputeAttachment } from '../disputes/model';
import { Visit } from '../visits/model';
import { BUCKET } from './storage';

/**
 * Uploads in flight. A file is streamed into GridFS chunk by chunk and recorded on its visit only at
 * the end, so a process that dies in between leaves chunks (or a whole file) nothing refers to. Each
 * upload is noted here before its first byte is stored, under the file's id, and the note goes once
 * the file is attached or discarded. Housekeeping removes what a stale note points to — unless its
 * visit or dispute holds the file (the process died after attaching it, before removing the note).
 */
const pendingUploadSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true }, // the GridFS file id
    // What the file is for: a visit (attachments[].fileId) or a dispute (a DisputeAttachment).
    holder: { type: String, enum: ['visit', 'dispute'], required: true },
    holderId: { type: Schema.Types.ObjectId, required: true },
    startedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
export const PendingUpload = model('PendingUpload', pendingUploadSchema, 'evidence_pending');

/** An upload request cannot outlive Node's request timeout (5 min); an hour-old note is a dead one's. */
export const ABANDONED_AFTER_MS = 3600_000;

export interface UploadHolder {
  kind: 'visit' | 'dispute';
  id: string;
}

export async function noteUpload(fileId: Types.ObjectId, holder: UploadHolder): Promise<void> {
  await PendingUpload.create({
    _id: fileId,
    holder: holder.kind,
    holderId: new Types.ObjectId(holder.id),
    startedAt: new Date(),
  });
}

/** The file is attached, or nothing of it is stored any more. A note left behind only costs a check later. */
export async function settleUpload(fileId: Types.ObjectId): Promise<void> {
  await PendingUpload.deleteOne({ _id: fileId }).catch((err) =>
    logger.warn({ err, fileId: String(fileId) }, 'could not remove an upload note'),
  );
}

/** Chunks first: a file document without chunks is still found (and removed) by its note. */
export async function removeStoredFile(fileId: Types.ObjectId): Promise<void> {
  const db = Visit.db.db;
  if (!db) throw new Error('database not connected');
  await db.collection(`${BUCKET}.chunks`).deleteMany({ files_id: fileId });
  await db.collection(`${BUCKET}.files`).deleteOne({ _id: fileId });
}

export async function purgeAbandonedUploads(now = new Date()): Promise<number> {
  const stale = await PendingUpload.find({ startedAt: { $lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } }).lean();
  let removed = 0;
  for (const note of stale) {
    const held =
      note.holder === 'visit'
        ? await Visit.exists({ _id: note.holderId, 'attachments.fileId': note._id })
        : await DisputeAttachment.exists({ fileId: note._id, disputeId: note.holderId });
    if (!held) {
      await removeStoredFile(note._id);
      removed++;
    }
    await PendingUpload.deleteOne({ _id: note._id });
  }
  if (stale.length)
    logger.info({ notes: stale.length, filesRemoved: removed }, 'abandoned evidence uploads cleaned up');
  return removed;
}
