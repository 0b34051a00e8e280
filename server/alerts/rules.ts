import { isCountedStatus, statesAfterEntries, type CurrentLike, type EntryLike } from '../rules/visit-history';

/**
 * When a compliance alert is raised or withdrawn (SPEC §13), from a visit's history (pure: no I/O).
 * A visit is "alerting" while it counts (approved or disputed) and has at least one violation. It
 * starts alerting when it is approved with a violation (or a dispute decision adds one); it stops
 * when a decision removes its last violation — the "withdrawn" notice. Each start is a new round, so
 * a visit alerted once is never alerted again for the same approval, however often this is worked out.
 */
export interface AlertTransition {
  /** The history entry that caused it. */
  index: number;
  kind: 'violation' | 'withdrawn';
  round: number;
  /** The violated items (for a withdrawal: those of the alert withdrawn). */
  itemKeys: string[];
  at: Date;
}

export function alertTransitions(history: readonly EntryLike[], current: CurrentLike): AlertTransition[] {
  const states = statesAfterEntries(history, current);
  const out: AlertTransition[] = [];
  let active: string[] | null = null;
  let round = 0;
  states.forEach((s, index) => {
    const alerting = isCountedStatus(s.status) && s.violations.length > 0;
    const at = history[index].at;
    if (alerting && !active) {
      round += 1;
      out.push({ index, kind: 'violation', round, itemKeys: s.violations, at });
    } else if (!alerting && active) {
      out.push({ index, kind: 'withdrawn', round, itemKeys: active, at });
    }
    active = alerting ? s.violations : null;
  });
  return out;
}
