import type { RequestHandler } from 'express';
import { Types } from 'mongoose';
import { bucket } from '../evidence/bucket';
import { settleUpload } from '../evidence/pending';
import { discardStoredFile, type StoredFile } from '../evidence/storage';
import { evidenceUpload } from '../evidence/upload';
import { requireRole, type Principal } from '../platform/access';
import { config } from '../platform/config';
import type { Download } from '../platform/http/download';
import { NotFoundError, ValidationError } from '../platform/errors';
import { CalibrationRound } from './model';
import { ROUND_MANAGERS, visibleRound } from './rounds';

/**
 * The case's evidence (SPEC §12: "a written scenario with its evidence: recordings, photos"): added
 * by an admin with the same checks and storage as visit evidence, one `$push` on the round; read by
 * whoever may see the round (invited auditors included).
 */
export interface RoundAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

async function assertCanAttach(p: Principal, roundId: string): Promise<void> {
  requireRole(p, ROUND_MANAGERS);
  const r = await visibleRound(p, roundId);
  const max = config().UPLOAD_MAX_FILES;
  const count = (await CalibrationRound.findById(r._id, { attachments: 1 }).lean())?.attachments?.length ?? 0;
  if (count >= max)
    throw new ValidationError(
      [{ field: 'file', message: `a calibration round may have at most ${max} attachments` }],
      'Too many attachments',
      'too_many_attachments',
    );
}

/** Multipart field `file`; role and count are checked before any byte is read. */
export function roundEvidenceUpload(): RequestHandler {
  return evidenceUpload({ kind: 'calibration', param: 'calibrationId', assertCanAttach });
}

export async function addRoundAttachment(p: Principal, roundId: string, file: StoredFile): Promise<RoundAttachment> {
  try {
    await assertCanAttach(p, roundId);
    const _id = new Types.ObjectId();
    const a = {
      _id,
      fileId: file.fileId,
      filename: file.filename,
      contentType: file.contentType,
      size: file.size,
      sha256: file.sha256,
      uploadedBy: new Types.ObjectId(p.id),
      uploadedAt: new Date(),
    };
    await CalibrationRound.updateOne({ _id: roundId }, { $push: { attachments: a } });
    await settleUpload(file.fileId);
    return { id: String(_id), filename: a.filename, contentType: a.contentType, size: a.size, sha256: a.sha256 };
  } catch (e) {
    await discardStoredFile(file.fileId);
    throw e;
  }
}

export async function openRoundAttachment(p: Principal, roundId: string, attachmentId: string): Promise<Download> {
  const r = await visibleRound(p, roundId);
  const doc = await CalibrationRound.findById(r._id, { attachments: 1 }).lean();
  const a = doc?.attachments?.find((x) => String(x._id) === attachmentId);
  if (!a) throw new NotFoundError('Attachment');
  return {
    stream: bucket().openDownloadStream(a.fileId),
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
  };
}

/** Whether a round holds this file (housekeeping of uploads that never settled). */
export async function holdsEvidenceFile(roundId: string, fileId: Types.ObjectId): Promise<boolean> {
  if (!Types.ObjectId.isValid(roundId)) return false;
  return Boolean(await CalibrationRound.exists({ _id: roundId, 'attachments.fileId': fileId }));
}
