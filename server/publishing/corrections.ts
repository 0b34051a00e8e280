import { Schema, Types, model } from 'mongoose';
import { scopeFilter, type Principal } from '../platform/access';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import { logger } from '../platform/logger';
import { markOverturnNoted, overturnsToNote, type OverturnToNote } from '../disputes/service';
import { Report } from './model';

/**
 * "Correction pending": a dispute overturned on a visit of a quarter whose reports were already
 * published (or were being closed) changes numbers those reports show, so the bank+quarter needs a
 * new version (SPEC section 5). One record per overturned dispute — an insert under a unique key,
 * so recording twice is harmless — cleared (not deleted: the record stays as history) by the first
 * version whose snapshot was taken after it.
 */
const correctionSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    quarter: { type: String, required: true },
    disputeId: { type: Schema.Types.ObjectId, ref: 'Dispute', required: true },
    visitId: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    // Copied from the dispute, so that bank users see only corrections in their scope.
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    itemKey: { type: String, required: true },
    /** Recorded after the visit was corrected: a snapshot taken after `at` includes the correction. */
    at: { type: Date, required: true },
    clearedAt: { type: Date, default: null },
    clearedBy: { type: Schema.Types.ObjectId, ref: 'Report', default: null },
  },
  { versionKey: false },
);
correctionSchema.index({ disputeId: 1 }, { unique: true });
correctionSchema.index({ bankId: 1, quarter: 1, clearedAt: 1 });
export const ReportCorrection = model('ReportCorrection', correctionSchema, 'report_corrections');

/**
 * Takes note of the overturns the disputes feature has marked (each in the same write as its
 * decision): a correction record where the bank+quarter already has a report, then the dispute's
 * mark cleared. Runs at once after each overturn (bootstrap.ts wires it to disputes.onOverturn) and
 * in the periodic task (jobs.ts), which retries whatever failed and picks up after a crash; each step
 * is idempotent. Returns how many were noted; a failure is logged and left for the next run.
 *
 * One run at a time per process: a call while one runs waits for a single run after it (which sees
 * every overturn noted so far), shared by all who called meanwhile. Each overturn calls this at once,
 * and every run reads every overturn not yet noted: under a burst of overturns, runs side by side
 * each went over the same list (a benchmark of 200 overturns made 11,907 report lookups).
 */
let running: Promise<{ noted: number; failed: number }> | null = null;
let following: Promise<{ noted: number; failed: number }> | null = null;
export function noteOverturns(): Promise<{ noted: number; failed: number }> {
  if (!running) {
    running = noteOverturnsNow().finally(() => {
      running = null;
    });
    return running;
  }
  following ??= running.then(
    () => {
      following = null;
      return noteOverturns();
    },
    () => {
      following = null;
      return noteOverturns();
    },
  );
  return following;
}

async function noteOverturnsNow(): Promise<{ noted: number; failed: number }> {
  let noted = 0;
  let failed = 0;
  for (const d of await overturnsToNote()) {
    try {
      await noteOverturn(d);
      await markOverturnNoted(d._id);
      noted += 1;
    } catch (e) {
      failed += 1;
      logger.error(
        { err: e, disputeId: String(d._id), bankId: String(d.bankId), quarter: d.quarter },
        'could not record a pending report correction yet; it is tried again',
      );
    }
  }
  return { noted, failed };
}

/**
 * Nothing to record when the bank+quarter has no report yet (the first close will include the
 * correction) or only failed ones. The record keeps the overturn's own time, so a version whose
 * snapshot was taken after it (a re-issue that came first) clears it at once.
 */
async function noteOverturn(d: OverturnToNote): Promise<void> {
  const reported = await Report.exists({ bankId: d.bankId, quarter: d.quarter, status: { $in: ['ready', 'pending'] } });
  if (!reported) return;
  const record = () =>
    ReportCorrection.create({
      bankId: d.bankId,
      quarter: d.quarter,
      disputeId: d._id,
      visitId: d.visitId,
      branchCode: d.branchCode,
      region: d.region,
      itemKey: d.itemKey,
      at: d.overturnedAt,
      clearedAt: null,
      clearedBy: null,
    });
  await unlessDuplicate(record, () => undefined); // recorded already
  const current = await Report.findOne(
    { bankId: d.bankId, quarter: d.quarter, status: 'ready', supersededBy: null },
    { _id: 1 },
  ).lean();
  if (current) await clearCorrections(current._id);
}

/** At publication: the corrections the report's snapshot already contains are cleared by it. */
export async function clearCorrections(reportId: Types.ObjectId | string): Promise<number> {
  const report = await Report.findById(reportId, { bankId: 1, quarter: 1, snapshot: 1 }).lean();
  if (!report?.snapshot) return 0;
  const res = await ReportCorrection.updateMany(
    { bankId: report.bankId, quarter: report.quarter, clearedAt: null, at: { $lte: report.snapshot.generatedAt } },
    { $set: { clearedAt: new Date(), clearedBy: report._id } },
  );
  return res.modifiedCount;
}

export interface PendingCorrection {
  bankId: string;
  quarter: string;
  count: number;
  since: Date;
  branchCodes: string[];
}

export const correctionKey = (bankId: string, quarter: string) => `${bankId}|${quarter}`;

/**
 * The uncleared corrections per bank+quarter, cut to the caller's scope (a bank user learns of a
 * correction only when the corrected visit is one they may see). `keys` narrows the search.
 */
export async function pendingCorrections(
  p: Principal,
  keys?: { bankId: string; quarter: string }[],
): Promise<Map<string, PendingCorrection>> {
  const out = new Map<string, PendingCorrection>();
  if (keys && keys.length === 0) return out;
  const wanted: Record<string, unknown> = { clearedAt: null };
  if (keys) {
    wanted.bankId = { $in: [...new Set(keys.map((k) => k.bankId))].map((id) => new Types.ObjectId(id)) };
    wanted.quarter = { $in: [...new Set(keys.map((k) => k.quarter))] };
  }
  const rows = await ReportCorrection.find(
    { $and: [scopeFilter(p), wanted] },
    { bankId: 1, quarter: 1, branchCode: 1, at: 1 },
  )
    .sort({ at: 1, _id: 1 })
    .limit(5000)
    .lean();
  for (const r of rows) {
    const key = correctionKey(String(r.bankId), r.quarter);
    const entry = out.get(key) ?? {
      bankId: String(r.bankId),
      quarter: r.quarter,
      count: 0,
      since: r.at,
      branchCodes: [],
    };
    entry.count += 1;
    if (!entry.branchCodes.includes(r.branchCode)) entry.branchCodes.push(r.branchCode);
    out.set(key, entry);
  }
  return out;
}
