import { showTime } from '../../web/local-time';
import * as disputes from '../../disputes/service';
import type { PageContext } from '../../web/render';
import type { VisitView } from '../view';

/**
 * Disputes where the finding is (issue 20): on an approved visit a bank manager in scope disputes an
 * answer from the answer itself, sees how many days the window has left, and is told up front when
 * it has closed; an answer already disputed links to its dispute. Firm staff see the visit's
 * disputes linked too. The window and who may dispute are the disputes feature's (its door).
 */
export interface AnswerDispute {
  /** Link to open a new dispute of this answer, when the viewer may. */
  newHref?: string;
  /** The answer's latest dispute. */
  href?: string;
  statusLabel?: string;
  status?: string;
}

export interface DisputePanel {
  /** A bank manager on a visit that can be disputed. */
  opener: boolean;
  open: boolean;
  daysLeft: number;
  closesAt: string;
  list: { href: string; item: string; statusLabel: string; status: string; openedAt: string }[];
  forItem: (itemKey: string, answered: boolean) => AnswerDispute;
}

const NONE: DisputePanel = {
  opener: false,
  open: false,
  daysLeft: 0,
  closesAt: '',
  list: [],
  forItem: () => ({}),
};

export async function disputePanel(
  ctx: PageContext,
  v: VisitView,
  timezone: string,
  texts: Map<string, string>,
): Promise<DisputePanel> {
  if (!disputes.READERS.includes(ctx.user.role) || !(disputes.DISPUTABLE as readonly string[]).includes(v.status))
    return NONE;
  const rows = await disputes.visitDisputes(ctx.user, v.id);
  const latest = new Map(rows.map((d) => [d.itemKey, d]));
  const opener = disputes.OPENER.includes(ctx.user.role) && Boolean(v.approvedAt);
  const window = v.approvedAt ? disputes.windowOfVisit(v.approvedAt) : null;
  const statusLabel = (s: string) => ctx.t(`disputes.status.${s}`);
  return {
    opener,
    open: Boolean(window?.open),
    daysLeft: window?.daysLeft ?? 0,
    closesAt: window ? showTime(window.closesAt, timezone) : '',
    list: rows.map((d) => ({
      href: `/disputes/${d.id}`,
      item: texts.get(d.itemKey) ?? ctx.t('disputes.item_unknown'),
      statusLabel: statusLabel(d.status),
      status: d.status,
      openedAt: showTime(d.openedAt, timezone),
    })),
    forItem(itemKey, answered) {
      const d = latest.get(itemKey);
      const undecided = d && (d.status === 'open' || d.status === 'resolving');
      const out: AnswerDispute = d
        ? { href: `/disputes/${d.id}`, statusLabel: statusLabel(d.status), status: d.status }
        : {};
      if (opener && window?.open && answered && !undecided)
        out.newHref = `/disputes/new?visitId=${v.id}&itemKey=${encodeURIComponent(itemKey)}`;
      return out;
    },
  };
}
