/**
 * The dispute window (SPEC section 4): a bank manager may dispute an approved visit's answer for a
 * fixed number of days after its approval. Pure, so the visit page (days left), the dispute form
 * (refused up front) and the service (the authority at the moment of writing) decide alike.
 */
const DAY_MS = 86_400_000;

export interface DisputeWindow {
  closesAt: Date;
  open: boolean;
  /** Whole days still to go, counting a started day as one; 0 once closed. */
  daysLeft: number;
}

export function disputeWindow(approvedAt: Date, days: number, now: Date): DisputeWindow {
  const closesAt = new Date(approvedAt.getTime() + days * DAY_MS);
  const remaining = closesAt.getTime() - now.getTime();
  const open = remaining >= 0;
  return { closesAt, open, daysLeft: open ? Math.ceil(remaining / DAY_MS) : 0 };
}
