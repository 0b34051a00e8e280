import type { Readable } from 'node:stream';
import type { RequestHandler } from 'express';
import { Types } from 'mongoose';
import { openStoredFile } from '../evidence/bucket';
import { settleUpload } from '../evidence/pending';
import { discardStoredFile, type StoredFile } from '../evidence/storage';
import { evidenceUpload } from '../evidence/upload';
import { isBankRole, type Principal } from '../platform/access';
import { now } from '../platform/clock';
import { config } from '../platform/config';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { logger } from '../platform/logger';
import { DateTime } from 'luxon';
import { metadataFilter, UNSTRIPPABLE_IMAGES } from '../evidence/strip';
import { bankTimezone } from '../banks/service';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import { FLAG, type Flag } from './flags';
import { loadVisibleVisit } from './queries';
import { assertStatus, derive, historyEntry, sectionsOf } from './rules';
import { commit, loadOwnVisit, loadVisit, retryPause } from './store';
import { EDITABLE, type StoredAttachment, type StoredVisit } from './types';
import { neutralName, toVisitViews, type VisitView } from './view';

/**
 * Evidence attached to visits. Attachments are never deleted: removal only marks `removedAt`, and
 * the file stays stored. A file identical (same SHA-256) to one on another visit flags both visits.
 */
export interface AttachmentResult {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  itemKey?: string;
  capturedAt?: string;
}

/** The form field `itemKey` (optional): the item of the visit's questionnaire the file is evidence for. */
async function checkItemKey(v: StoredVisit, itemKey: unknown): Promise<string | undefined> {
  if (itemKey === undefined || itemKey === null || itemKey === '') return undefined;
  const known =
    typeof itemKey === 'string' && (await sectionsOf(v)).some((s) => s.items.some((i) => i.key === itemKey));
  if (!known)
    throw new ValidationError([
      { field: 'itemKey', message: `no item "${String(itemKey)}" in the visit's questionnaire` },
    ]);
  return itemKey as string;
}

const active = (v: StoredVisit) => v.attachments.filter((a) => !a.removedAt);

function assertRoom(v: StoredVisit): void {
  const max = config().UPLOAD_MAX_FILES;
  if (active(v).length >= max) {
    throw new ValidationError(
      [{ field: 'file', message: `a visit may have at most ${max} attachments` }],
      'Too many attachments',
      'too_many_attachments',
    );
  }
}

/** Checked before any byte is read, so that a refused upload is not streamed and stored first. */
async function assertCanAttach(p: Principal, visitId: string): Promise<void> {
  const v = await loadOwnVisit(p.id, visitId);
  assertStatus(v, EDITABLE, 'given attachments');
  assertRoom(v);
}

/**
 * Whether the caller may attach a file naming `itemKey` to the visit now (owner, draft/returned, room
 * left, a known item): asked before a resumable upload starts, so its limits are known up front.
 */
export async function assertCanAttachFor(p: Principal, visitId: string, itemKey?: unknown): Promise<void> {
  const v = await loadOwnVisit(p.id, visitId);
  assertStatus(v, EDITABLE, 'given attachments');
  assertRoom(v);
  await checkItemKey(v, itemKey);
}

function resultOf(a: StoredAttachment): AttachmentResult {
  return {
    id: String(a._id),
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    ...(a.itemKey ? { itemKey: a.itemKey } : {}),
    ...(a.capturedAt ? { capturedAt: a.capturedAt.toISOString() } : {}),
  };
}

/** The attachment already made of a stored file (a completion repeated after a crash), if any. */
export async function attachmentOfFile(
  p: Principal,
  visitId: string,
  fileId: Types.ObjectId,
): Promise<AttachmentResult | null> {
  const v = await loadOwnVisit(p.id, visitId);
  const a = v.attachments.find((x) => x.fileId.equals(fileId));
  return a ? resultOf(a) : null;
}

/** Multipart field `file`: one evidence file for the visit of the route, streamed into storage. */
export function visitEvidenceUpload(): RequestHandler {
  return evidenceUpload({ kind: 'visit', param: 'visitId', assertCanAttach });
}

/**
 * Records a stored file on the visit. Attaching is commutative, so a race with another change of
 * the same visit (parallel uploads from a phone) is retried on fresh data instead of refused.
 * If the file cannot be attached it is discarded — it never was evidence of anything.
 */
export async function addAttachment(
  p: Principal,
  visitId: string,
  file: StoredFile,
  itemKeyField?: unknown,
): Promise<AttachmentResult> {
  let attached: StoredVisit | undefined;
  let attachment: StoredAttachment | undefined;
  try {
    for (let attempt = 0; attempt < 5 && !attached; attempt++) {
      if (attempt) await retryPause(attempt);
      const v = await loadOwnVisit(p.id, visitId);
      // The same stored file attached already (a resumable upload completed twice): that attachment.
      const same = v.attachments.find((a) => a.fileId.equals(file.fileId));
      if (same) {
        await settleUpload(file.fileId);
        return resultOf(same);
      }
      assertStatus(v, EDITABLE, 'given attachments');
      assertRoom(v);
      const itemKey = await checkItemKey(v, itemKeyField);
      attachment = {
        _id: new Types.ObjectId(),
        fileId: file.fileId,
        filename: file.filename,
        contentType: file.contentType,
        size: file.size,
        sha256: file.sha256,
        ...(itemKey ? { itemKey } : {}),
        uploadedAt: now(),
        uploadedBy: new Types.ObjectId(p.id),
        ...(await captureFacts(file, String(v.bankId))),
      };
      const { flags } = await derive({ ...v, attachments: [...v.attachments, attachment] }, await sectionsOf(v));
      const change = {
        field: 'attachments',
        before: null,
        after: {
          id: String(attachment._id),
          filename: file.filename,
          sha256: file.sha256,
          size: file.size,
          ...(itemKey ? { itemKey } : {}),
        },
      };
      attached = await commit(v, {
        statuses: EDITABLE,
        ownerId: p.id,
        set: { flags },
        push: { attachments: attachment },
        entry: historyEntry(p, 'attachment_added', [change]),
      }).catch((e) => {
        if (e instanceof ConflictError && e.code === 'conflict') return undefined;
        throw e;
      });
    }
    if (!attached || !attachment) throw new ConflictError('The visit kept changing; try the upload again', 'conflict');
  } catch (e) {
    await discardStoredFile(file.fileId);
    throw e;
  }
  await settleUpload(file.fileId);
  await flagOtherHolders(attached);
  return resultOf(attachment);
}

/** The photo's EXIF capture time read in its own offset, or else in the bank's zone (SPEC §9); its GPS. */
async function captureFacts(file: StoredFile, bankId: string): Promise<Partial<StoredAttachment>> {
  const { capturedLocal, capturedOffset, gps } = file.facts;
  const zone = capturedOffset ? `UTC${capturedOffset}` : ((await bankTimezone(bankId)) ?? DEFAULT_TIMEZONE);
  const at = capturedLocal ? DateTime.fromISO(capturedLocal, { zone }) : null;
  return {
    ...(at?.isValid ? { capturedAt: at.toJSDate() } : {}),
    ...(gps ? { gps } : {}),
  };
}

/** The other visits holding the same file get the duplicate flag too. */
async function flagOtherHolders(v: StoredVisit): Promise<void> {
  const dup = v.flags.find((f) => f.code === FLAG.duplicateEvidence);
  for (const other of dup?.visitIds ?? []) {
    await refreshFlags(
      new Types.ObjectId(other),
      'a file identical to one of this visit was attached to another visit',
    );
  }
}

function sameFlags(a: Flag[], b: Flag[]): boolean {
  const norm = (f: Flag[]) =>
    JSON.stringify(f.map((x) => ({ code: x.code, message: x.message, visitIds: x.visitIds ?? null })));
  return norm(a) === norm(b);
}

/**
 * Re-derives another visit's flags after something outside it changed (a file identical to one of
 * its own was attached elsewhere). Recorded in its history as a system change; retried on a race.
 */
async function refreshFlags(visitId: Types.ObjectId, reason: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt) await retryPause(attempt);
    const v = await loadVisit(String(visitId));
    if (!v) return;
    const { flags } = await derive(v, await sectionsOf(v));
    if (sameFlags(v.flags, flags)) return;
    try {
      await commit(v, {
        statuses: [v.status],
        set: { flags },
        entry: historyEntry(
          null,
          'flags_updated',
          [{ field: 'flags', before: v.flags.map((f) => f.code), after: flags.map((f) => f.code) }],
          reason,
        ),
      });
      return;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
  logger.warn({ visitId: String(visitId) }, 'could not refresh visit flags after 5 attempts');
}

/** Marks an attachment removed (the file is kept); the whole array is rewritten, with no positional update. */
export async function removeAttachment(p: Principal, visitId: string, attachmentId: string): Promise<VisitView> {
  const v = await loadOwnVisit(p.id, visitId);
  const target = v.attachments.find((a) => String(a._id) === attachmentId);
  if (!target) throw new NotFoundError('Attachment');
  assertStatus(v, EDITABLE, 'changed');
  if (target.removedAt) throw new ConflictError('The attachment is already removed', 'already_removed');
  const at = now();
  const attachments = v.attachments.map((a) => (a === target ? { ...a, removedAt: at } : a));
  const change = { field: `attachments.${attachmentId}.removedAt`, before: null, after: at.toISOString() };
  const updated = await commit(v, {
    statuses: EDITABLE,
    ownerId: p.id,
    set: { attachments },
    entry: historyEntry(p, 'attachment_removed', [change]),
  });
  return (await toVisitViews([updated], p))[0];
}

export interface OpenedAttachment {
  stream: Readable;
  filename: string;
  contentType: string;
  /** Unknown (sent chunked) when metadata is removed on the way. */
  size?: number;
}

/**
 * Anyone who may see the visit may download its evidence; bank users only files still attached.
 * Reviewers, admins and the auditor get the original byte for byte. Bank users get images without
 * their metadata (EXIF, XMP, GPS, maker notes: strip.ts, streamed) under a neutral name
 * ("evidence-3.jpg"); a HEIC photo, whose metadata is not removed here, is not served to them.
 */
export async function openAttachment(p: Principal, visitId: string, attachmentId: string): Promise<OpenedAttachment> {
  const v = await loadVisibleVisit(p, visitId);
  const a = v.attachments.find((x) => String(x._id) === attachmentId);
  const bankUser = isBankRole(p.role);
  if (!a || (a.removedAt && bankUser)) throw new NotFoundError('Attachment');
  const original = openStoredFile(a.fileId);
  if (!bankUser) return { stream: original, filename: a.filename, contentType: a.contentType, size: a.size };
  if (UNSTRIPPABLE_IMAGES.has(a.contentType)) {
    original.destroy();
    throw new NotFoundError('Attachment');
  }
  const filter = metadataFilter(a.contentType);
  return {
    stream: filter ? original.pipe(filter) : original,
    filename: neutralName(v, a),
    contentType: a.contentType,
    ...(filter ? {} : { size: a.size }),
  };
}
