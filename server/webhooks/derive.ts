import { alertTransitions, type AlertTransition } from '../alerts/service';
import { statesAfterEntries, type EntryLike, type StateAfter } from '../rules/visit-history';
import type { EventType } from './events';

/**
 * The events a visit's history entries give rise to (pure: no I/O), from entry `from` on:
 * - `approved` → visit.approved;
 * - `dispute_opened` → visit.disputed;
 * - `dispute_upheld` / `dispute_overturned` → dispute.resolved;
 * - the alert transitions of alerts/rules.ts → alert.violation / alert.withdrawn.
 * Ids and positions come from the entry's index, so deriving again gives the same events: a visit's
 * events are ordered by position (an alert right after the entry that raised it).
 */
export interface VisitLike {
  _id: unknown;
  status: string;
  violations: readonly { itemKey: string }[];
  scores: { sections: Readonly<Record<string, number | null>>; total: number | null };
  history: readonly EntryLike[];
}

export interface VisitEventPlan {
  id: string;
  type: EventType;
  position: number;
  at: Date;
  state: StateAfter;
  /** visit.disputed, dispute.resolved */
  dispute?: { disputeId: string; itemKey?: string; decision?: 'upheld' | 'overturned' };
  /** alert.* */
  alert?: AlertTransition;
}

const DECISIONS: Record<string, 'upheld' | 'overturned'> = {
  dispute_upheld: 'upheld',
  dispute_overturned: 'overturned',
};

function disputeOf(entry: EntryLike): { disputeId: string; itemKey?: string } | undefined {
  const c = entry.changes.find((x) => x.field.startsWith('disputes.'));
  if (!c) return undefined;
  const after = c.after as { itemKey?: unknown } | null;
  const itemKey = typeof after?.itemKey === 'string' ? after.itemKey : undefined;
  return { disputeId: c.field.slice('disputes.'.length), ...(itemKey ? { itemKey } : {}) };
}

export function deriveVisitEvents(v: VisitLike, from: number): VisitEventPlan[] {
  const visitId = String(v._id);
  const current = { status: v.status, violations: v.violations.map((x) => x.itemKey), scores: v.scores };
  const states = statesAfterEntries(v.history, current);
  const alerts = new Map(alertTransitions(v.history, current).map((t) => [t.index, t]));
  const out: VisitEventPlan[] = [];
  for (let i = Math.max(0, from); i < v.history.length; i++) {
    const entry = v.history[i];
    const base = { position: i * 2, at: entry.at, state: states[i], id: `evt_${visitId}_${i}` };
    const dispute = disputeOf(entry);
    if (entry.action === 'approved') out.push({ ...base, type: 'visit.approved' });
    else if (entry.action === 'dispute_opened' && dispute) out.push({ ...base, type: 'visit.disputed', dispute });
    else if (DECISIONS[entry.action] && dispute)
      out.push({ ...base, type: 'dispute.resolved', dispute: { ...dispute, decision: DECISIONS[entry.action] } });
    const alert = alerts.get(i);
    if (alert)
      out.push({
        ...base,
        id: `evt_${visitId}_${i}_alert`,
        position: i * 2 + 1,
        type: alert.kind === 'violation' ? 'alert.violation' : 'alert.withdrawn',
        alert,
      });
  }
  return out;
}
