import type { Express } from 'express';
import { Types } from 'mongoose';
import { Assignment } from '../server/assignments/model';
import { STATE_ID_LIST_MAX } from '../server/assignments/service';
import { listRecentAssignments } from '../server/visits/service';
import type { Principal } from '../server/platform/access';
import { Visit } from '../server/visits/model';
import { startTestApp, stopTestApp } from './helpers/app';
import { insertQuestionnaire, VisitWorld } from './helpers/visits';

/**
 * The admin's assignment list filtered by state when more visits are in a state than fit in a query
 * (the ids are then picked from a stream of assignments instead of sent as a $in / $nin list).
 */
let app: Express;
const admin = { id: new Types.ObjectId().toHexString(), role: 'admin' } as Principal;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(stopTestApp);

test('state filters give the same rows whether the ids fit in the query or not', async () => {
  const w = await VisitWorld.create(app);
  const bankId = await w.bank('SF1');
  await w.branch(bankId, 'N1', 'North');
  const questionnaireId = await insertQuestionnaire(bankId);
  const auditor = await w.user('sf1@firm.test', 'auditor');
  const approved = STATE_ID_LIST_MAX + 50; // more than fit: streamed
  const submitted = 40; // few: sent as a list
  const notStarted = 60;
  const total = approved + submitted + notStarted;
  const base = Date.UTC(2026, 6, 1);
  const assignments = Array.from({ length: total }, (_, i) => ({
    _id: new Types.ObjectId(),
    bankId,
    branchCode: 'N1',
    region: 'North',
    auditorId: auditor.id,
    questionnaireId,
    quarter: '2026-Q3',
    // Interleaved, so that each state is spread over the whole newest-first order.
    windowStart: new Date(base + i * 3_600_000),
    windowEnd: new Date(base + i * 3_600_000 + 86_400_000),
    scenario: '开户',
  }));
  await Assignment.insertMany(assignments);
  const stateOf = (i: number) =>
    i % 23 === 0 && i / 23 < notStarted
      ? 'not_started'
      : i % 31 === 1 && (i - 1) / 31 < submitted
        ? 'submitted'
        : 'approved';
  const visits = assignments.flatMap((a, i) =>
    stateOf(i) === 'not_started'
      ? []
      : [
          {
            assignmentId: a._id,
            bankId,
            branchCode: 'N1',
            region: 'North',
            auditorId: auditor.id,
            questionnaireId,
            questionnaireVersion: 1,
            quarter: '2026-Q3',
            visitedAt: a.windowStart,
            durationMinutes: 20,
            status: stateOf(i),
            rev: 1,
            idempotencyKey: `sf${i}`,
          },
        ],
  );
  await Visit.insertMany(visits);
  const newestFirst = [...assignments].reverse();
  const expected = (state: string) =>
    newestFirst.filter((a) => stateOf(assignments.indexOf(a)) === state).map((a) => String(a._id));

  for (const state of ['approved', 'submitted', 'not_started'] as const) {
    const want = expected(state);
    expect(want.length).toBeGreaterThan(0);
    const page = await listRecentAssignments(admin, { bankId, state }, 25);
    expect({ state, ids: page.rows.map((r) => r.id), more: page.more }).toEqual({
      state,
      ids: want.slice(0, 25),
      more: want.length > 25,
    });
    const all = await listRecentAssignments(admin, { bankId, state }, 2000);
    expect({ state, n: all.rows.length, more: all.more }).toEqual({ state, n: want.length, more: false });
  }
  expect(expected('approved').length).toBeGreaterThan(STATE_ID_LIST_MAX);
  // The query never carries more than STATE_ID_LIST_MAX ids.
  const finds = jest.spyOn(Assignment, 'find');
  try {
    for (const state of ['approved', 'submitted', 'not_started'] as const)
      await listRecentAssignments(admin, { bankId, state }, 25);
    const idLists = finds.mock.calls.map((call) => {
      const id = ((call as unknown[])[0] as { _id?: { $in?: unknown[]; $nin?: unknown[] } } | undefined)?._id;
      return id ? (id.$in ?? id.$nin ?? []).length : 0;
    });
    expect(idLists).toEqual([0, expected('submitted').length, 0]);
  } finally {
    finds.mockRestore();
  }
  const unfiltered = await listRecentAssignments(admin, { bankId }, 10);
  expect(unfiltered.rows.map((r) => r.id)).toEqual(newestFirst.slice(0, 10).map((a) => String(a._id)));
  expect(unfiltered.more).toBe(true);
});
