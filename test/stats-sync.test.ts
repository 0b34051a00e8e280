import type { Express } from 'express';
import fc from 'fast-check';
import { catchUp, checkRecent, rebuild, syncVisit, verifyQuarter } from '../server/stats/service';
import { bucketOf } from '../server/stats/buckets';
import { packValue, unpackValue } from '../server/stats/packing';
import { bucketId } from '../server/stats/store';
import { syncFrom, syncSteps } from '../server/stats/apply';
import { visitForStats, type VisitForStats } from '../server/visits/service';
import { quarterResults } from '../server/results/service';
import { accumulateBank, itemCatalogue } from '../server/results/visit-pass';
import { rollUp } from '../server/results/aggregate';
import type { Principal } from '../server/platform/access';
import { StatsBank, StatsBranch, StatsBucket, StatsRegion } from '../server/stats/model';
import { samePacked } from '../server/stats/rebuild';
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
 * The kept statistics (SPEC §15) against a recomputation from the raw visits, after random
 * sequences of what changes a visit's counting — approve, dispute, overturn, uphold — with the same
 * change delivered twice or three times at once, syncs that die between their steps (as a killed
 * process would: nothing survives but what was written), and rebuilds in between. Counts must be
 * equal, sums equal within 1e-9.
 */
jest.setTimeout(600_000);

let app: Express;
let f: FeedbackWorld;
const ADMIN: Principal = { id: 'test', email: 'test@localhost', name: 'test', role: 'admin' };

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'SS');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

type Op =
  | { kind: 'approve'; i: number }
  | { kind: 'dispute'; i: number; item: string }
  | { kind: 'resolve'; i: number; overturn: boolean; value: string }
  | { kind: 'redeliver'; i: number; times: number }
  | { kind: 'crash'; i: number; after: 'branch' | 'bucket' | 'region' }
  | { kind: 'hold'; i: number }
  | { kind: 'late' }
  | { kind: 'rebuild' };

const N = 4;
const ITEMS = ['g1', 'c1', 'f1'];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('approve' as const), i: fc.nat(N - 1) }),
  fc.record({ kind: fc.constant('dispute' as const), i: fc.nat(N - 1), item: fc.constantFrom(...ITEMS) }),
  fc.record({
    kind: fc.constant('resolve' as const),
    i: fc.nat(N - 1),
    overturn: fc.boolean(),
    value: fc.constantFrom('yes', 'no'),
  }),
  fc.record({ kind: fc.constant('redeliver' as const), i: fc.nat(N - 1), times: fc.integer({ min: 2, max: 3 }) }),
  fc.record({
    kind: fc.constant('crash' as const),
    i: fc.nat(N - 1),
    after: fc.constantFrom('branch' as const, 'bucket' as const, 'region' as const),
  }),
  fc.record({ kind: fc.constant('hold' as const), i: fc.nat(N - 1) }),
  fc.record({ kind: fc.constant('late' as const) }),
  fc.record({ kind: fc.constant('rebuild' as const) }),
);

/** Visit states read by a sync that stalled ('hold'), delivered after whatever came next ('late'). */
const held: VisitForStats[] = [];

const BRANCHES = ['N1', 'N2', 'S1'];
const STAFF: Record<string, string[]> = { N1: ['E1', 'E2'], N2: [], S1: ['E3'] };

/** Fresh visits for one run, submitted and waiting for review, with varied answers. */
async function submittedVisits(seed: number): Promise<{ id: string; quarter: string }[]> {
  const out: { id: string; quarter: string }[] = [];
  for (let k = 0; k < N; k++) {
    const branchCode = BRANCHES[(seed + k) % BRANCHES.length];
    const v = await approvedVisit(f, {
      branchCode,
      staff: STAFF[branchCode].slice(0, (seed + k) % 2 ? 1 : 2),
      submitOnly: true,
      answers: [
        { itemKey: 'g1', value: (seed + k) % 3 ? 'yes' : 'no' },
        { itemKey: 'g2', value: 1 + ((seed * 7 + k) % 5) },
        { itemKey: 'p1', value: k % 3 ? 'yes' : 'na' },
        { itemKey: 'c1', value: (seed + k) % 4 ? 'yes' : 'no' },
        { itemKey: 'c2', value: (seed * 3 + k) % 2 ? 'yes' : 'no' },
        { itemKey: 'f1', value: k % 2 ? 'yes' : 'no' },
      ],
    });
    out.push({ id: v.id as string, quarter: v.quarter as string });
  }
  return out;
}

async function apply(o: Op, visits: { id: string }[], openDisputes: Map<number, string>): Promise<void> {
  const id = visits[o.kind === 'rebuild' || o.kind === 'late' ? 0 : o.i].id;
  switch (o.kind) {
    case 'approve':
      await api(f).post(f.reviewer, `/visits/${id}/review`, { decision: 'approve' });
      return;
    case 'dispute': {
      const res = await dispute(f, f.manager, id, o.item);
      if (res.status === 201) openDisputes.set(o.i, res.body.id as string);
      return;
    }
    case 'resolve': {
      const d = openDisputes.get(o.i);
      if (!d) return;
      const body = o.overturn
        ? { decision: 'overturned', value: o.value, note: '录像核实' }
        : { decision: 'upheld', note: '维持' };
      const res = await resolve(f, f.reviewer, d, body);
      if (res.status === 200) openDisputes.delete(o.i);
      return;
    }
    case 'redeliver':
      await Promise.all(Array.from({ length: o.times }, () => syncVisit(id)));
      return;
    case 'crash': {
      const died = new Error('killed between steps');
      const step = ({ branch: 'afterBranch', bucket: 'afterBucket', region: 'afterRegion' } as const)[o.after];
      const before = syncSteps[step];
      syncSteps[step] = async () => {
        throw died;
      };
      try {
        // The background catch-up dies on every noted change (their notes must stay), then a
        // redelivery dies too. A visit that never counted has no steps to die between.
        await catchUp(f.bankId);
        await syncVisit(id).catch((e: unknown) => {
          if (e !== died) throw e;
        });
      } finally {
        syncSteps[step] = before;
      }
      return;
    }
    case 'hold': {
      const v = await visitForStats(id);
      if (v) held.push(v);
      return;
    }
    case 'late': {
      const v = held.shift();
      if (v) await syncFrom(v);
      return;
    }
    case 'rebuild':
      await rebuild(f.bankId);
  }
}

/** The results the way they were computed before the statistics: one pass over the raw visits. */
async function recomputed(quarter: string) {
  const catalogue = await itemCatalogue(f.bankId);
  const acc = await accumulateBank(f.bankId, quarter, () => true, catalogue.lookup);
  const branches = (acc.branchesByQuarter.get(quarter) ?? []).sort((a, b) => (a.code < b.code ? -1 : 1));
  return {
    branches,
    bank: rollUp(branches),
    staff: acc.staff,
    keyProblems: acc.keyProblems,
    violations: acc.violations,
  };
}

function expectClose(kept: number | null, recomputedValue: number | null, what: string): void {
  if (kept === null || recomputedValue === null) {
    expect({ what, kept }).toEqual({ what, kept: recomputedValue });
    return;
  }
  expect({ what, diff: Math.abs(kept - recomputedValue) <= 1e-9 * Math.max(1, Math.abs(kept)) }).toEqual({
    what,
    diff: true,
  });
}

async function expectStatsEqualVisits(quarter: string): Promise<void> {
  expect(await verifyQuarter(f.bankId, quarter)).toEqual([]);
  const kept = await quarterResults(ADMIN, { bankId: f.bankId, quarter });
  const want = await recomputed(quarter);
  expect(kept.branches.map((b) => [b.key, b.n])).toEqual(want.branches.map((b) => [b.code, b.n]));
  for (const b of want.branches) {
    const row = kept.branches.find((r) => r.key === b.code);
    expectClose(row?.total ?? null, b.total, `branch ${b.code} total`);
    for (const [k, v] of Object.entries(b.sections))
      expectClose(row?.sections[k as 'greeting'] ?? null, v, `${b.code} ${k}`);
  }
  expect([kept.summary.n, kept.summary.branches]).toEqual([want.bank.n, want.bank.branches]);
  expectClose(kept.summary.total, want.bank.total, 'bank total');
  expect(kept.keyProblems.map((k) => [k.itemKey, k.failed, k.applicable])).toEqual(
    want.keyProblems.map((k) => [k.itemKey, k.failed, k.applicable]),
  );
  expect(kept.violations.map((v) => [v.visitId, v.itemKey, v.disputed])).toEqual(
    want.violations.map((v) => [v.visitId, v.itemKey, v.disputed]),
  );
  const staff = await quarterResults(ADMIN, { bankId: f.bankId, quarter }, new Set(['staff'] as const));
  expect(staff.staff.map((s) => [s.key, s.n]).sort()).toEqual(want.staff.map((s) => [s.employeeId, s.n]).sort());
}

test('after any sequence of approvals, disputes and resolutions, replayed and interrupted syncs, the kept statistics equal the visits', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 14 }), async (ops) => {
      const visits = await submittedVisits(run++);
      const openDisputes = new Map<number, string>();
      for (const o of ops) await apply(o, visits, openDisputes);
      await expectStatsEqualVisits(visits[0].quarter);
    }),
    { numRuns: 12, seed: 20261204, endOnFailure: true },
  );
});

test('a visit approved is in the very next results read, on this or any instance', async () => {
  const v = await approvedVisit(f, { branchCode: 'S1', staff: ['E3'] });
  const r = await api(f).get(f.manager, `/results?bankId=${f.bankId}&quarter=${v.quarter}&level=branch&branchCode=S1`);
  expect(r.status).toBe(200);
  const fresh = await recomputed(v.quarter as string);
  expect(r.body.rows.map((x: { key: string; n: number }) => [x.key, x.n])).toEqual(
    fresh.branches.filter((b) => b.code === 'S1').map((b) => [b.code, b.n]),
  );
});

/** Every kept record of a bank's quarter: id, seq and value. */
async function records(quarter: string) {
  const out: [string, number, string][] = [];
  for (const m of [StatsBranch, StatsBucket, StatsRegion, StatsBank] as const) {
    const docs = await (m as typeof StatsBranch).find({ bankId: f.bankId, quarter }, { seq: 1, packed: 1 }).lean();
    for (const d of docs) out.push([String(d._id), d.seq, d.packed]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

test('a rebuild over right figures writes nothing; over a changed or missing record it rewrites what the visits give', async () => {
  const v = await approvedVisit(f, { branchCode: 'N1', staff: ['E1'] });
  await approvedVisit(f, { branchCode: 'S1', staff: ['E3'] });
  const quarter = v.quarter as string;
  await catchUp(f.bankId);
  await rebuild(f.bankId, quarter);
  const before = await records(quarter);
  expect(before.length).toBeGreaterThanOrEqual(4); // 2+ branches, 1+ regions, the bank
  await rebuild(f.bankId, quarter);
  expect(await records(quarter)).toEqual(before); // same seq, same value: nothing was written

  // Data changed behind the app's back: one branch record emptied, the bank record deleted.
  const n1 = before.find(([id]) => id.endsWith(':N1')) as [string, number, string];
  const s1 = before.find(([id]) => id.endsWith(':S1')) as [string, number, string];
  await StatsBranch.updateOne({ _id: n1[0] }, { $set: { packed: '{}' } });
  await StatsBank.deleteOne({ bankId: f.bankId, quarter });
  await rebuild(f.bankId, quarter);
  expect(await verifyQuarter(f.bankId, quarter)).toEqual([]);
  const after = await records(quarter);
  const n1After = after.find(([id]) => id === n1[0]) as [string, number, string];
  expect(n1After[1]).toBeGreaterThan(n1[1]); // rewritten, with a seq above any it had
  expect(samePacked(n1After[2], n1[2])).toBe(true);
  expect(after.find(([id]) => id === s1[0])).toEqual(s1); // untouched
  expect(after.length).toBe(before.length);
});

test('samePacked: equal parts in another order are the same value; any other difference is not', () => {
  const a = JSON.stringify({ x: { rev: 1, s: [1, 2] }, y: { rev: 2 } });
  expect(samePacked(a, JSON.stringify({ y: { rev: 2 }, x: { rev: 1, s: [1, 2] } }))).toBe(true);
  expect(samePacked(a, JSON.stringify({ x: { rev: 1, s: [1, 2] } }))).toBe(false);
  expect(samePacked(a, JSON.stringify({ x: { rev: 1, s: [2, 1] }, y: { rev: 2 } }))).toBe(false);
  expect(samePacked(a, JSON.stringify({ x: { rev: 1, s: [1, 2] }, z: { rev: 2 } }))).toBe(false);
});

test('packed values: small ones stay JSON, larger ones are deflated; both, and values stored as JSON before, read back the same', () => {
  const small = { x: { rev: 1 } };
  expect(packValue(small)).toBe(JSON.stringify(small));
  const visits = Object.fromEntries(
    Array.from({ length: 4 }, (_, v) => [
      `visit${v}`,
      {
        rev: 2,
        scores: [80, 75.5, null, 66.66666666666667, 74.05],
        items: Array.from({ length: 16 }, (__, i) => ({
          key: `item_${i}`,
          section: 'greeting',
          failed: (i + v) % 3 === 0,
        })),
      },
    ]),
  );
  const json = JSON.stringify(visits);
  const packed = packValue(visits);
  expect(packed.startsWith('z:')).toBe(true);
  expect(packed.length).toBeLessThan(json.length / 3);
  expect(unpackValue(packed)).toEqual(visits);
  expect(unpackValue(json)).toEqual(visits); // as an earlier version stored it
  expect(samePacked(json, packed)).toBe(true); // a record stored as JSON and equal is not rewritten
  expect(samePacked(json, packValue({ ...visits, visit0: { rev: 3 } }))).toBe(false);
});

test('verify and the background check name a bucket, a region record or the bank record that differs, field by field', async () => {
  const v = await approvedVisit(f, { branchCode: 'N2', staff: [] });
  const quarter = v.quarter as string;
  await catchUp(f.bankId);
  expect(await verifyQuarter(f.bankId, quarter)).toEqual([]);
  const region = (await StatsBranch.findById(`${f.bankId}:${quarter}:N2`).lean())?.region as string;
  const k = bucketOf('N2');
  const tamper = async (m: typeof StatsBucket, id: string, change: (value: Record<string, any>) => void) => {
    const doc = (await m.findById(id).lean()) as { packed: string };
    const value = unpackValue<Record<string, any>>(doc.packed);
    change(value);
    await m.updateOne({ _id: id }, { $set: { packed: packValue(value) } }); // seq kept: as if written so
  };
  const bucket = bucketId(f.bankId, quarter, region, k);
  const regionRecord = `${f.bankId}:${quarter}:${region}`;
  await tamper(StatsBucket, bucket, (b) => (b.N2.visits += 1));
  await tamper(StatsRegion as unknown as typeof StatsBucket, regionRecord, (r) => (r[k].summary.disputed += 2));
  await tamper(StatsBank as unknown as typeof StatsBucket, `${f.bankId}:${quarter}`, (b) => (b[region].branches += 3));

  const found = await verifyQuarter(f.bankId, quarter);
  expect(found).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ record: bucket, field: 'N2.visits' }),
      expect.objectContaining({ record: regionRecord, field: `${k}.summary.disputed` }),
      expect.objectContaining({ record: `${f.bankId}:${quarter}/${region}`, field: 'branches' }),
    ]),
  );
  const bucketDiff = found.find((d) => d.record === bucket) as { kept: number; recomputed: number };
  expect(bucketDiff.kept).toBe(bucketDiff.recomputed + 1);

  await syncVisit(v.id as string); // changes nothing (all applied already) and marks the branch as synced lately
  const recent = await checkRecent(1000);
  expect(recent).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ record: `${bucket}/N2`, field: 'visits' }),
      expect.objectContaining({ record: `${regionRecord}/${k}` }),
    ]),
  );

  await rebuild(f.bankId, quarter);
  expect(await verifyQuarter(f.bankId, quarter)).toEqual([]);
});
