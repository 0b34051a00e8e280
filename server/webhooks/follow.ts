import { recordTransition } from '../alerts/service';
import { bankNotifyFacts, type BankNotifyFacts } from '../banks/service';
import { BoundedCache } from '../platform/cache';
import { logger } from '../platform/logger';
import { auditorCodesOf } from '../users/service';
import {
  changeNotLanded,
  loadVisit,
  onChangeNoted,
  pendingChangeOf,
  pendingChanges,
  settleChange,
  type StoredVisit,
  type VisitChangeNote,
} from '../visits/service';
import { deriveVisitEvents, type VisitEventPlan } from './derive';
import type { EventData, EventType } from './events';
import { VisitEventCursor } from './model';
import { publishEvents, type EventToPublish } from './publish';

/**
 * The visits' change notes, followed for alerts and webhooks (follower "events"). For each noted
 * visit, the history entries not yet turned into events are (derive.ts): alerts are recorded and
 * their e-mails queued, events published, then the visit's cursor moves and the note is settled.
 * A crash anywhere in between leaves the note; the next round derives the same events again (same
 * ids) and the unique keys make every repeated step a no-op — nothing lost, nothing sent twice.
 */
const BATCH = 200;
/**
 * Notes followed at once. Each note is a different visit (one note per visit), so their events are
 * independent (order matters only within a visit, and the sender keeps it); following them one after
 * the other made every change wait for the dozen round trips of each change before it.
 */
const CONCURRENCY = 8;

const bankCache = new BoundedCache<string, BankNotifyFacts | null>({ limit: 200, ttlMs: 60_000 });
async function bankOf(bankId: string): Promise<BankNotifyFacts | null> {
  if (bankCache.get(bankId) !== undefined) return bankCache.get(bankId) ?? null;
  const facts = await bankNotifyFacts(bankId);
  bankCache.set(bankId, facts);
  return facts;
}

/**
 * The visits whose change this process noted, not yet followed: their notes are read by exact id. The
 * search for every pending note (a scan of the notes on FerretDB, growing with any backlog) runs only
 * every SEARCH_EVERY_MS while such hints keep coming, every IDLE_SEARCH_MS otherwise: it finds the notes
 * of other instances and those a process left when it died. The database stays the truth.
 */
const hinted = new Set<string>();
let listening: (() => void) | null = null;
let lastSearch = 0;
const SEARCH_EVERY_MS = 5000;
const IDLE_SEARCH_MS = 500;

/** As a fresh process would start: no hints (tests). */
export function forgetFollowHints(): void {
  hinted.clear();
  cursors.clear();
  lastSearch = 0;
}

async function notesToFollow(bankId?: string): Promise<VisitChangeNote[]> {
  listening ??= onChangeNoted((visitId) => hinted.add(visitId));
  const since = Date.now() - lastSearch;
  if (bankId || since >= (hinted.size ? SEARCH_EVERY_MS : IDLE_SEARCH_MS)) {
    lastSearch = Date.now();
    const found = await pendingChanges('events', bankId, BATCH);
    for (const n of found) hinted.delete(n.visitId);
    return found;
  }
  const ids = [...hinted].slice(0, BATCH);
  for (const id of ids) hinted.delete(id);
  const notes = await Promise.all(ids.map((id) => pendingChangeOf('events', id)));
  return notes.filter((n): n is VisitChangeNote => n !== null);
}

/** Follows the noted visit changes (of one bank, or all); returns how many notes were settled. */
export async function followVisitChanges(bankId?: string): Promise<number> {
  const notes = await notesToFollow(bankId);
  let settled = 0;
  let next = 0;
  const lane = async () => {
    while (next < notes.length) {
      const note = notes[next++];
      try {
        if (await followOne(note)) settled += 1;
        else hinted.add(note.visitId); // not landed yet: looked at again shortly
      } catch (e) {
        hinted.add(note.visitId);
        logger.error({ err: e, visitId: note.visitId }, 'events: a visit change could not be followed; retried later');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, notes.length) }, lane));
  return settled;
}

/**
 * Each visit's cursor as this process last wrote or read it: a visit changes a few times in a row
 * (approve, dispute, resolve), and the cursor only grows. A value behind the database's (another
 * instance moved it) only derives events again, which the unique ids make a no-op.
 */
const cursors = new BoundedCache<string, number>({ limit: 5000, ttlMs: 10 * 60_000 });
async function seenOf(visitId: string): Promise<number> {
  const hit = cursors.get(visitId);
  if (hit !== undefined) return hit;
  const cursor = await VisitEventCursor.findById(visitId).lean();
  return cursor?.seen ?? 0;
}

async function followOne(note: VisitChangeNote): Promise<boolean> {
  const v = await loadVisit(note.visitId);
  if (v && changeNotLanded(note, v.rev)) return false; // the visit's own update has not landed yet: look again shortly
  if (v) {
    const seen = await seenOf(String(v._id));
    // Every event of the visit, so that each new one names those before it (the sender keeps the order).
    const all = deriveVisitEvents(v, 0);
    const from = all.findIndex((p) => p.position >= 2 * seen);
    if (from >= 0) await publishAll(v, all, from);
    await VisitEventCursor.updateOne({ _id: v._id }, { $max: { seen: v.history.length } }, { upsert: true });
    cursors.set(String(v._id), Math.max(seen, v.history.length));
  }
  await settleChange('events', note);
  return true;
}

/** An auditor's pseudonym never changes once given: kept, as every event of a visit carries it. */
const auditorCodes = new BoundedCache<string, string | null>({ limit: 2000, ttlMs: 10 * 60_000 });
async function auditorCodeOf(auditorId: string): Promise<string | null> {
  const hit = auditorCodes.get(auditorId);
  if (hit !== undefined) return hit;
  const code = (await auditorCodesOf([auditorId])).get(auditorId) || null;
  if (code) auditorCodes.set(auditorId, code);
  return code;
}

async function publishAll(v: StoredVisit, all: VisitEventPlan[], from: number): Promise<void> {
  const plans = all.slice(from);
  const bank = await bankOf(String(v.bankId));
  const auditorCode = await auditorCodeOf(String(v.auditorId));
  const events: EventToPublish[] = [];
  const bankRef = { id: String(v.bankId), code: bank?.code ?? '', name: bank?.name ?? '' };
  for (const plan of plans) {
    const common = {
      visitId: String(v._id),
      bank: bankRef,
      branchCode: v.branchCode,
      quarter: v.quarter,
      visitedAt: v.visitedAt.toISOString(),
      changedAt: plan.at.toISOString(),
    };
    let data: EventData<EventType>;
    if (plan.alert) {
      const alert = await recordTransition(v, plan.alert);
      data = { ...common, alertId: alert.id, itemKeys: plan.alert.itemKeys };
    } else {
      const visit = {
        ...common,
        auditorCode,
        status: plan.state.status === 'disputed' ? 'disputed' : 'approved',
        scores: { sections: plan.state.sections, total: plan.state.total },
        violations: plan.state.violations.map((itemKey) => ({ itemKey })),
      } as const;
      data =
        plan.type === 'visit.approved'
          ? visit
          : plan.type === 'visit.disputed'
            ? { ...visit, disputeId: plan.dispute?.disputeId ?? '', itemKey: plan.dispute?.itemKey ?? '' }
            : { ...visit, disputeId: plan.dispute?.disputeId ?? '', decision: plan.dispute?.decision ?? 'upheld' };
    }
    events.push({
      id: plan.id,
      type: plan.type,
      bankId: String(v.bankId),
      orderKey: String(v._id),
      position: plan.position,
      at: plan.at,
      data,
      before: all.filter((p) => p.position < plan.position).map((p) => ({ id: p.id, type: p.type })),
    });
  }
  // The alerts are recorded first (an alert event names its alert); then every event at once.
  await publishEvents(events);
}
