import crypto from 'node:crypto';
import { Schema, Types, model } from 'mongoose';
import { COUNTED_STATUSES, type VisitStatus } from './types';

/**
 * Changes to visits that other features follow (the kept statistics, SPEC §15). Before a visit write
 * that may change what counts — a status going into or out of approved/disputed, or a counted visit
 * rescored — a note naming the visit is written, one per visit (a later change renews it). Each
 * follower reads the notes waiting for it, brings itself in line with the visit's CURRENT state and
 * settles its part of the note. The note is written before the visit's own update: a crash between
 * the two leaves a note for a change that may not have happened (harmless: the follower finds the
 * visit as it is), never a change without a note.
 */
export const FOLLOWERS = ['stats', 'events'] as const;
export type Follower = (typeof FOLLOWERS)[number];

const noteSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true }, // the visit
    bankId: { type: Schema.Types.ObjectId, required: true },
    /** When the latest change was noted. */
    at: { type: Date, required: true },
    /** New for every change noted: a follower settles only the note it has read (two may share a millisecond). */
    token: { type: String, required: true },
    /** The visit's revision before the latest change (the change makes it higher): lets a follower tell a change not yet landed. */
    rev: { type: Number },
    /** Followers that have not yet caught up with the latest change. */
    pending: { type: [String], required: true },
  },
  { versionKey: false },
);
noteSchema.index({ pending: 1, bankId: 1 });
export const VisitChange = model('VisitChange', noteSchema, 'visit_changes');

export interface VisitChangeNote {
  visitId: string;
  bankId: string;
  at: Date;
  token: string;
  /** The visit's revision before the noted change (absent on notes written before it was recorded). */
  rev?: number;
}

const counts = (s: VisitStatus | undefined) => s !== undefined && (COUNTED_STATUSES as readonly string[]).includes(s);

/** Whether a write from one of `before` to `after` may change what the visit counts for. */
export function mayChangeCounting(before: readonly VisitStatus[], after: VisitStatus | undefined): boolean {
  return before.some(counts) || counts(after);
}

/**
 * Told, in this process, of each change noted here, so that a follower of this process can read that
 * visit's note by its id instead of searching for notes (a scan on FerretDB). Only a hint: notes of
 * other instances, and of a process that died, are found by the follower's own search for them.
 */
const notedHere = new Set<(visitId: string) => void>();
export function onChangeNoted(listener: (visitId: string) => void): () => void {
  notedHere.add(listener);
  return () => notedHere.delete(listener);
}

export async function noteChange(v: { _id: unknown; bankId: unknown; rev?: number }): Promise<void> {
  await VisitChange.collection.updateOne(
    { _id: new Types.ObjectId(String(v._id)) },
    {
      $set: {
        bankId: new Types.ObjectId(String(v.bankId)),
        at: new Date(),
        token: crypto.randomUUID(),
        ...(typeof v.rev === 'number' ? { rev: v.rev } : {}),
        pending: [...FOLLOWERS],
      },
    },
    { upsert: true },
  );
  for (const listener of notedHere) listener(String(v._id));
}

/** The notes a follower has not caught up with, oldest first (of one bank, when given). */
export async function pendingChanges(follower: Follower, bankId?: string, limit = 500): Promise<VisitChangeNote[]> {
  const filter = { pending: follower, ...(bankId ? { bankId: new Types.ObjectId(bankId) } : {}) };
  const rows = await VisitChange.find(filter, { bankId: 1, at: 1, token: 1, rev: 1 })
    .sort({ at: 1 })
    .limit(limit)
    .lean();
  return rows.map((r) => ({
    visitId: String(r._id),
    bankId: String(r.bankId),
    at: r.at,
    token: r.token,
    ...(typeof r.rev === 'number' ? { rev: r.rev } : {}),
  }));
}

/** The note of one visit, read by its id, if `follower` has not caught up with it. */
export async function pendingChangeOf(follower: Follower, visitId: string): Promise<VisitChangeNote | null> {
  if (!Types.ObjectId.isValid(visitId)) return null;
  const r = await VisitChange.findById(visitId, { bankId: 1, at: 1, token: 1, rev: 1, pending: 1 }).lean();
  if (!r?.pending.includes(follower)) return null;
  return {
    visitId: String(r._id),
    bankId: String(r.bankId),
    at: r.at,
    token: r.token,
    ...(typeof r.rev === 'number' ? { rev: r.rev } : {}),
  };
}

/** A noted change that has not reached its visit after this long never will (its writer failed). */
const LANDING_GRACE_MS = 30_000;

/**
 * Whether a note's change is still on its way to the visit, read at revision `rev`: the note is
 * written before the visit's own update, so a follower may read it in between, and must then look
 * again later rather than catch up with the visit as it was (that would leave the change, once it
 * lands, with no note). A change that has not landed within the grace period never will.
 */
export function changeNotLanded(note: VisitChangeNote, rev: number | undefined, now = Date.now()): boolean {
  return note.rev !== undefined && rev !== undefined && rev <= note.rev && now - note.at.getTime() < LANDING_GRACE_MS;
}

/** The follower has caught up with the change it read (a change noted since stays pending). */
export async function settleChange(follower: Follower, note: VisitChangeNote): Promise<void> {
  const _id = new Types.ObjectId(note.visitId);
  // The last follower to catch up removes the note in one write; the others take their name off it.
  const gone = await VisitChange.deleteOne({ _id, token: note.token, pending: { $all: [follower], $size: 1 } });
  if (gone.deletedCount === 1) return;
  await VisitChange.updateOne({ _id, token: note.token }, { $pull: { pending: follower } });
  await VisitChange.deleteOne({ _id, token: note.token, pending: { $size: 0 } });
}
