import { Schema, model, type Types } from 'mongoose';

/**
 * Write claims for the feedback-loop records (disputes, action plans). FerretDB 1.24 does not apply
 * a conditional update atomically (two findOneAndUpdate calls filtered on the same state can both
 * "win"), but an insert under a unique index is atomic there. So a writer first inserts a claim
 * under a key naming what it is about to do; only one writer gets each key.
 */
const claimSchema = new Schema(
  {
    key: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
claimSchema.index({ key: 1 }, { unique: true });
export const FeedbackClaim = model('FeedbackClaim', claimSchema, 'feedback_claims');

export interface HeldClaim {
  id: Types.ObjectId;
  key: string;
}

const isDuplicate = (e: unknown) => (e as { code?: number }).code === 11000;

/** The claim, or null when another writer holds the key. */
export async function tryClaim(key: string): Promise<HeldClaim | null> {
  try {
    const c = await FeedbackClaim.create({ key, at: new Date() });
    return { id: c._id, key };
  } catch (e) {
    if (isDuplicate(e)) return null;
    throw e;
  }
}

/** When the key was claimed, or null if nobody holds it. */
export async function claimedAt(key: string): Promise<Date | null> {
  const c = await FeedbackClaim.findOne({ key }, { at: 1 }).lean();
  return c?.at ?? null;
}

/**
 * Takes over a claim left behind by a writer that died (older than `leaseMs`). Deleting by the
 * claim's own id never removes a newer claim taken by someone else meanwhile; the re-insert then
 * decides between concurrent take-overs.
 */
export async function takeOverStale(key: string, leaseMs: number): Promise<HeldClaim | null> {
  const held = await FeedbackClaim.findOne({ key }).lean();
  if (held && Date.now() - held.at.getTime() < leaseMs) return null;
  if (held) await FeedbackClaim.deleteOne({ _id: held._id });
  return tryClaim(key);
}

export async function release(claim: HeldClaim): Promise<void> {
  await FeedbackClaim.deleteOne({ _id: claim.id });
}
