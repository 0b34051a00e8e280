import { mongo, Types } from 'mongoose';
import { BoundedCache } from '../platform/cache';
import { now } from '../platform/clock';
import { dbFeatures } from '../platform/db/connection';
import { release, takeOverStale, tryClaim, type HeldClaim } from '../platform/db/write-claims';
import { AppError, ConflictError, NotFoundError } from '../platform/errors';
import { logger } from '../platform/logger';
import { mayChangeCounting, noteChange } from './changes';
import { workQueued } from '../platform/jobs/wakeup';
import { Visit } from './model';
import type { HistoryEntry, StoredAttachment, StoredVisit, VisitStatus } from './types';

/**
 * The one place that writes visit documents (and loads one to change it). Every write is a single
 * update of one document, conditional on `rev` (and the allowed statuses), that applies the change,
 * its derived scores and flags, and its history entry together — so a change is never recorded
 * without its history, and a concurrent change is refused rather than overwritten.
 */

export async function loadVisit(id: string): Promise<StoredVisit | null> {
  if (!Types.ObjectId.isValid(id)) return null;
  return Visit.findById(id).lean<StoredVisit>();
}

/** The caller's own visit, or 404 — a visit of someone else is indistinguishable from no visit. */
export async function loadOwnVisit(auditorId: string, id: string): Promise<StoredVisit> {
  const v = await loadVisit(id);
  if (!v || String(v.auditorId) !== auditorId) throw new NotFoundError('Visit');
  return rememberVisit(v);
}

// ---- this instance's last copies

/**
 * The last copy of each visit this instance wrote (or read to write), so that the auditor's next
 * autosave or submit need not read the visit again — a read decodes the whole document. Only a
 * starting point: every write is conditional on the copy's revision (see commit), so a copy made
 * stale by another instance is refused by the database, and the write is redone on a fresh read.
 * Used only where conditional updates are atomic. Entries are never modified; bounded, oldest out first.
 */
const lastCopies = new BoundedCache<string, StoredVisit>({ limit: 500 });

export function rememberVisit(v: StoredVisit): StoredVisit {
  // Frozen (top level) because the same object is handed to every later write of this visit here.
  lastCopies.set(String(v._id), Object.freeze(v));
  return v;
}

/** As a fresh instance would start (tests). */
export function forgetLastCopies(): void {
  lastCopies.clear();
}

/**
 * Runs a write on the caller's own visit: first on this instance's last copy, without reading; if that
 * attempt is refused for any reason (a stale copy shows as a conflict, a wrong status or a missing
 * answer), it is run once more on a fresh read, whose verdict stands. A write that finds nothing to
 * change on the kept copy must say so with `unconfirmed()`: only the database can confirm that.
 */
export async function withOwnVisit<T>(
  auditorId: string,
  id: string,
  write: (v: StoredVisit, kept: boolean) => Promise<T>,
): Promise<T> {
  const kept = dbFeatures().atomicConditionalUpdates ? lastCopies.get(id) : undefined;
  if (kept && String(kept.auditorId) === auditorId) {
    try {
      return await write(kept, true);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      lastCopies.delete(id);
    }
  }
  return write(await loadOwnVisit(auditorId, id), false);
}

/** "Nothing to change" judged on a kept copy, which may be stale: withOwnVisit reads and tries again. */
export function unconfirmed(): AppError {
  return new ConflictError('The kept copy of the visit needs confirming', 'unconfirmed_copy');
}

// ---- writing

type VisitDocument = StoredVisit & { __v: number };
/** The visits collection as the driver sees it, typed as stored, so that updates are checked by the compiler. */
const visits = () => Visit.collection as unknown as mongo.Collection<VisitDocument>;

/**
 * A new visit, inserted with the driver. Mongoose would build, cast and validate a document of some
 * thirty answer subdocuments on every insert — about a third of the create request's CPU — for a
 * document the service has built with the stored types (StoredVisit). test/visit-documents.test.ts
 * checks that every visit the API writes is exactly what Mongoose would have stored and passes its
 * schema's validation.
 */
export async function insertVisit(v: StoredVisit): Promise<StoredVisit> {
  await visits().insertOne({ ...v, __v: 0 }, { ignoreUndefined: true });
  return v;
}

/** Typed as stored: these writes go to the driver without Mongoose's casting (see insertVisit). */
export interface CommitOptions {
  statuses: readonly VisitStatus[];
  ownerId?: string;
  set: Partial<Omit<StoredVisit, '_id' | 'rev' | 'history' | 'createdAt' | 'updatedAt'>>;
  push?: { attachments: StoredAttachment };
  entry: HistoryEntry;
}

/** A short, jittered pause before retrying a lost race, so that retrying writers do not collide again at once. */
export function retryPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, attempt * 15 + Math.random() * 25));
}

const lostRace = () => new ConflictError('The visit was changed meanwhile; reload it and try again', 'conflict');

/**
 * Applies one change atomically: one update of the visit that also carries its history entry and
 * bumps `rev`, refused (409) if someone else wrote since the caller's copy was read. A write that may
 * change what the visit counts for is noted first (./changes.ts), for those who follow such changes.
 *
 * Where the database applies a conditional update atomically (dbFeatures) the update itself is the
 * arbiter: it matches only the revision, status and owner the caller read. Where it does not, a
 * revision claim decides instead (commitClaimed).
 */
export async function commit(v: StoredVisit, o: CommitOptions): Promise<StoredVisit> {
  const noted = mayChangeCounting(o.statuses, o.set.status);
  if (noted) await noteChange(v);
  const after = await (dbFeatures().atomicConditionalUpdates ? commitConditional(v, o) : commitClaimed(v, o));
  // The followers of this process (alerts, webhooks) start at once instead of at their next poll.
  if (noted) workQueued();
  return after;
}

/**
 * The visit's one update, sent with the driver: the values are typed as stored (CommitOptions), so
 * Mongoose's casting of the whole change (every answer, flag and score) would only repeat it.
 * `updatedAt` is set here as Mongoose's timestamps would.
 */
function changeOf(o: CommitOptions, at: Date): mongo.UpdateFilter<VisitDocument> {
  return { $set: { ...o.set, updatedAt: at }, $inc: { rev: 1 }, $push: { ...(o.push ?? {}), history: o.entry } };
}

/**
 * The visit as `changeOf` leaves it, worked out here instead of read back: where the update matched
 * the caller's revision the stored visit was the caller's copy (every write of a visit goes through
 * this module and bumps `rev`), so returning the document would only cost the database an encoding
 * and the app a decoding of the whole visit.
 */
function afterChange(v: StoredVisit, o: CommitOptions, at: Date): StoredVisit {
  const set = Object.fromEntries(Object.entries(o.set).filter(([, value]) => value !== undefined));
  return {
    ...v,
    ...set,
    updatedAt: at,
    rev: v.rev + 1,
    history: [...v.history, o.entry],
    ...(o.push ? { attachments: [...v.attachments, o.push.attachments] } : {}),
  };
}

async function commitConditional(v: StoredVisit, o: CommitOptions): Promise<StoredVisit> {
  const current = {
    _id: v._id,
    rev: v.rev,
    status: { $in: [...o.statuses] },
    ...(o.ownerId ? { auditorId: new Types.ObjectId(o.ownerId) } : {}),
  };
  const at = now();
  const r = await visits().updateOne(current, changeOf(o, at), { ignoreUndefined: true });
  if (r.matchedCount !== 1) {
    lastCopies.delete(String(v._id));
    throw lostRace();
  }
  return rememberVisit(afterChange(v, o, at));
}

// ---- the claimed variant, for a server without atomic conditional updates

/**
 * A writer first claims revision rev+1 of the visit (platform/db/write-claims: an insert under a
 * unique key, atomic everywhere); only one writer per revision gets it. A successful write keeps its
 * claim (a later writer always claims a higher revision, and skipping the delete saves a write);
 * it expires after a day and housekeeping purges it. A failed writer releases its claim; one left
 * behind by a crashed process is taken over after a lease.
 */
export const visitClaimKey = (visitId: unknown, rev: number): string => `visit:${String(visitId)}:${rev}`;
/** A claim older than this belongs to a writer that died between claiming and writing. */
const CLAIM_LEASE_MS = 60_000;
/** Long enough to outlive every request that could still hold a copy of that revision. */
const CLAIM_KEPT_MS = 86400_000;

async function claimRevision(visitId: Types.ObjectId, rev: number): Promise<HeldClaim & { retaken: boolean }> {
  const key = visitClaimKey(visitId, rev);
  const options = { expiresAt: new Date(Date.now() + CLAIM_KEPT_MS) };
  const claim = await tryClaim(key, options);
  if (claim) return { ...claim, retaken: false };
  // The writer that held it may have died before or after its update: the caller re-reads the visit.
  const retaken = await takeOverStale(key, CLAIM_LEASE_MS, options);
  if (!retaken) throw lostRace();
  return retaken;
}

/**
 * The connection failed while the command may have been on its way: the server may have applied it.
 * (A server-selection failure is not one of these: the command was never sent.)
 */
function outcomeUnknown(e: unknown): boolean {
  return e instanceof mongo.MongoNetworkError;
}

/**
 * Claims stay after a successful write and are released only when the write surely did not happen,
 * so holding the claim for rev+1 proves nobody has written rev+1: the caller's copy (rev, status,
 * owner) is still current and need not be read again. Only a claim taken over from a dead writer
 * (which may have written before dying) is checked against a fresh read. The update is keyed by _id
 * alone, the claim having settled every other condition.
 */
async function commitClaimed(v: StoredVisit, o: CommitOptions): Promise<StoredVisit> {
  const claim = await claimRevision(v._id, v.rev + 1);
  let written = false; // the claimed revision exists already: its claim must stay
  try {
    if (claim.retaken) {
      const fresh = await Visit.findById(v._id, { rev: 1, status: 1, auditorId: 1 }).lean();
      written = Boolean(fresh && fresh.rev > v.rev);
      if (
        !fresh ||
        fresh.rev !== v.rev ||
        !o.statuses.includes(fresh.status) ||
        (o.ownerId && String(fresh.auditorId) !== o.ownerId)
      )
        throw lostRace();
    }
    const updated = await visits().findOneAndUpdate({ _id: v._id }, changeOf(o, now()), {
      returnDocument: 'after',
      ignoreUndefined: true,
    });
    if (!updated) throw lostRace();
    // Only a writer that stalled past the claim's lease can get here; its change is in the history either way.
    if (updated.rev !== v.rev + 1)
      logger.error(
        { visitId: String(v._id), expectedRev: v.rev + 1, rev: updated.rev },
        'a visit write overlapped another after a claim lease ran out',
      );
    return updated;
  } catch (e) {
    // A write that may have happened keeps its claim (released by the lease); any other failure frees it.
    if (!written && !outcomeUnknown(e)) {
      await release(claim).catch((err) =>
        logger.error({ err, visitId: String(v._id) }, 'could not release a visit write claim'),
      );
    }
    throw e;
  }
}

// ---- kept for disputes/service.ts and test/helpers/feedback.ts, which import these from here
export { assertStatus, historyEntry } from './rules';

/**
 * A branch moved to another region: its visits carry the new region (a copy of the branch's, for
 * scope filters). Not a change of the visit's content, so no revision or history entry; the kept
 * statistics move the branch's figures themselves (stats.branchMoved).
 */
export async function retagRegion(bankId: string, branchCode: string, region: string): Promise<void> {
  await visits().updateMany(
    { bankId: new Types.ObjectId(bankId), branchCode, region: { $ne: region } },
    { $set: { region } },
  );
  lastCopies.deleteWhere((_id, v) => String(v.bankId) === bankId && v.branchCode === branchCode);
}
