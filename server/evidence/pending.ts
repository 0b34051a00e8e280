import { Schema, Types, model } from 'mongoose';
import { logger } from '../platform/logger';
import { removeStoredFile } from './bucket';

/**
 * Uploads in flight. A file is streamed into GridFS chunk by chunk and recorded by its holder (the
 * visit or dispute it is for) only at the end, so a process that dies in between leaves chunks (or a
 * whole file) nothing refers to. Each upload is noted here before its first byte is stored, under the
 * file's id, and the note goes once the file is attached or discarded. Housekeeping removes what a
 * stale note points to — unless its holder holds the file (the process died after attaching it,
 * before removing the note); whether it does is the holder's feature's answer, asked by the caller.
 */
const pendingUploadSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true }, // the GridFS file id
    // What the file is for: the kind of holder ('visit', 'dispute') and its id.
    holder: { type: String, required: true },
    holderId: { type: Schema.Types.ObjectId, required: true },
    startedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
export const PendingUpload = model('PendingUpload', pendingUploadSchema, 'evidence_pending');

/** An upload request cannot outlive Node's request timeout (5 min); an hour-old note is a dead one's. */
export const ABANDONED_AFTER_MS = 3600_000;

/** What an upload is for: a kind of holder and its id (e.g. a visit, a dispute). */
export interface UploadHolder {
  kind: string;
  id: string;
}

/** Whether the holder has recorded the file as its own (then the file stays when its note is stale). */
export type HoldsFile = (holder: UploadHolder, fileId: Types.ObjectId) => Promise<boolean>;

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

/** Removes the files of stale notes that no holder holds, and the stale notes; the number of files removed. */
export async function purgeAbandonedUploads(now: Date, holdsFile: HoldsFile): Promise<number> {
  const stale = await PendingUpload.find({ startedAt: { $lt: new Date(now.getTime() - ABANDONED_AFTER_MS) } }).lean();
  let removed = 0;
  for (const note of stale) {
    if (!(await holdsFile({ kind: note.holder, id: String(note.holderId) }, note._id))) {
      await removeStoredFile(note._id);
      removed++;
    }
    await PendingUpload.deleteOne({ _id: note._id });
  }
  if (stale.length)
    logger.info({ notes: stale.length, filesRemoved: removed }, 'abandoned evidence uploads cleaned up');
  return removed;
}
