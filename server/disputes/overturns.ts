import type { Types } from 'mongoose';
import { logger } from '../platform/logger';
import { Dispute } from './model';

/**
 * Overturns that others must learn of. An overturn changes a visit's numbers, so a report already
 * published for its quarter now shows old ones (SPEC section 5: a correction produces a new version).
 * The dispute carries `overturnNoted: false` from the write that records the decision; whoever acts on
 * it (publishing, a floor above) reads the list through this door and marks each one noted once its
 * own record is written. Listeners set by the top floor hear of each overturn at once; the periodic
 * task (server/jobs.ts) reads the list again, so a failed write or a crash in between loses nothing.
 */
export interface OverturnToNote {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  quarter: string;
  visitId: Types.ObjectId;
  branchCode: string;
  region: string;
  itemKey: string;
  /** After the visit was corrected: a report snapshot taken later includes the correction. */
  overturnedAt: Date;
}

type Listener = () => Promise<unknown>;
const listeners = new Set<Listener>();

/** Set by the top floor before anything runs (server/bootstrap.ts); returns the function that removes it. */
export function onOverturn(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners; a failure is theirs to retry (the mark stays on the dispute) and is only logged here. */
export async function tellOfOverturn(disputeId: Types.ObjectId): Promise<void> {
  for (const listener of [...listeners]) {
    await listener().catch((e: unknown) =>
      logger.error(
        { err: e, disputeId: String(disputeId) },
        'an overturn could not be passed on at once; the periodic task tries again',
      ),
    );
  }
}

/** Overturns not yet noted, oldest first. */
export async function overturnsToNote(limit = 200): Promise<OverturnToNote[]> {
  const fields = { bankId: 1, quarter: 1, visitId: 1, branchCode: 1, region: 1, itemKey: 1, overturnedAt: 1 };
  return Dispute.find({ status: 'overturned', overturnNoted: false }, fields)
    .sort({ overturnedAt: 1, _id: 1 })
    .limit(limit)
    .lean<OverturnToNote[]>();
}

export async function markOverturnNoted(disputeId: Types.ObjectId): Promise<void> {
  await Dispute.updateOne({ _id: disputeId, status: 'overturned' }, { $set: { overturnNoted: true } });
}
