import { Schema, model } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

/**
 * Write claims: the right to make one change, taken by inserting a record under a unique key that
 * names the change ("visit:<id>:<rev>", "dispute-resolution:<id>"). Only one writer gets each key,
 * and an insert under a unique index is atomic on every server this app runs on — so a claim
 * arbitrates where a conditional update alone would not (a stock FerretDB 1.24 applies those in two
 * steps) or where a change spans two documents (a dispute and its visit).
 *
 * A claim may expire (`expiresAt`): housekeeping deletes it then. A claim without one stays, which
 * makes it a permanent record that the change was made (a dispute is decided once).
 */
const claimSchema = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
    expiresAt: { type: Date, default: null },
  },
  { versionKey: false },
);
claimSchema.index({ expiresAt: 1 });
export const WriteClaim = model('WriteClaim', claimSchema, 'write_claims');

export interface HeldClaim {
  key: string;
  at: Date;
}

/** The claim, or null when another writer holds the key. */
export async function tryClaim(key: string, options: { expiresAt?: Date } = {}): Promise<HeldClaim | null> {
  const at = new Date();
  try {
    await WriteClaim.collection.insertOne({ _id: key as never, at, expiresAt: options.expiresAt ?? null });
    return { key, at };
  } catch (e) {
    if (isDuplicateKey(e)) return null;
    throw e;
  }
}

/** When the key was claimed, or null if nobody holds it. */
export async function claimedAt(key: string): Promise<Date | null> {
  const c = await WriteClaim.findById(key, { at: 1 }).lean();
  return c?.at ?? null;
}

/**
 * Takes over a claim left behind by a writer that died (older than `leaseMs`), or takes a free key.
 * Deleting by the claim's own time never removes a newer claim taken by someone else meanwhile; the
 * re-insert then decides between concurrent take-overs. `retaken` tells the caller that the dead
 * writer may have made its change before dying.
 */
export async function takeOverStale(
  key: string,
  leaseMs: number,
  options: { expiresAt?: Date } = {},
): Promise<(HeldClaim & { retaken: boolean }) | null> {
  const held = await WriteClaim.findById(key).lean();
  if (held && Date.now() - held.at.getTime() < leaseMs) return null;
  if (held) await WriteClaim.deleteOne({ _id: key, at: held.at });
  const claim = await tryClaim(key, options);
  return claim && { ...claim, retaken: Boolean(held) };
}

/** Gives the key back: only the holder's own claim is deleted. */
export async function release(claim: HeldClaim): Promise<void> {
  await WriteClaim.deleteOne({ _id: claim.key, at: claim.at });
}

/** Housekeeping: claims past their expiry. */
export async function purgeExpiredClaims(now = new Date()): Promise<number> {
  const r = await WriteClaim.deleteMany({ expiresAt: { $ne: null, $lt: now } });
  return r.deletedCount;
}
