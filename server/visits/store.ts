import { mongo, Types } from 'mongoose';
import { DateTime } from 'luxon';
import { now } from '../platform/clock';
import { AppError, ConflictError, NotFoundError } from '../platform/errors';
import { getVersion, toScoringSections } from '../questionnaires/service';
import { logger } from '../platform/logger';
import { dbFeatures } from '../platform/db/connection';
import { Assignment } from '../assignments/model';
import { bankTimezone } from '../banks/lookups';
import { scoreVisit, type ScoringSection } from '../rules/scoring';
import { computeFlags, type Flag } from './flags';
import { Visit, VisitWriteClaim, writeClaimId } from './model';
import type { Change, HistoryEntry, StoredAnswer, StoredAttachment, StoredVisit } from './types';
import { type VisitStatus } from './types';

/**
 * The one place that reads and writes visit documents. Every write is a single findOneAndUpdate on
 * one document, conditional on `rev` (and the allowed statuses), that applies the change, its derived
 * scores and flags, and its history entry together — so a change is never recorded without its
 * history, and a concurrent change is refused rather than overwritten.
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

/**
 * The last copy of each visit this instance wrote (or read to write), so that the auditor's next
 * autosave or submit need not read the visit again — on FerretDB a read decodes the whole document.
 * Only a starting point: every write is conditional on the copy's revision (see commit), so a copy
 * made stale by another instance is refused by the database, and the write is redone on a fresh read.
 * Used only where conditional updates are atomic. Entries are never modified; bounded, oldest out first.
 */
const lastCopies = new Map<string, StoredVisit>();
const LAST_COPIES_LIMIT = 500;

export function rememberVisit(v: StoredVisit): StoredVisit {
  const key = String(v._id);
  lastCopies.delete(key);
  if (lastCopies.size >= LAST_COPIES_LIMIT) lastCopies.delete(lastCopies.keys().next().value as string);
  // Frozen (top level) because the same object is handed to every later write of this visit here.
  lastCopies.set(key, Object.freeze(v));
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

export function assertStatus(v: StoredVisit, allowed: readonly VisitStatus[], action: string): void {
  if (!allowed.includes(v.status)) {
    throw new ConflictError(`A ${v.status} visit cannot be ${action}`, 'invalid_state', [
      { field: 'status', message: `is ${v.status}; allowed: ${allowed.join(', ')}` },
    ]);
  }
}

export async function quarterOf(visitedAt: Date, bankId: string): Promise<string> {
  const dt = DateTime.fromJSDate(visitedAt, { zone: (await bankTimezone(bankId)) ?? 'Asia/Shanghai' });
  return `${dt.year}-Q${dt.quarter}`;
}

/** Versions are immutable, so their scoring sections can be kept; bounded, oldest dropped first. */
const sectionCache = new Map<string, ScoringSection[]>();
const SECTION_CACHE_LIMIT = 200;

/** The scoring sections of a questionnaire version, defaults applied by the questionnaire service. */
async function versionSections(questionnaireId: string, version: number): Promise<ScoringSection[]> {
  const key = `${questionnaireId}@${version}`;
  const hit = sectionCache.get(key);
  if (hit) return hit;
  const sections = toScoringSections(await getVersion(questionnaireId, version));
  if (sectionCache.size >= SECTION_CACHE_LIMIT) sectionCache.delete(sectionCache.keys().next().value as string);
  sectionCache.set(key, sections);
  return sections;
}

export async function sectionsOf(
  v: Pick<StoredVisit, 'questionnaireId' | 'questionnaireVersion'>,
): Promise<ScoringSection[]> {
  try {
    return await versionSections(String(v.questionnaireId), v.questionnaireVersion);
  } catch (e) {
    // A stored visit whose version is gone is broken data, not a client's "not found".
    if (e instanceof NotFoundError)
      throw new Error(`questionnaire version ${String(v.questionnaireId)}@${v.questionnaireVersion} is missing`, {
        cause: e,
      });
    throw e;
  }
}

/** Other visits that hold a file with one of these hashes (removed files count: evidence is never forgotten). */
export async function duplicateVisitIds(visitId: Types.ObjectId, hashes: string[]): Promise<string[]> {
  if (hashes.length === 0) return [];
  const others = await Visit.find({ _id: { $ne: visitId }, 'attachments.sha256': { $in: hashes } }, { _id: 1 }).lean();
  return others.map((o) => String(o._id));
}

export interface DerivedInput {
  _id: Types.ObjectId;
  assignmentId: Types.ObjectId;
  visitedAt: Date;
  durationMinutes: number;
  answers: StoredAnswer[];
  attachments: Pick<StoredAttachment, 'sha256'>[];
  firstSubmittedAt?: Date | null;
}

export interface AssignmentWindow {
  windowStart: Date;
  windowEnd: Date;
}

/** Assignments are never edited, so the window of a visit's assignment is read once per process. */
const windows = new Map<string, AssignmentWindow>();
const WINDOW_CACHE_LIMIT = 20_000;

async function assignmentWindow(assignmentId: Types.ObjectId): Promise<AssignmentWindow | null> {
  const key = String(assignmentId);
  const hit = windows.get(key);
  if (hit) return hit;
  const a = await Assignment.findById(assignmentId, { windowStart: 1, windowEnd: 1 }).lean();
  return a ? rememberWindow(assignmentId, a) : null;
}

function rememberWindow(assignmentId: Types.ObjectId, a: AssignmentWindow): AssignmentWindow {
  if (windows.size >= WINDOW_CACHE_LIMIT) windows.delete(windows.keys().next().value as string);
  const window = { windowStart: a.windowStart, windowEnd: a.windowEnd };
  windows.set(String(assignmentId), window);
  return window;
}

/** Scores, violations and flags, always recomputed from the raw facts and the visit's own questionnaire version. */
export async function derive(
  v: DerivedInput,
  sections: ScoringSection[],
  at = now(),
  window?: AssignmentWindow | null,
) {
  const s = scoreVisit(
    sections,
    v.answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
  );
  const a = window ? rememberWindow(v.assignmentId, window) : await assignmentWindow(v.assignmentId);
  const flags = computeFlags({
    visitedAt: v.visitedAt,
    durationMinutes: v.durationMinutes,
    windowStart: a?.windowStart ?? v.visitedAt,
    windowEnd: a?.windowEnd ?? v.visitedAt,
    firstSubmittedAt: v.firstSubmittedAt,
    now: at,
    duplicateVisitIds: await duplicateVisitIds(v._id, [...new Set(v.attachments.map((x) => x.sha256))]),
  });
  return { scores: { sections: s.sections, total: s.total }, violations: s.violations, flags };
}

export function historyEntry(
  by: { id: string; role: string } | null,
  action: string,
  changes: Change[],
  note?: string,
): HistoryEntry {
  return {
    at: now(),
    by: by ? new Types.ObjectId(by.id) : null,
    role: by?.role ?? 'system',
    action,
    changes,
    ...(note ? { note } : {}),
  };
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
/** A claim older than this belongs to a writer that died between claiming and writing. */
const CLAIM_LEASE_MS = 60_000;

interface Claim {
  id: string;
  retaken: boolean;
}

async function claimRevision(visitId: Types.ObjectId, rev: number, retakeStale = true): Promise<Claim> {
  const _id = writeClaimId(visitId, rev);
  try {
    await VisitWriteClaim.create({ _id, visitId, rev, at: new Date() });
    return { id: _id, retaken: !retakeStale };
  } catch (e) {
    if ((e as { code?: number }).code !== 11000) throw e;
    const held = await VisitWriteClaim.findById(_id).lean();
    if (!retakeStale || !held || Date.now() - held.at.getTime() < CLAIM_LEASE_MS) throw lostRace();
    // The writer that held it may have died before or after its update: the caller re-reads the visit.
    await VisitWriteClaim.deleteOne({ _id, at: held.at });
    return claimRevision(visitId, rev, false);
  }
}

/**
 * The connection failed while the command may have been on its way: the server may have applied it.
 * (A server-selection failure is not one of these: the command was never sent.)
 */
function outcomeUnknown(e: unknown): boolean {
  return e instanceof mongo.MongoNetworkError;
}

/**
 * Applies one change atomically: one update of the visit that also carries its history entry and
 * bumps `rev`, refused (409) if someone else wrote since the caller's copy was read.
 *
 * Where the database applies a conditional update atomically (MongoDB; the embedded FerretDB as built
 * here) the update itself is the arbiter: it matches only the revision, status and owner the caller
 * read. A stock FerretDB 1.24 reads and writes back in separate steps, so there a revision claim
 * decides instead (commitClaimed).
 */
export async function commit(v: StoredVisit, o: CommitOptions): Promise<StoredVisit> {
  return dbFeatures().atomicConditionalUpdates ? commitConditional(v, o) : commitClaimed(v, o);
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
 * this module and bumps `rev`), so returning the document would only cost FerretDB an encoding and
 * the app a decoding of the whole visit.
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

/**
 * The claimed variant: an insert under a unique key (VisitWriteClaim, "<visit>:<rev+1>") is the one
 * atomic arbiter a stock FerretDB offers. Claims stay after a successful write and are released only
 * when the write surely did not happen, so holding the claim for rev+1 proves nobody has written
 * rev+1: the caller's copy (rev, status, owner) is still current and need not be read again. Only a
 * claim taken over from a dead writer (which may have written before dying) is checked against a
 * fresh read. The update is keyed by _id alone because stock FerretDB pushes a filter down to SQL only
 * when it is exactly {_id}.
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
      await VisitWriteClaim.deleteOne({ _id: claim.id }).catch((err) =>
        logger.error({ err, visitId: String(v._id) }, 'could not release a visit write claim'),
      );
    }
    throw e;
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
export async function refreshFlags(visitId: Types.ObjectId, reason: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt) await retryPause(attempt);
    const v = await Visit.findById(visitId).lean<StoredVisit>();
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
