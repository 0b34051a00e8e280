import type { Express } from 'express';
import { Types } from 'mongoose';
import { Dispute } from '../server/disputes/model';
import { appWorkers, OVERTURNS_TASK } from '../server/jobs';
import { tryClaim, WriteClaim } from '../server/platform/db/write-claims';
import { ReportCorrection } from '../server/publishing/corrections';
import { Report } from '../server/publishing/model';
import { Visit } from '../server/visits/model';
import { startTestApp, stopTestApp } from './helpers/app';
import {
  api,
  approvedVisit,
  dispute,
  feedbackWorld,
  resolve,
  SETUP_TIMEOUT_MS,
  type FeedbackWorld,
} from './helpers/feedback';

/**
 * A correction after publication cannot be lost (SECURITY REVIEW defect 5). An overturn of a visit
 * whose quarter was already published must leave the bank+quarter "correction pending" until a new
 * version is issued. It used to be recorded after the dispute was marked overturned, in a separate
 * write whose failure was only logged: a failed write, or a crash in between, lost it for good.
 * Now the dispute carries the mark in the same write as its decision, publishing is told at once,
 * and a periodic task (also at start-up) retries what failed and completes or undoes resolutions a
 * dead process left half-way.
 */
let app: Express;
let f: FeedbackWorld;
let quarter: string;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'DC');
  const first = await approvedVisit(f);
  quarter = first.quarter as string;
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  jest.restoreAllMocks();
  await stopTestApp();
});

/** The periodic task as the workers run it. */
async function runOverturnsTask(): Promise<void> {
  const task = appWorkers().periodic.find((t) => t.name === OVERTURNS_TASK);
  if (!task) throw new Error(`no periodic task "${String(OVERTURNS_TASK)}"`);
  await task.run(new Date());
}

/** A published version of the bank's quarter, its snapshot taken at `generatedAt`. */
async function published(version: number, generatedAt: Date): Promise<Types.ObjectId> {
  const report = await Report.create({
    bankId: f.bankId,
    quarter,
    version,
    status: 'ready',
    readyAt: generatedAt,
    snapshot: { fileId: new Types.ObjectId(), size: 1, sha256: 'x'.repeat(64), generatedAt, n: 1, branches: 1 },
  });
  await Report.updateMany(
    { bankId: f.bankId, quarter, version: { $lt: version }, supersededBy: null },
    { $set: { supersededBy: report._id, supersededAt: generatedAt } },
  );
  return report._id;
}

async function overturnedDispute(itemKey = 'c2'): Promise<{ visitId: string; disputeId: string }> {
  const v = await approvedVisit(f);
  const d = (await dispute(f, f.manager, v.id, itemKey)).body;
  const res = await resolve(f, f.reviewer, d.id, { decision: 'overturned', value: 'yes', note: '录像证实' });
  expect(res.status).toBe(200);
  return { visitId: v.id, disputeId: d.id };
}

const pendingOnList = async () =>
  (
    (await api(f).get(f.admin, `/reports?bankId=${f.bankId}&quarter=${quarter}`)).body as {
      version: number;
      correctionPending: boolean;
    }[]
  ).map((r) => [r.version, r.correctionPending]);

beforeEach(async () => {
  await ReportCorrection.deleteMany({});
  await Report.deleteMany({});
  jest.restoreAllMocks();
});

test('an overturn after publication is recorded at once, its time that of the overturn', async () => {
  await published(1, new Date(Date.now() - 60_000));
  const { disputeId } = await overturnedDispute();
  const d = await Dispute.findById(disputeId).lean();
  expect(d).toMatchObject({ status: 'overturned', overturnNoted: true });
  const c = await ReportCorrection.findOne({ disputeId }).lean();
  expect(c?.at.toISOString()).toBe(d?.overturnedAt?.toISOString());
  expect(await pendingOnList()).toEqual([[1, true]]);
});

test('a failed correction write is not lost: the periodic task records it', async () => {
  await published(1, new Date(Date.now() - 60_000));
  // Fault injection: the first insert of a correction record fails (the database is real).
  jest.spyOn(ReportCorrection, 'create').mockRejectedValueOnce(new Error('connection reset by peer'));
  const { disputeId } = await overturnedDispute();
  // The reviewer's decision stands; the mark waits on the dispute.
  expect(await Dispute.findById(disputeId).lean()).toMatchObject({ status: 'overturned', overturnNoted: false });
  expect(await ReportCorrection.countDocuments({ disputeId })).toBe(0);

  await runOverturnsTask();
  expect(await ReportCorrection.countDocuments({ disputeId, clearedAt: null })).toBe(1);
  expect(await Dispute.findById(disputeId).lean()).toMatchObject({ overturnNoted: true });
  expect(await pendingOnList()).toEqual([[1, true]]);
  // Running again records nothing twice.
  await runOverturnsTask();
  expect(await ReportCorrection.countDocuments({ disputeId })).toBe(1);
});

test('a crash right after the decision (publishing never told) is caught up by the periodic task', async () => {
  await published(1, new Date(Date.now() - 60_000));
  const { disputeId } = await overturnedDispute();
  // What a process killed right after the dispute's write leaves behind.
  await ReportCorrection.deleteMany({ disputeId });
  await Dispute.updateOne({ _id: disputeId }, { $set: { overturnNoted: false } });

  await runOverturnsTask();
  expect(await ReportCorrection.countDocuments({ disputeId, clearedAt: null })).toBe(1);
});

test('a resolution interrupted after the visit was corrected is completed, and its correction recorded', async () => {
  await published(1, new Date(Date.now() - 60_000));
  const { visitId, disputeId } = await overturnedDispute();
  // What a process killed between the visit's commit and the dispute's decision leaves behind.
  await ReportCorrection.deleteMany({ disputeId });
  await Dispute.updateOne(
    { _id: disputeId },
    { $set: { status: 'resolving', openKey: `${visitId}:c2` }, $unset: { overturnedAt: 1, overturnNoted: 1 } },
  );
  await WriteClaim.updateOne(
    { _id: `dispute-resolve:${disputeId}` },
    { $set: { at: new Date(Date.now() - 3600_000) } },
  );

  await runOverturnsTask();
  expect(await Dispute.findById(disputeId).lean()).toMatchObject({ status: 'overturned', overturnNoted: true });
  expect(await ReportCorrection.countDocuments({ disputeId, clearedAt: null })).toBe(1);
  // The decision was applied to the visit once.
  const visit = await Visit.findById(visitId).lean();
  expect(visit?.history.filter((h) => h.action === 'dispute_overturned')).toHaveLength(1);
});

test('a resolution interrupted before it reached the visit is undone: the dispute is open and can be resolved', async () => {
  const v = await approvedVisit(f);
  const d = (await dispute(f, f.manager, v.id, 'g1')).body;
  // A reviewer's process took the claim and marked the dispute, then died.
  await tryClaim(`dispute-resolve:${d.id}`);
  await WriteClaim.updateOne({ _id: `dispute-resolve:${d.id}` }, { $set: { at: new Date(Date.now() - 3600_000) } });
  const resolution = {
    decision: 'overturned',
    value: 'yes',
    note: 'n',
    by: new Types.ObjectId(f.reviewer.id),
    at: new Date(),
  };
  await Dispute.updateOne({ _id: d.id }, { $set: { status: 'resolving', resolution } });

  await runOverturnsTask();
  expect(await Dispute.findById(d.id).lean()).toMatchObject({ status: 'open', resolution: null });
  expect((await Visit.findById(v.id).lean())?.status).toBe('disputed');
  const res = await resolve(f, f.reviewer2, d.id, { decision: 'upheld', note: '维持' });
  expect(res.status).toBe(200);
  expect((await Visit.findById(v.id).lean())?.status).toBe('approved');
});

test('a resolution still in progress (claim younger than the lease) is left alone', async () => {
  const v = await approvedVisit(f);
  const d = (await dispute(f, f.manager, v.id, 'p1')).body;
  await tryClaim(`dispute-resolve:${d.id}`);
  await Dispute.updateOne({ _id: d.id }, { $set: { status: 'resolving' } });
  await runOverturnsTask();
  expect((await Dispute.findById(d.id).lean())?.status).toBe('resolving');
});

test('an overturn noted late, after a re-issue whose snapshot already has it, is not marked pending', async () => {
  await published(1, new Date(Date.now() - 60_000));
  jest.spyOn(ReportCorrection, 'create').mockRejectedValueOnce(new Error('connection reset by peer'));
  const { disputeId } = await overturnedDispute();
  const v2 = await published(2, new Date(Date.now() + 1000));

  await runOverturnsTask();
  const c = await ReportCorrection.findOne({ disputeId }).lean();
  expect(String(c?.clearedBy)).toBe(String(v2));
  expect(await pendingOnList()).toEqual([
    [2, false],
    [1, false],
  ]);
});

test('without any report of the quarter nothing is recorded (the first close includes the correction)', async () => {
  const { disputeId } = await overturnedDispute();
  expect(await Dispute.findById(disputeId).lean()).toMatchObject({ overturnNoted: true });
  expect(await ReportCorrection.countDocuments({})).toBe(0);
});

test('an upheld dispute carries no overturn mark', async () => {
  await published(1, new Date(Date.now() - 60_000));
  const v = await approvedVisit(f);
  const d = (await dispute(f, f.manager, v.id, 'c2')).body;
  expect((await resolve(f, f.reviewer, d.id, { decision: 'upheld', note: '维持' })).status).toBe(200);
  const stored = await Dispute.findById(d.id).lean();
  expect(stored?.overturnNoted).toBeUndefined();
  await runOverturnsTask();
  expect(await ReportCorrection.countDocuments({})).toBe(0);
});
