/**
 * Plausibility checks (SPEC section 4): they flag a visit for the reviewer and never block it.
 * Recomputed from the stored facts on every save, so a corrected visit loses a flag it no longer earns.
 * Codes are stable: pages, reports and other systems key on them.
 */
export const FLAG = {
  outsideWindow: 'outside_window',
  future: 'future_visit',
  duration: 'implausible_duration',
  late: 'late_submission',
  duplicateEvidence: 'duplicate_evidence',
} as const;

export interface Flag {
  code: string;
  message: string;
  visitIds?: string[];
}

export const MIN_MINUTES = 3;
export const MAX_MINUTES = 240;
export const LATE_AFTER_HOURS = 72;
/** Clocks of phones and servers differ a little; a visit a few minutes "ahead" is not in the future. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface FlagFacts {
  visitedAt: Date;
  durationMinutes: number;
  windowStart: Date;
  windowEnd: Date;
  firstSubmittedAt?: Date | null;
  /** Other visits holding a file with the same SHA-256 as one of this visit's files. */
  duplicateVisitIds: string[];
  now: Date;
}

/** The one test of "outside the assignment window", for the flag and for the refusal without confirmation. */
export function outsideWindow(visitedAt: Date, window: { windowStart: Date; windowEnd: Date }): boolean {
  const at = visitedAt.getTime();
  return at < window.windowStart.getTime() || at > window.windowEnd.getTime();
}

export function computeFlags(f: FlagFacts): Flag[] {
  const flags: Flag[] = [];
  const at = f.visitedAt.getTime();
  if (outsideWindow(f.visitedAt, f)) {
    flags.push({
      code: FLAG.outsideWindow,
      message: `The visit time is outside the assignment window (${f.windowStart.toISOString()} – ${f.windowEnd.toISOString()})`,
    });
  }
  if (at > f.now.getTime() + CLOCK_SKEW_MS)
    flags.push({ code: FLAG.future, message: 'The visit time is in the future' });
  if (f.durationMinutes < MIN_MINUTES || f.durationMinutes > MAX_MINUTES) {
    flags.push({
      code: FLAG.duration,
      message: `A duration of ${f.durationMinutes} minutes is implausible (expected ${MIN_MINUTES}–${MAX_MINUTES})`,
    });
  }
  if (f.firstSubmittedAt && f.firstSubmittedAt.getTime() - at > LATE_AFTER_HOURS * 3600_000) {
    flags.push({ code: FLAG.late, message: `Submitted more than ${LATE_AFTER_HOURS} hours after the visit` });
  }
  if (f.duplicateVisitIds.length) {
    const n = f.duplicateVisitIds.length;
    flags.push({
      code: FLAG.duplicateEvidence,
      message: `An attached file is identical to evidence of ${n} other visit${n === 1 ? '' : 's'}`,
      visitIds: [...f.duplicateVisitIds].sort(),
    });
  }
  return flags;
}
