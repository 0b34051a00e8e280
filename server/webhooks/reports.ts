import { bankNotifyFacts } from '../banks/service';
import { config } from '../platform/config';
import { reportsReadySince } from '../publishing/service';
import { WebhookMark } from './model';
import { publishEvent } from './publish';

/**
 * report.published: a report becomes `ready` in one update of its own record (its readyAt), so the
 * reports ready since the last mark are announced by a periodic task. Its event id is the report's,
 * so announcing again (a crash before the mark moved, the look-back below) sends nothing twice.
 * The look-back covers a close that finished with an earlier readyAt than one already announced.
 */
const MARK = 'reports';
const LOOK_BACK_MS = 10 * 60_000;
/** The first run (no mark yet) announces what became ready in the last hour only, not every report ever. */
const FIRST_RUN_MS = 3600_000;

export async function announcePublishedReports(now = new Date()): Promise<number> {
  const mark = await WebhookMark.findById(MARK).lean();
  const since = new Date((mark?.at.getTime() ?? now.getTime() - FIRST_RUN_MS + LOOK_BACK_MS) - LOOK_BACK_MS);
  const reports = await reportsReadySince(since);
  for (const r of reports) {
    const bank = await bankNotifyFacts(r.bankId);
    const url = `${config().publicUrl}/api/v1/reports/${r.id}/files/bank`;
    await publishEvent({
      id: `evt_report_${r.id}`,
      type: 'report.published',
      bankId: r.bankId,
      orderKey: `report:${r.bankId}:${r.quarter}`,
      position: r.version,
      at: r.readyAt,
      data: {
        reportId: r.id,
        bank: { id: r.bankId, code: bank?.code ?? '', name: bank?.name ?? '' },
        quarter: r.quarter,
        version: r.version,
        publishedAt: r.readyAt.toISOString(),
        files: [{ scope: 'bank', url }],
      },
      // Earlier versions of the same quarter announced in this round go first (a later round's
      // look-back covers ten minutes; versions further apart are long delivered or in backoff alone).
      before: reports
        .filter((x) => x.bankId === r.bankId && x.quarter === r.quarter && x.version < r.version)
        .sort((x, y) => x.version - y.version)
        .map((x) => ({ id: `evt_report_${x.id}`, type: 'report.published' as const })),
    });
  }
  const last = reports.at(-1)?.readyAt;
  if (last && (!mark || last > mark.at))
    await WebhookMark.updateOne({ _id: MARK }, { $set: { at: last } }, { upsert: true });
  else if (!mark) await WebhookMark.updateOne({ _id: MARK }, { $set: { at: since } }, { upsert: true });
  return reports.length;
}
