/**
 * The auditor's day as a to-do list (issue 20), pure so it is tested alone: visits sent back first,
 * then drafts, then assignments whose window is open now (the one closing soonest first), then those
 * still to come (the one opening soonest first), then missed windows; finished ones only counted.
 */
export interface AgendaAssignment {
  id: string;
  windowStart: string;
  windowEnd: string;
  visitId?: string;
  visitStatus?: string;
}

export interface Agenda<A extends AgendaAssignment> {
  returned: A[];
  drafts: A[];
  openNow: A[];
  upcoming: A[];
  missed: A[];
  done: number;
}

const at = (iso: string) => new Date(iso).getTime();

export function auditorAgenda<A extends AgendaAssignment>(rows: A[], now: Date): Agenda<A> {
  const t = now.getTime();
  const out: Agenda<A> = { returned: [], drafts: [], openNow: [], upcoming: [], missed: [], done: 0 };
  for (const a of rows) {
    if (a.visitStatus === 'returned') out.returned.push(a);
    else if (a.visitStatus === 'draft') out.drafts.push(a);
    else if (a.visitStatus) out.done += 1;
    else if (at(a.windowEnd) < t) out.missed.push(a);
    else if (at(a.windowStart) > t) out.upcoming.push(a);
    else out.openNow.push(a);
  }
  const byEnd = (a: A, b: A) => at(a.windowEnd) - at(b.windowEnd);
  out.returned.sort(byEnd);
  out.drafts.sort(byEnd);
  out.openNow.sort(byEnd);
  out.upcoming.sort((a, b) => at(a.windowStart) - at(b.windowStart) || byEnd(a, b));
  out.missed.sort((a, b) => byEnd(b, a));
  return out;
}

/** Whole days from `now` until `until`, a started day counting as one; negative once past. */
export function daysUntil(until: string | Date, now: Date): number {
  const ms = new Date(until).getTime() - now.getTime();
  const days = Math.ceil(Math.abs(ms) / 86_400_000);
  return ms < 0 ? -days : days;
}

/** The auditor's list in to-do order (the agenda's groups one after another), or the finished ones, latest window first. */
export function agendaOrder<A extends AgendaAssignment>(rows: A[], now: Date, show: 'todo' | 'done'): A[] {
  if (show === 'done')
    return rows
      .filter((a) => a.visitStatus && a.visitStatus !== 'draft' && a.visitStatus !== 'returned')
      .sort((a, b) => at(b.windowEnd) - at(a.windowEnd));
  const g = auditorAgenda(rows, now);
  return [...g.returned, ...g.drafts, ...g.openNow, ...g.upcoming, ...g.missed];
}
