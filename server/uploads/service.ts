import crypto from 'node:crypto';
import { Types } from 'mongoose';
import { removeStoredFile } from '../evidence/bucket';
import { noteUpload } from '../evidence/pending';
import { sniffType, SNIFF_BYTES, extensionOf } from '../evidence/sniff';
import { storeEvidence } from '../evidence/storage';
import type { Principal } from '../platform/access';
import { now } from '../platform/clock';
import { config } from '../platform/config';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { release, takeOverStale } from '../platform/db/write-claims';
import { AppError, ConflictError, NotFoundError, UnsupportedMediaTypeError } from '../platform/errors';
import { logger } from '../platform/logger';
import * as visits from '../visits/service';
import type { AttachmentResult } from '../visits/service';
import { UploadSession, type SessionDoc } from './model';
import { appendPieces, deletePieces, readPieces, storedBytes } from './pieces';
import { giveBackSlot, takeSlot } from './slots';
import type { CreateUploadInput } from './schema';

/**
 * Resumable uploads of visit evidence: a file sent in parts that survives a dropped connection.
 *
 * 1. The owner declares the file (name, size, optional type and item): every limit is checked here,
 *    before a byte is sent (413 size, 415 type, 422 item or room, 404/409 visit and state).
 * 2. PATCH parts at the offset where the stored bytes end (pieces.ts); another offset is 409 with the
 *    right one, a part already stored whole is answered as if stored again. After a drop the client
 *    asks (GET) how much arrived and sends the rest.
 * 3. Completion streams the pieces in order through the evidence store (content sniffing, size
 *    limit, EXIF read) into GridFS and attaches the file to the visit exactly once: the GridFS file
 *    id is chosen at creation, so a completion repeated — concurrently, after a crash, or later —
 *    finds the same attachment.
 * Nothing lives on one instance's disk or memory: sessions and pieces are documents, so any app
 * instance can take any part. Abandoned sessions are purged by housekeeping.
 */
export interface UploadView {
  id: string;
  visitId: string;
  name: string;
  size: number;
  offset: number;
  status: SessionDoc['status'];
  itemKey?: string;
  expiresAt: string;
  attachment?: AttachmentResult;
}

const resumeMs = () => config().UPLOAD_RESUME_HOURS * 3600_000;
/** A completion that has not finished in this time died with its process and may be taken over. */
const COMPLETION_LEASE_MS = 10 * 60_000;

function viewOf(s: SessionDoc, offset = s.offset): UploadView {
  return {
    id: s._id,
    visitId: String(s.visitId),
    name: s.name,
    size: s.size,
    offset: s.status === 'complete' ? s.size : offset,
    status: s.status,
    ...(s.itemKey ? { itemKey: s.itemKey } : {}),
    expiresAt: new Date(s.touchedAt.getTime() + resumeMs()).toISOString(),
    ...(s.attachment ? { attachment: s.attachment as unknown as AttachmentResult } : {}),
  };
}

/** Same owner and key, same id: a repeated create (a retry, a reloaded page) finds its session. */
function sessionIdFor(ownerId: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return crypto.randomBytes(16).toString('hex');
  return crypto.createHash('sha256').update(`${ownerId}\0${idempotencyKey}`).digest('hex').slice(0, 32);
}

function checkDeclared(input: CreateUploadInput): void {
  const max = config().UPLOAD_MAX_BYTES;
  if (input.size > max)
    throw new AppError(413, 'file_too_large', `A file may be at most ${max} bytes`, [
      { field: 'size', message: `at most ${max} bytes` },
    ]);
  if (input.contentType !== undefined && extensionOf(input.contentType.toLowerCase()) === 'bin')
    throw new AppError(415, 'unsupported_media_type', 'Evidence is photos, audio or PDF', [
      { field: 'contentType', message: 'not a type of evidence (photos, audio, PDF)' },
    ]);
}

async function loadSession(p: Principal, visitId: string, uploadId: string): Promise<SessionDoc> {
  const s = (await UploadSession.findById(uploadId).lean()) as SessionDoc | null;
  if (!s || String(s.ownerId) !== p.id || String(s.visitId) !== visitId) throw new NotFoundError('Upload');
  return s;
}

/** Starts (or, with the same Idempotency-Key, finds again) an upload of one file to an own visit. */
export async function createUpload(
  p: Principal,
  visitId: string,
  input: CreateUploadInput,
  idempotencyKey?: string,
): Promise<UploadView> {
  checkDeclared(input);
  await visits.assertCanAttachFor(p, visitId, input.itemKey);
  const _id = sessionIdFor(p.id, idempotencyKey);
  // A repeated declaration finds its upload (and its slot) again; only a new one needs a slot.
  const again = idempotencyKey ? await UploadSession.findById(_id, { _id: 1 }).lean() : null;
  if (again) return sameUpload(p, visitId, _id, input);
  const slot = await takeSlot(p.id, () => slotsInUse(p.id));
  const at = now();
  const doc = {
    _id,
    visitId: new Types.ObjectId(visitId),
    ownerId: new Types.ObjectId(p.id),
    name: input.name,
    size: input.size,
    itemKey: input.itemKey ?? null,
    fileId: new Types.ObjectId(),
    offset: 0,
    status: 'open' as const,
    slot,
    attachment: null,
    createdAt: at,
    touchedAt: at,
  };
  try {
    await UploadSession.collection.insertOne(doc as never);
    return viewOf(doc);
  } catch (e) {
    await giveBackSlot(slot);
    if (!isDuplicateKey(e)) throw e;
  }
  return sameUpload(p, visitId, _id, input);
}

/** The slots the owner's open uploads hold (read only when every slot looks taken). */
async function slotsInUse(ownerId: string): Promise<Set<string>> {
  const open = await UploadSession.find(
    { ownerId: new Types.ObjectId(ownerId), status: { $ne: 'complete' } },
    {
      slot: 1,
    },
  ).lean();
  return new Set(open.flatMap((s) => (s.slot ? [s.slot] : [])));
}

/** The upload an earlier declaration with the same key made: the same file, or 409. */
async function sameUpload(p: Principal, visitId: string, id: string, input: CreateUploadInput): Promise<UploadView> {
  const s = await loadSession(p, visitId, id).catch(() => null);
  if (!s || s.size !== input.size || s.name !== input.name || (s.itemKey ?? undefined) !== input.itemKey)
    throw new ConflictError('This Idempotency-Key started another upload', 'idempotency_key_reused');
  return viewOf(s, await storedBytes(s._id, s.offset));
}

/** The upload as stored now: after a dropped connection, the offset to resume from. */
export async function getUpload(p: Principal, visitId: string, uploadId: string): Promise<UploadView> {
  const s = await loadSession(p, visitId, uploadId);
  return viewOf(s, s.status === 'complete' ? s.size : await storedBytes(s._id, s.offset));
}

function assertOpen(s: SessionDoc): void {
  if (s.status !== 'open')
    throw new ConflictError('The upload is complete; nothing more can be added', 'upload_complete');
}

function checkHead(head: Buffer): void {
  if (!sniffType(head.subarray(0, SNIFF_BYTES)))
    throw new UnsupportedMediaTypeError(
      'Evidence is photos, audio or PDF (checked by content); this file is none of them',
      'unsupported_media_type',
    );
}

/**
 * Stores one part, which must start where the stored bytes end. A part that lies wholly within
 * what is stored (a retry whose answer was lost) stores nothing and answers the current state.
 * `length` is the request's Content-Length when it declared one.
 */
export async function appendPart(
  p: Principal,
  visitId: string,
  uploadId: string,
  part: { offset: number; length?: number; body: AsyncIterable<Buffer> },
): Promise<UploadView> {
  const s = await loadSession(p, visitId, uploadId);
  assertOpen(s);
  const stored = await storedBytes(s._id, s.offset);
  if (part.offset !== stored) {
    if (part.length !== undefined && part.offset < stored && part.offset + part.length <= stored)
      return viewOf(s, stored);
    throw new ConflictError(`${stored} bytes are stored; send the part that starts there`, 'offset_mismatch', [
      { field: 'offset', message: `must be ${stored}`, expected: stored },
    ]);
  }
  if (part.length !== undefined && part.offset + part.length > s.size)
    throw new AppError(413, 'beyond_declared_size', `The upload was declared as ${s.size} bytes`, [
      { field: 'offset', message: `this part ends at ${part.offset + part.length}, past ${s.size}` },
    ]);
  const end = await appendPieces(part.body, {
    sessionId: s._id,
    start: stored,
    size: s.size,
    checkHead,
    advanced: (to) => moveHint(s._id, to),
  });
  return viewOf(s, end);
}

/** The hint only ever moves forward along the chain; a lost update is healed by the next read of it. */
async function moveHint(id: string, to: number): Promise<void> {
  await UploadSession.updateOne({ _id: id, offset: { $lt: to } }, { $set: { offset: to, touchedAt: now() } });
}

/**
 * Turns the stored bytes into the visit's attachment, once: repeated or concurrent completions all
 * answer the same attachment (409 `upload_completing` while another one is still at work).
 */
export async function completeUpload(p: Principal, visitId: string, uploadId: string): Promise<AttachmentResult> {
  const s = await loadSession(p, visitId, uploadId);
  if (s.status === 'complete' && s.attachment) return s.attachment as unknown as AttachmentResult;
  const stored = await storedBytes(s._id, s.offset);
  if (stored !== s.size)
    throw new ConflictError(`${stored} of ${s.size} bytes are stored; send the rest first`, 'upload_incomplete', [
      { field: 'offset', message: `${stored} of ${s.size} bytes stored`, expected: stored },
    ]);
  const claim = await takeOverStale(`upload-complete:${s._id}`, COMPLETION_LEASE_MS, {
    expiresAt: new Date(Date.now() + resumeMs()),
  });
  if (!claim) throw new ConflictError('The upload is being completed; ask again in a moment', 'upload_completing');
  try {
    const attachment = (await visits.attachmentOfFile(p, visitId, s.fileId)) ?? (await attach(p, s, claim.retaken));
    await UploadSession.updateOne(
      { _id: s._id },
      { $set: { status: 'complete', attachment, offset: s.size, touchedAt: now(), slot: null } },
    );
    await giveBackSlot(s.slot);
    await deletePieces(s._id).catch((err) => logger.warn({ err, uploadId }, 'upload pieces left for housekeeping'));
    return attachment;
  } finally {
    await release(claim);
  }
}

async function attach(p: Principal, s: SessionDoc, retaken: boolean): Promise<AttachmentResult> {
  const visitId = String(s.visitId);
  // A completion that died half-way may have left part of the file: it is written again from the pieces.
  if (retaken) await removeStoredFile(s.fileId);
  await noteUpload(s.fileId, { kind: 'visit', id: visitId }).catch((e) => {
    if (!isDuplicateKey(e)) throw e;
  });
  const file = await storeEvidence(readPieces(s._id, s.size), s.name, { visitId, uploadedBy: p.id }, s.fileId);
  return visits.addAttachment(p, visitId, file, s.itemKey ?? undefined);
}

/**
 * Housekeeping: uploads untouched for UPLOAD_RESUME_HOURS are deleted with their pieces (a file
 * half-written by a dead completion is the evidence store's own purge); completed ones are kept as
 * long, so a late repeated completion still gets its attachment.
 */
export async function purgeAbandonedUploadSessions(at: Date): Promise<number> {
  const stale = (await UploadSession.find(
    { touchedAt: { $lt: new Date(at.getTime() - resumeMs()) } },
    { _id: 1, slot: 1 },
  ).lean()) as { _id: string; slot?: string | null }[];
  for (const s of stale) {
    await deletePieces(s._id);
    await UploadSession.deleteOne({ _id: s._id });
    await giveBackSlot(s.slot);
  }
  return stale.length;
}

/**
 * Cancels an open upload of the caller's own (the phone removes a file that was half sent): its
 * stored parts and the upload go, and its slot is given back. Idempotent: an upload already gone is
 * answered the same, as long as the visit is the caller's own (otherwise 404, like the other routes).
 * A completed upload is an attachment now (409 `upload_complete`: remove the attachment instead),
 * and one being completed cannot be cancelled under its feet (409 `upload_completing`).
 */
export async function cancelUpload(p: Principal, visitId: string, uploadId: string): Promise<void> {
  // Only an id this feature could have made can be "already gone"; anything else never existed.
  if (!/^[a-f0-9]{32}$/.test(uploadId)) throw new NotFoundError('Upload');
  const s = (await UploadSession.findById(uploadId).lean()) as SessionDoc | null;
  if (!s) return assertOwnVisit(p, visitId);
  if (String(s.ownerId) !== p.id || String(s.visitId) !== visitId) throw new NotFoundError('Upload');
  if (s.status === 'complete') throw uploadComplete();
  const claim = await takeOverStale(`upload-complete:${s._id}`, COMPLETION_LEASE_MS);
  if (!claim) throw new ConflictError('The upload is being completed; ask again in a moment', 'upload_completing');
  try {
    const fresh = (await UploadSession.findById(uploadId, { status: 1 }).lean()) as SessionDoc | null;
    if (fresh?.status === 'complete') throw uploadComplete();
    await UploadSession.deleteOne({ _id: s._id });
    await deletePieces(s._id);
    await giveBackSlot(s.slot);
  } finally {
    await release(claim);
  }
}

const uploadComplete = () =>
  new ConflictError('The upload is complete: it is an attachment now; remove that instead', 'upload_complete');

async function assertOwnVisit(p: Principal, visitId: string): Promise<void> {
  const v = await visits.getVisit(p, visitId);
  if (v.auditorId !== p.id) throw new NotFoundError('Visit');
}
