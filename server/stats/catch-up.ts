import { logger } from '../platform/logger';
import { pendingChanges, settleChange, type VisitChangeNote } from '../visits/service';
import { RebuildInProgress, syncVisit } from './apply';

/**
 * Bringing the statistics in line with every visit change noted by the visits (their change notes):
 * the background task does it continuously, and every reader does it for its bank before reading, so
 * an approval is in the figures of the very next request, on any app instance. A note is settled only
 * after its visit's sync has completed all its steps; a sync that fails leaves it for the next round.
 */
const BATCH = 200;
const running = new Map<string, Promise<number>>();

/** Syncs the noted visits (of one bank, or all); returns how many notes were settled. */
export function catchUp(bankId?: string): Promise<number> {
  const key = bankId ?? '*';
  const inFlight = running.get(key);
  if (inFlight) return inFlight.then(() => catchUpNow(bankId)); // notes may have come in meanwhile
  const run = catchUpNow(bankId).finally(() => running.delete(key));
  running.set(key, run);
  return run;
}

async function catchUpNow(bankId?: string): Promise<number> {
  let settled = 0;
  for (;;) {
    const notes = await pendingChanges('stats', bankId, BATCH);
    let round = 0;
    for (const note of notes) round += (await settle(note)) ? 1 : 0;
    settled += round;
    // A full batch may hide more notes; one that failed stays first in line, so stop when none settled.
    if (notes.length < BATCH || round === 0) return settled;
  }
}

async function settle(note: VisitChangeNote): Promise<boolean> {
  try {
    await syncVisit(note.visitId);
    await settleChange('stats', note);
    return true;
  } catch (e) {
    if (e instanceof RebuildInProgress) return false;
    logger.error({ err: e, visitId: note.visitId }, 'statistics: a visit change could not be applied; retried later');
    return false;
  }
}
