import { Types } from 'mongoose';
import { Visit } from './model';
import { COUNTED_STATUSES, type StoredVisit, type VisitStatus } from './types';

/**
 * Reading visits for other features (through the door, service.ts): the statistics, results, HR,
 * action plans, the quarter close and the demo seed. No principal: each caller has checked access.
 */
// ---- for the demo seed
/** How many visits there are per quarter and status (the seed's summary). */
export async function countVisitsByQuarterAndStatus(): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const v of await Visit.find({}, { quarter: 1, status: 1 }).lean()) {
    const q = out.get(v.quarter) ?? new Map<string, number>();
    q.set(v.status, (q.get(v.status) ?? 0) + 1);
    out.set(v.quarter, q);
  }
  return out;
}

// ---- for stats
const STATS_FIELDS = {
  rev: 1,
  status: 1,
  visitedAt: 1,
  bankId: 1,
  quarter: 1,
  branchCode: 1,
  region: 1,
  auditorId: 1,
  staffIds: 1,
  'answers.itemKey': 1,
  'answers.value': 1,
  scores: 1,
  violations: 1,
  questionnaireId: 1,
  questionnaireVersion: 1,
} as const;
export type VisitForStats = Pick<
  StoredVisit,
  | '_id'
  | 'rev'
  | 'status'
  | 'visitedAt'
  | 'bankId'
  | 'quarter'
  | 'branchCode'
  | 'region'
  | 'auditorId'
  | 'staffIds'
  | 'answers'
  | 'scores'
  | 'violations'
  | 'questionnaireId'
  | 'questionnaireVersion'
>;

/** What the statistics need of one visit, as it is now. */
export async function visitForStats(id: string): Promise<VisitForStats | null> {
  return Visit.findById(id, STATS_FIELDS).lean<VisitForStats>();
}

/**
 * Every visit of a bank (in one quarter, when given), whatever its status, as the statistics need
 * it, in the batches the database sends (one cursor, batches of 1,000), each taken off the cursor
 * whole as it arrives. (Taken one by one, with work on each, the next batch is asked for only once
 * the last visit of this one is taken: the database waits on that work. Taken whole, the next can be
 * asked for at once: platform/db/read-ahead.ts.)
 */
export async function* visitBatchesForStats(bankId: string, quarter?: string): AsyncGenerator<VisitForStats[]> {
  const cursor = Visit.collection.find<VisitForStats>(
    { bankId: new Types.ObjectId(bankId), ...(quarter ? { quarter } : {}) },
    { projection: STATS_FIELDS, batchSize: 1000 },
  );
  try {
    while (await cursor.hasNext()) yield cursor.readBufferedDocuments();
  } finally {
    await cursor.close();
  }
}

/** The quarters a bank has visits in. */
export async function visitQuarters(bankId: string): Promise<string[]> {
  const rows = await Visit.aggregate<{ _id: string }>([
    { $match: { bankId: new Types.ObjectId(bankId) } },
    { $group: { _id: '$quarter' } },
  ]);
  return rows.map((r) => r._id).sort();
}

// ---- for results (also used by hr and actions)

/**
 * The counted (approved or disputed) visits of a bank in some quarters, streamed with only the
 * fields of `projection` (the rest of each document is absent despite the type).
 */
export function countedVisitsOf(
  bankId: string,
  quarters: readonly string[],
  projection: Readonly<Record<string, 1>>,
  batchSize = 1000,
): AsyncIterable<StoredVisit> {
  const quarter = quarters.length === 1 ? quarters[0] : { $in: quarters };
  return Visit.find({ bankId, quarter, status: { $in: COUNTED_STATUSES } }, projection)
    .lean<StoredVisit[]>()
    .cursor({ batchSize });
}

/** The counted visits of one branch in a quarter, by visit time (the results' last drill-down step). */
export async function countedBranchVisits(
  bankId: string,
  quarter: string,
  branchCode: string,
): Promise<Pick<StoredVisit, '_id' | 'visitedAt' | 'status' | 'scores' | 'violations'>[]> {
  return Visit.find(
    { bankId, quarter, branchCode, status: { $in: COUNTED_STATUSES } },
    { visitedAt: 1, status: 1, 'scores.total': 1, violations: 1 },
  )
    .sort({ visitedAt: 1 })
    .lean<StoredVisit[]>();
}

/** How many visits of a quarter each bank has in each status. */
export async function visitCountsByStatus(
  quarter: string,
): Promise<{ bankId: string; status: VisitStatus; n: number }[]> {
  const rows = await Visit.aggregate<{ _id: { bankId: unknown; status: VisitStatus }; n: number }>([
    { $match: { quarter } },
    { $group: { _id: { bankId: '$bankId', status: '$status' }, n: { $sum: 1 } } },
  ]);
  return rows.map((r) => ({ bankId: String(r._id.bankId), status: r._id.status, n: r.n }));
}

/** The branches (per bank) with at least one counted visit in a quarter. */
export async function countedVisitBranches(quarter: string): Promise<{ bankId: string; branchCode: string }[]> {
  const rows = await Visit.aggregate<{ _id: { bankId: unknown; branchCode: string } }>([
    { $match: { quarter, status: { $in: COUNTED_STATUSES } } },
    { $group: { _id: { bankId: '$bankId', branchCode: '$branchCode' } } },
  ]);
  return rows.map((r) => ({ bankId: String(r._id.bankId), branchCode: r._id.branchCode }));
}

/** The staff identified in each of some visits (one list per visit found). */
export async function staffIdsOfVisits(visitIds: readonly string[]): Promise<string[][]> {
  if (visitIds.length === 0) return [];
  const visits = await Visit.find({ _id: { $in: visitIds } }, { staffIds: 1 }).lean();
  return visits.map((v) => v.staffIds ?? []);
}

// ---- for publishing (the job registry's housekeeping)

/**
 * The counted visits of a bank's quarter with the given fields, streamed (a large bank's quarter has
 * 100,000 visits); no principal: the quarter close has its own rights.
 */
export function countedVisitsOfQuarter<K extends keyof StoredVisit>(
  bankId: string,
  quarter: string,
  fields: Readonly<Record<K, 1>>,
): AsyncIterable<Pick<StoredVisit, K | '_id'>> {
  return Visit.find({ bankId, quarter, status: { $in: COUNTED_STATUSES } }, fields)
    .lean<Pick<StoredVisit, K | '_id'>[]>()
    .cursor({ batchSize: 500 }) as AsyncIterable<Pick<StoredVisit, K | '_id'>>;
}
