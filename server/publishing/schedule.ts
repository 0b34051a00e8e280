import { DateTime } from 'luxon';
import { listBanks } from '../banks/service';
import type { Principal } from '../platform/access';
import { claimedAt, tryClaim } from '../platform/db/write-claims';
import { logger } from '../platform/logger';
import { quarterStart, shiftQuarter, quarterOf } from '../rules/quarters';
import { Report } from './model';
import { closeQuarter } from './service';

/**
 * The optional schedule (AUTO_CLOSE_DAYS): a bank's quarter is closed automatically that many days
 * after it ended in the bank's time zone, unless it was closed by hand already. A mark per bank and
 * quarter (a write claim that never expires), taken before the close is queued, makes it happen once
 * across all instances; a mark whose close never got queued (the instance died in between) is
 * retried after a while.
 */
const SCHEDULER: Principal = { id: 'scheduler', email: 'scheduler@localhost', name: 'automatic close', role: 'admin' };
const STALE_MARK_MS = 10 * 60_000;

export const autoCloseMark = (bankId: string, quarter: string) => `autoclose:${bankId}:${quarter}`;

/** The moment the quarter before `now`'s quarter ended, in the bank's time zone. */
export function endOfPreviousQuarter(now: Date, timezone: string): { quarter: string; end: Date } {
  const current = quarterOf(now, timezone);
  const [y, q] = current.split('-Q').map(Number);
  const end = DateTime.fromObject({ year: y, month: (q - 1) * 3 + 1, day: 1 }, { zone: timezone }).toJSDate();
  return { quarter: shiftQuarter(current, -1), end };
}

/**
 * When the next reports come, for a page with none yet (issue 20): the current quarter, the moment it
 * ends in the bank's zone and — when the schedule is on — the moment it is closed automatically at
 * the latest. Pure.
 */
export function reportsExpected(
  now: Date,
  timezone: string,
  autoCloseDays: number | undefined,
): { quarter: string; endsAt: Date; closesBy: Date | null } {
  const quarter = quarterOf(now, timezone);
  const endsAt = quarterStart(shiftQuarter(quarter, 1), timezone);
  const closesBy = autoCloseDays === undefined ? null : new Date(endsAt.getTime() + autoCloseDays * 86400_000);
  return { quarter, endsAt, closesBy };
}

export async function closeDueQuarters(now: Date, days: number): Promise<string[]> {
  const queued: string[] = [];
  for (const bank of await listBanks(SCHEDULER)) {
    const bankId = bank.id;
    const { quarter, end } = endOfPreviousQuarter(now, bank.timezone);
    if (now.getTime() < end.getTime() + days * 86400_000) continue;
    const markId = autoCloseMark(bankId, quarter);
    const markedAt = await claimedAt(markId);
    if (markedAt) {
      const lost = now.getTime() - markedAt.getTime() > STALE_MARK_MS && !(await Report.exists({ bankId, quarter }));
      if (!lost) continue;
    } else {
      const closedByHand = await Report.exists({ bankId, quarter });
      if (!(await tryClaim(markId))) continue; // another instance took it
      if (closedByHand) continue;
    }
    const r = await closeQuarter(SCHEDULER, bankId, quarter);
    logger.info({ bankId, quarter, reportId: r.reportId }, 'quarter closed automatically');
    queued.push(r.reportId);
  }
  return queued;
}
