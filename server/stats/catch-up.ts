import { logger } from '../platform/logger';
import { changeNotLanded, pendingChanges, settleChange, visitForStats, type VisitChangeNote } from '../visits/service';
import { RebuildInProgress, syncFrom } from './apply';

/**
 * Bringing the statistics in line with every visit change noted by the visits (their change notes):
 * the background task does it continuously, and every reader does it for its bank before reading, so
 * an approval is in the figures of the very next request, on any app instance. A note is settled only
 * after its visit's sync has completed all its steps; a sync that fails leaves it for the next round.
 */
const BATCH = 200;
const running = new Map<string, Promise<number>>();
const nextRound = new Map<string, Promise<number>>();

/**
 * Syncs the noted visits (of one bank, or all); returns how many notes were settled. A caller that
 * arrives while a round runs may have noted its change after that round read the notes, so it waits
 * for one more round; every caller arriving meanwhile shares that same next round (under many
 * readers, one round after another, not one each: each round reads the notes and syncs every visit).
 */
export function catchUp(bankId?: string): Promise<number> {
  const key = bankId ?? '*';
  const inFlight = running.get(key);
  if (!inFlight) return startRound(key, bankId);
  const queued = nextRound.get(key);
  if (queued) return queued;
  const after = () => {
    nextRound.delete(key);
    return running.get(key) ?? startRound(key, bankId); // a round started since began after every waiter
  };
  const next = inFlight.then(after, after);
  nextRound.set(key, next);
  return next;
}

let roundsStarted = 0;
/** How many rounds this process has started (diagnostics: how well concurrent readers share them). */
export const catchUpRoundsStarted = (): number => roundsStarted;

function startRound(key: string, bankId?: string): Promise<number> {
  const run = catchUpNow(bankId).finally(() => {
    if (running.get(key) === run) running.delete(key);
  });
  running.set(key, run);
  return run;
}

async function catchUpNow(bankId?: string): Promise<number> {
  roundsStarted += 1;
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

/**
 * A note read before its change reached the visit waits for the next round (changeNotLanded): settled
 * against the visit as it was, the change would land with no note left and stay out of the figures (a
 * CI fault run lost one approval that way).
 */
async function settle(note: VisitChangeNote): Promise<boolean> {
  try {
    const v = await visitForStats(note.visitId);
    if (v && changeNotLanded(note, v.rev)) return false;
    if (v) await syncFrom(v);
    await settleChange('stats', note);
    return true;
  } catch (e) {
    if (e instanceof RebuildInProgress) return false;
    logger.error({ err: e, visitId: note.visitId }, 'statistics: a visit change could not be applied; retried later');
    return false;
  }
}
