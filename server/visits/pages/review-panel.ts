import type { PageContext } from '../../web/render';
import { reviewQueue } from '../service';
import type { VisitView } from '../view';
import { attachmentsView, flagLabel } from './shared';

/**
 * The reviewer's decision panel (issue 20): beside the answers, the visit's flags — each to be
 * acknowledged before the visit can be approved, so "same file as another visit" is never approved
 * in one click — and its evidence as thumbnails and players; after a decision, the next visit of
 * the queue opens at once.
 */
export interface OtherVisit {
  href: string;
  label: string;
}

/** Links to the other visits a flag names, as words ("visit 1"), never database ids. */
export function otherVisits(ctx: PageContext, ids: string[] | undefined): OtherVisit[] {
  return (ids ?? []).map((id, i) => ({
    href: `/visits/${id}`,
    label: ctx.t('visits.review.other_visit', { n: i + 1 }),
  }));
}

export interface ReviewPanel {
  flags: { code: string; label: string; others: OtherVisit[]; acked: boolean }[];
  evidence: ReturnType<typeof attachmentsView>;
}

export function reviewPanel(ctx: PageContext, v: VisitView, acked: Set<string> = new Set()): ReviewPanel {
  return {
    flags: v.flags.map((f) => ({
      code: f.code,
      label: flagLabel(ctx.t, f),
      others: otherVisits(ctx, f.visitIds),
      acked: acked.has(f.code),
    })),
    evidence: attachmentsView(v)
      .filter((a) => !a.removedAt)
      .map((a) => ({ ...a, audio: a.contentType.startsWith('audio/') })),
  };
}

/** The flags of the visit a reviewer has not ticked as checked; approving waits for none. */
export function unacknowledgedFlags(v: VisitView, posted: string | string[] | undefined): string[] {
  const acked = new Set(Array.isArray(posted) ? posted : posted ? [posted] : []);
  return v.flags.map((f) => f.code).filter((code) => !acked.has(code));
}

/** The oldest other visit still waiting for review, or null when the queue is done. */
export async function nextInQueue(ctx: PageContext, after: string): Promise<string | null> {
  const { rows } = await reviewQueue(ctx.user, { limit: 2 });
  return rows.find((r) => r.id !== after)?.id ?? null;
}
