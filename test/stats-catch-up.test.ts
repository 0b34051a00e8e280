import type { Express } from 'express';
import { quarterResults } from '../server/results/service';
import type { Principal } from '../server/platform/access';
import { catchUp, catchUpRoundsStarted } from '../server/stats/catch-up';
import { noteChange, pendingChangeOf, VisitChange } from '../server/visits/changes';
import { DEFAULT_TIMEZONE, quarterOf } from '../server/rules/quarters';
import { startTestApp, stopTestApp } from './helpers/app';
import { approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';

/**
 * Every reader catches up with the noted visit changes of its bank before it reads
 * (server/stats/catch-up.ts). Readers arriving while a round runs share one next round: under a
 * dashboard's load that is one round after another, not one round per waiting reader.
 */
jest.setTimeout(120_000);

let app: Express;
let f: FeedbackWorld;
const ADMIN: Principal = { id: 'test', email: 'test@localhost', name: 'test', role: 'admin' };

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'CU');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

test('readers arriving while a round runs share the next round, and every approval is in what they read', async () => {
  await Promise.all(['N1', 'N2', 'S1'].map((branchCode) => approvedVisit(f, { branchCode })));
  await catchUp(f.bankId);
  const before = catchUpRoundsStarted();
  const settled = await Promise.all(Array.from({ length: 25 }, () => catchUp(f.bankId)));
  // The first call starts a round; the 24 arriving while it runs wait for one more, together.
  expect(catchUpRoundsStarted() - before).toBe(2);
  expect(settled).toHaveLength(25);
  // A later caller, with no round running, starts its own.
  await catchUp(f.bankId);
  expect(catchUpRoundsStarted() - before).toBe(3);

  const res = await quarterResults(ADMIN, { bankId: f.bankId, quarter: quarterOf(new Date(), DEFAULT_TIMEZONE) });
  expect(res.branches.map((b) => b.key).sort()).toEqual(['N1', 'N2', 'S1']);
});

test('a change noted but not yet landed on its visit waits for the next round (it is not settled against the old visit)', async () => {
  const v = await approvedVisit(f, { branchCode: 'N2' });
  await catchUp(f.bankId);
  const id = String(v.id ?? v._id);
  const { Visit } = await import('../server/visits/model');
  const stored = (await Visit.findById(id, { rev: 1, bankId: 1 }).lean()) as { rev: number; bankId: unknown };
  // The next change (a dispute, say) is noted; its update of the visit has not happened yet.
  await noteChange({ _id: id, bankId: stored.bankId, rev: stored.rev });
  await catchUp(f.bankId);
  expect(await pendingChangeOf('stats', id)).not.toBeNull();
  // Once the update lands (the revision moves on), the next round takes the note.
  await Visit.updateOne({ _id: id }, { $inc: { rev: 1 } });
  await catchUp(f.bankId);
  expect(await pendingChangeOf('stats', id)).toBeNull();

  // A change whose update never landed (its writer died) is let go after the grace period.
  const now = (await Visit.findById(id, { rev: 1 }).lean()) as { rev: number };
  await noteChange({ _id: id, bankId: stored.bankId, rev: now.rev });
  await VisitChange.updateOne({ _id: id }, { $set: { at: new Date(Date.now() - 60_000) } });
  await catchUp(f.bankId);
  expect(await pendingChangeOf('stats', id)).toBeNull();
});
