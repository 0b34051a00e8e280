import type { Express } from 'express';
import request from 'supertest';
import { BranchMove } from '../server/banks/model';
import { applyMoves } from '../server/banks/service';
import { verifyQuarter } from '../server/stats/service';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { api, approvedVisit, dispute, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';
import type { Actor } from './helpers/visits';

/**
 * A branch moved to another region by an import (issue 15, defect 3): whoever sees by region sees the
 * branch where it is now — its visits, disputes, plans and figures, past quarters included — and the
 * old region's manager no longer does. A move recorded but not yet followed (the process died) is
 * finished by the next round; one whose import failed is dropped.
 */
let app: Express;
let f: FeedbackWorld;
let south: Actor;
let visitId: string;
let pastVisitId: string;
let disputeId: string;
let planId: string;
let quarter: string;
const PAST = '2026-08-15T10:00:00+08:00';

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'BM');
  south = await f.w.user('bm-south@bank.test', 'bank_manager', {
    bankId: f.bankId,
    scope: { type: 'region', region: 'South' },
  });
  const v = await approvedVisit(f, { branchCode: 'N2' });
  visitId = v.id;
  quarter = v.quarter;
  pastVisitId = (await approvedVisit(f, { branchCode: 'N2', visitedAt: PAST })).id;
  await approvedVisit(f, { branchCode: 'N1' });
  disputeId = (await dispute(f, f.manager, visitId, 'g1')).body.id;
  planId = (
    await api(f).post(f.manager, '/action-plans', {
      kind: 'key_problem',
      bankId: f.bankId,
      quarter,
      itemKey: 'c2',
      scope: { type: 'branch', branchCode: 'N2' },
      action: '重新培训',
      owner: '网点主任',
      dueDate: '2027-01-31',
    })
  ).body.id;
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const importBranches = (rows: string[]) =>
  request(app)
    .post(`/api/v1/banks/${f.bankId}/branches/import`)
    .set(bearer(f.admin.token))
    .attach('file', Buffer.from(['code,name,region', ...rows].join('\n')), 'branches.csv');

const sees = async (who: Actor, path: string) => (await api(f).get(who, path)).status;

const regionBranches = async (who: Actor, q: string) =>
  (await api(f).get(who, `/results?bankId=${f.bankId}&quarter=${q}&level=branch`)).body.rows.map(
    (r: { key: string }) => r.key,
  );

test('before the move, the North manager sees N2 and the South manager does not', async () => {
  expect(await sees(f.north, `/visits/${visitId}`)).toBe(200);
  expect(await sees(south, `/visits/${visitId}`)).toBe(404);
  expect(await regionBranches(f.north, quarter)).toContain('N2');
});

test('after an import moves N2 to South, everything of N2 is South’s, past quarters included', async () => {
  const res = await importBranches(['N2,支行 N2,South']);
  expect(res.status).toBe(200);
  for (const path of [
    `/visits/${visitId}`,
    `/visits/${pastVisitId}`,
    `/disputes/${disputeId}`,
    `/action-plans/${planId}`,
  ]) {
    expect({ path, status: await sees(f.north, path) }).toEqual({ path, status: 404 });
    expect({ path, status: await sees(south, path) }).toEqual({ path, status: 200 });
  }
  expect(await regionBranches(f.north, quarter)).not.toContain('N2');
  expect(await regionBranches(south, quarter)).toContain('N2');
  expect(await regionBranches(south, '2026-Q3')).toContain('N2');
  const regions = (await api(f).get(f.manager, `/results?bankId=${f.bankId}&quarter=${quarter}&level=region`)).body
    .rows as { key: string; branches: number }[];
  expect(Object.fromEntries(regions.map((r) => [r.key, r.branches]))).toMatchObject({ North: 1, South: 1 });
  expect(await verifyQuarter(f.bankId, quarter)).toEqual([]);
  expect(await verifyQuarter(f.bankId, '2026-Q3')).toEqual([]);
  expect(await BranchMove.countDocuments()).toBe(0);
});

test('a move the process noted but did not finish is finished by the next round; one whose import failed is dropped', async () => {
  const { Types } = await import('mongoose');
  const bankId = new Types.ObjectId(f.bankId);
  // N2 is in South now: a leftover move to South is finished (nothing left to change), one to East is stale.
  await BranchMove.insertMany([
    { bankId, branchCode: 'N2', to: 'South', at: new Date() },
    { bankId, branchCode: 'N2', to: 'East', at: new Date() },
  ]);
  expect(await applyMoves(f.bankId)).toBe(1);
  expect(await BranchMove.countDocuments()).toBe(0);
  expect(await sees(south, `/visits/${visitId}`)).toBe(200);
  expect(await regionBranches(south, quarter)).toContain('N2');
});
