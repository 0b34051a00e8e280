import type { Types } from 'mongoose';
import { ConflictError } from '../platform/errors';
import { logger } from '../platform/logger';
import { commit, historyEntry, loadVisit, type VisitStatus } from '../visits/service';
import { Dispute } from './model';

/**
 * Keeping a visit's status in line with its disputes: `disputed` exactly while one of them is open.
 * Every visit commit re-reads the open disputes right before it, and a commit that lost a race with
 * another writer is retried from the start.
 */

/** Disputes may be raised on a visit that has been approved (and may already have other disputes). */
export const DISPUTABLE: readonly VisitStatus[] = ['approved', 'disputed'];
const COMMIT_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isLostRace = (e: unknown) => e instanceof ConflictError && e.code === 'conflict';

/** Retries a visit commit that lost a race with another writer; `attempt` re-reads everything it needs. */
export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLostRace(e) || i >= COMMIT_ATTEMPTS) throw e;
      await sleep(5 + Math.random() * 20 * i);
    }
  }
}

/** The status the visit's disputes call for right now. */
export async function statusByDisputes(visitId: Types.ObjectId): Promise<VisitStatus> {
  return (await Dispute.exists({ visitId, status: 'open' })) ? 'disputed' : 'approved';
}

/**
 * After a rolled-back step a racing writer may have committed the visit on a dispute state that
 * then did not last; this puts the status back in line with the open disputes (best effort).
 */
export async function syncVisitStatus(visitId: Types.ObjectId): Promise<void> {
  await withRetry(async () => {
    const v = await loadVisit(String(visitId));
    if (!v || !DISPUTABLE.includes(v.status)) return;
    const status = await statusByDisputes(visitId);
    if (status === v.status) return;
    await commit(v, {
      statuses: DISPUTABLE,
      set: { status },
      entry: historyEntry(null, 'dispute_status_synced', [{ field: 'status', before: v.status, after: status }]),
    });
  }).catch((e) =>
    logger.error({ err: e, visitId: String(visitId) }, 'could not bring a visit status in line with its disputes'),
  );
}
