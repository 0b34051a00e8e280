import type { Express } from 'express';
import { quarterResults } from '../server/results/service';
import type { Principal } from '../server/platform/access';
import { StatsRegion } from '../server/stats/model';
import { forgetKeptRecords } from '../server/stats/read-cache';
import { regionId } from '../server/stats/store';
import { DEFAULT_TIMEZONE, quarterOf } from '../server/rules/quarters';
import { startTestApp, stopTestApp } from './helpers/app';
import { ANSWERS, approvedVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';

/**
 * Region and bucket records kept decoded in process (server/stats/read-cache.ts) and the whole bank's
 * violations worked out once per state (server/results/quarter.ts): served again only while the bank
 * record names the same seqs. A record changed without a new seq (which no writer does; here it is
 * done by hand to see the copy) proves the copy is used; a real change is seen at once.
 */
jest.setTimeout(120_000);

let app: Express;
let f: FeedbackWorld;
const ADMIN: Principal = { id: 'test', email: 'test@localhost', name: 'test', role: 'admin' };
const FAIL_C1 = ANSWERS.map((a) => (a.itemKey === 'c1' ? { ...a, value: 'no' } : a));

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'RC');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const quarter = () => quarterOf(new Date(), DEFAULT_TIMEZONE);
const results = () => quarterResults(ADMIN, { bankId: f.bankId, quarter: quarter() });
const violationKeys = async () => (await results()).violations.map((v) => `${v.branchCode}:${v.itemKey}`).sort();

/** Empties the North region's record behind the app's back, keeping its seq. */
async function blankNorthWithoutNewSeq(): Promise<void> {
  const r = await StatsRegion.collection.updateOne(
    { _id: regionId(f.bankId, quarter(), 'North') as never },
    { $set: { packed: '{}' } },
  );
  expect(r.matchedCount).toBe(1);
}

test('unchanged records and the bank’s violations are served from the kept copies; a real change is seen at once', async () => {
  await approvedVisit(f, { branchCode: 'N1', answers: FAIL_C1 });
  await approvedVisit(f, { branchCode: 'S1' });
  const first = await results();
  expect(await violationKeys()).toEqual(['N1:c1']);
  const northBranches = first.branches.filter((b) => b.region === 'North').map((b) => b.key);
  expect(northBranches).toEqual(['N1']);

  // Same seq, other value: the kept copies answer, so the figures do not move.
  await blankNorthWithoutNewSeq();
  const again = await results();
  expect(again.violations).toEqual(first.violations);
  expect(again.branches.map((b) => [b.key, b.n, b.total])).toEqual(first.branches.map((b) => [b.key, b.n, b.total]));
  // What a process without copies reads now: the blanked record (no North branch, no violation).
  forgetKeptRecords();
  const cold = await quarterResults(ADMIN, { bankId: f.bankId, quarter: quarter(), withoutViolations: false });
  expect(cold.branches.filter((b) => b.region === 'North')).toEqual([]);

  // A real change (another approval in North, through the sync's every step) gives the region record
  // and the bank record new seqs: every reader sees it at once, copies or not.
  await approvedVisit(f, { branchCode: 'N2', answers: FAIL_C1 });
  const after = await results();
  expect(after.violations.map((v) => `${v.branchCode}:${v.itemKey}`)).toContain('N2:c1');
  expect(after.branches.map((b) => b.key)).toContain('N2');
  forgetKeptRecords();
  expect(await results()).toEqual(after);
});

test('a statistics record made anew starts at a time in ms, never at a seq a kept copy may hold', async () => {
  // South's record was made by the first approval at S1 above and not changed since.
  const doc = await StatsRegion.collection.findOne({ _id: regionId(f.bankId, quarter(), 'South') as never });
  expect(doc?.seq).toBeGreaterThan(Date.now() - 600_000);
  expect(doc?.seq).toBeLessThanOrEqual(Date.now());
});
