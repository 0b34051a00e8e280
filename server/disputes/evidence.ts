import type { Readable } from 'node:stream';
import type { RequestHandler } from 'express';
import { Types } from 'mongoose';
import type { Principal } from '../platform/access';
import { config } from '../platform/config';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { bucket } from '../evidence/bucket';
import { settleUpload } from '../evidence/pending';
import { discardStoredFile, type StoredFile } from '../evidence/storage';
import { evidenceUpload, type EvidenceUpload } from '../evidence/upload';
import { DisputeAttachment } from './model';
import { loadVisibleDispute, OPENER } from './service';
import { requireRole } from '../platform/access';

/**
 * Evidence a bank manager adds to an open dispute: the same checks and storage as visit evidence
 * (type by content, size limit, SHA-256, GridFS), one attachment document per file.
 */
export interface DisputeAttachmentResult {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

async function assertCanAttach(p: Principal, disputeId: string): Promise<void> {
  requireRole(p, OPENER);
  const d = await loadVisibleDispute(p, disputeId);
  if (d.status !== 'open')
    throw new ConflictError(`A dispute that is ${d.status} takes no more evidence`, 'invalid_state');
  const max = config().UPLOAD_MAX_FILES;
  if ((await DisputeAttachment.countDocuments({ disputeId: d._id })) >= max) {
    throw new ValidationError(
      [{ field: 'file', message: `a dispute may have at most ${max} attachments` }],
      'Too many attachments',
      'too_many_attachments',
    );
  }
}

export async function addDisputeAttachment(
  p: Principal,
  disputeId: string,
  file: StoredFile,
): Promise<DisputeAttachmentResult> {
  try {
    await assertCanAttach(p, disputeId); // again: the dispute may have been resolved while the file streamed in
    const a = await DisputeAttachment.create({
      disputeId: new Types.ObjectId(disputeId),
      fileId: file.fileId,
      filename: file.filename,
      contentType: file.contentType,
      size: file.size,
      sha256: file.sha256,
      uploadedBy: new Types.ObjectId(p.id),
      uploadedAt: new Date(),
    });
    await settleUpload(file.fileId);
    return { id: String(a._id), filename: a.filename, contentType: a.contentType, size: a.size, sha256: a.sha256 };
  } catch (e) {
    await discardStoredFile(file.fileId);
    throw e;
  }
}

export interface OpenedDisputeFile {
  stream: Readable;
  filename: string;
  contentType: string;
  size: number;
}

export async function openDisputeAttachment(
  p: Principal,
  disputeId: string,
  attachmentId: string,
): Promise<OpenedDisputeFile> {
  const d = await loadVisibleDispute(p, disputeId);
  const a = Types.ObjectId.isValid(attachmentId)
    ? await DisputeAttachment.findOne({ _id: attachmentId, disputeId: d._id }).lean()
    : null;
  if (!a) throw new NotFoundError('Attachment');
  return {
    stream: bucket().openDownloadStream(a.fileId),
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
  };
}

export type DisputeUpload = EvidenceUpload;

/** Multipart field `file`; role, scope, state and count are checked before any byte is read. */
export function disputeEvidenceUpload(): RequestHandler {
  return evidenceUpload({ kind: 'dispute', param: 'disputeId', assertCanAttach });
}
