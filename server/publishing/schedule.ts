import { DateTime } from 'luxon';
import { Bank } from '../banks/model';
import type { Principal } from '../platform/access';
import { logger } from '../platform/logger';
import { ScheduleMark } from '../platform/jobs/model';
import { shiftQuarter, quarterOf } from '../rules/quarters';
import { Report } from './model';
import { closeQuarter } from './service';

/**
 * The optional schedule (AUTO_CLOSE_DAYS): a bank's quarter is closed automatically that many days
 * after it ended in the bank's time zone, unless it was closed by hand already. A mark per bank and
 * quarter, inserted before the close is queued, makes it happen once across all instances; a mark
 * whose close never got queued (the instance died in between) is retried after a while.
 */
const SCHEDULER: Principal = { id: 'scheduler', email: 'scheduler@localhost', name: 'automatic close', role: 'admin' };
const STALE_MARK_MS = 10 * 60_000;

/** The moment the quarter before `now`'s quarter ended, in the bank's time zone. */
export function endOfPreviousQuarter(now: Date, timezone: string): { quarter: string; end: Date } {
  const current = quarterOf(now, timezone);
  const [y, q] = current.split('-Q').map(Number);
  const end = DateTime.fromObject({ year: y, month: (q - 1) * 3 + 1, day: 1 }, { zone: timezone }).toJSDate();
  return { quarter: shiftQuarter(current, -1), end };
}

export async function closeDueQuarters(now: Date, days: number): Promise<string[]> {
  const queued: string[] = [];
  for (const bank of await Bank.find({}, { timezone: 1 }).lean()) {
    const bankId = String(bank._id);
    const { quarter, end } = endOfPreviousQuarter(now, bank.timezone);
    if (now.getTime() < end.getTime() + days * 86400_000) continue;
    const markId = `autoclose:${bankId}:${quarter}`;
    const mark = await ScheduleMark.findById(markId).lean();
    if (mark) {
      const lost =
        now.getTime() - mark.createdAt.getTime() > STALE_MARK_MS && !(await Report.exists({ bankId, quarter }));
      if (!lost) continue;
    } else {
      const closedByHand = await Report.exists({ bankId, quarter });
      try {
        await ScheduleMark.create({ _id: markId, createdAt: now });
      } catch (e) {
        if ((e as { code?: number }).code === 11000) continue; // another instance took it
        throw e;
      }
      if (closedByHand) continue;
    }
    const r = await closeQuarter(SCHEDULER, bankId, quarter);
    logger.info({ bankId, quarter, reportId: r.reportId }, 'quarter closed automatically');
    queued.push(r.reportId);
  }
  return queued;
}
