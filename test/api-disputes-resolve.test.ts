import type { Express } from 'express';
import { Dispute } from '../server/disputes/model';
import { WriteClaim } from '../server/platform/db/write-claims';
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

/** Resolving disputes (uphold, overturn) and the races around opening and resolving; see api-disputes.test.ts for the rest. */
let app: Express;
let f: FeedbackWorld;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'DR');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const getVisit = async (id: string) => (await api(f).get(f.reviewer, `/visits/${id}`)).body;

describe('POST /api/v1/disputes/:id/resolve', () => {
  test('overturned: the answer is corrected and the scores recomputed (checked by hand), all in the history', async () => {
    const v = await approvedVisit(f);
    // Before (see helpers/feedback.ts): compliance 50, total 70.41666…
    expect(v.scores.total).toBeCloseTo(70.416666667, 8);
    const d = (await dispute(f, f.manager, v.id, 'c2')).body;
    const res = await resolve(f, f.reviewer, d.id, {
      decision: 'overturned',
      value: 'yes',
      note: '录像证实已做风险提示',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: d.id, status: 'overturned' });
    expect(res.body.resolution).toMatchObject({
      decision: 'overturned',
      value: 'yes',
      note: '录像证实已做风险提示',
      resolvedBy: f.reviewer.id,
    });

    const after = await getVisit(v.id);
    expect(after.status).toBe('approved');
    expect(after.answers.find((a: { itemKey: string }) => a.itemKey === 'c2').value).toBe('yes');
    // compliance: c1 yes (1) + c2 yes (1) over weight 2 → 100·2/2 = 100
    // total: (25·91.666… + 25·50 + 30·100 + 20·100)/100 = (2291.666… + 1250 + 3000 + 2000)/100 = 85.41666…
    expect(after.scores.sections.sales_compliance).toBe(100);
    expect(after.scores.sections.greeting).toBeCloseTo(91.666666667, 8);
    expect(after.scores.sections.product_knowledge).toBe(50);
    expect(after.scores.sections.follow_up).toBe(100);
    expect(after.scores.total).toBeCloseTo(85.416666667, 8);
    expect(after.violations).toEqual([]);
    const last = after.history[after.history.length - 1];
    expect(last).toMatchObject({
      action: 'dispute_overturned',
      by: f.reviewer.id,
      role: 'reviewer',
      note: '录像证实已做风险提示',
    });
    const byField = Object.fromEntries(last.changes.map((c: { field: string }) => [c.field, c]));
    expect(byField[`disputes.${d.id}`]).toEqual({ field: `disputes.${d.id}`, before: 'open', after: 'overturned' });
    expect(byField['answers.c2']).toEqual({ field: 'answers.c2', before: 'no', after: 'yes' });
    expect(byField['scores.sections.sales_compliance']).toEqual({
      field: 'scores.sections.sales_compliance',
      before: 50,
      after: 100,
    });
    expect(byField['scores.total'].before).toBeCloseTo(70.416666667, 8);
    expect(byField['scores.total'].after).toBeCloseTo(85.416666667, 8);
    expect(byField.status).toEqual({ field: 'status', before: 'disputed', after: 'approved' });
    expect(byField['scores.sections.greeting']).toBeUndefined(); // unchanged scores are not listed

    const again = await resolve(f, f.reviewer, d.id, { decision: 'upheld', note: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('dispute_resolved');
  });

  test('overturning a critical item to "no" zeroes its section and records the violation', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'c1')).body;
    expect(
      (await resolve(f, f.reviewer, d.id, { decision: 'overturned', value: 'no', note: '未核对身份证件' })).status,
    ).toBe(200);
    const after = await getVisit(v.id);
    // compliance 0 (critical failure); total (25·91.666… + 25·50 + 30·0 + 20·100)/100 = 5541.666…/100 = 55.41666…
    expect(after.scores.sections.sales_compliance).toBe(0);
    expect(after.scores.total).toBeCloseTo(55.416666667, 8);
    expect(after.violations).toEqual([{ itemKey: 'c1', sectionKey: 'sales_compliance' }]);
  });

  test('upheld: answer and scores unchanged, the visit is approved again', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g1')).body;
    const res = await resolve(f, f.reviewer, d.id, { decision: 'upheld', note: '证据不足' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('upheld');
    const after = await getVisit(v.id);
    expect(after.status).toBe('approved');
    expect(after.answers).toEqual(v.answers);
    expect(after.scores).toEqual(v.scores);
    const last = after.history[after.history.length - 1];
    expect(last.action).toBe('dispute_upheld');
    expect(last.changes).toEqual([
      { field: `disputes.${d.id}`, before: 'open', after: 'upheld' },
      { field: 'status', before: 'disputed', after: 'approved' },
    ]);
  });

  test('403 for every role but reviewer; 404 for an unknown dispute', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g1')).body;
    for (const who of [f.manager, f.admin, f.auditor, f.hr])
      expect((await resolve(f, who, d.id, { decision: 'upheld', note: 'n' })).status).toBe(403);
    expect((await resolve(f, f.reviewer, '0123456789abcdef01234567', { decision: 'upheld', note: 'n' })).status).toBe(
      404,
    );
    expect((await Dispute.findById(d.id).lean())?.status).toBe('open');
  });

  test('422: overturned without a value, a value the item does not take, an unchanged value, upheld with a value, no note', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g2')).body; // g2 is a 1..5 scale, answered 4
    const cases: [Record<string, unknown>, string][] = [
      [{ decision: 'overturned', note: 'n' }, 'value'],
      [{ decision: 'overturned', value: 'yes', note: 'n' }, 'value'],
      [{ decision: 'overturned', value: 7, note: 'n' }, 'value'],
      [{ decision: 'overturned', value: 4, note: 'n' }, 'value'],
      [{ decision: 'upheld', value: 3, note: 'n' }, 'value'],
      [{ decision: 'upheld' }, 'note'],
    ];
    for (const [body, field] of cases) {
      const res = await resolve(f, f.reviewer, d.id, body);
      expect(res.status).toBe(422);
      expect(res.body.error.details.map((x: { field: string }) => x.field)).toContain(field);
    }
    expect((await Dispute.findById(d.id).lean())?.status).toBe('open');
    expect((await getVisit(v.id)).status).toBe('disputed');
    // A scale item takes 1..5: 4 → 2 gives greeting 100·(2·1 + 1·0.25)/3 = 75,
    // total (25·75 + 25·50 + 30·50 + 20·100)/100 = (1875 + 1250 + 1500 + 2000)/100 = 66.25.
    expect((await resolve(f, f.reviewer, d.id, { decision: 'overturned', value: 2, note: 'n' })).status).toBe(200);
    const after = await getVisit(v.id);
    expect(after.scores.sections.greeting).toBe(75);
    expect(after.scores.total).toBe(66.25);
  });

  test('several disputes on one visit: it stays disputed until the last is resolved', async () => {
    const v = await approvedVisit(f);
    const a = (await dispute(f, f.manager, v.id, 'g2')).body;
    const b = (await dispute(f, f.north, v.id, 'c1')).body;
    expect((await resolve(f, f.reviewer, a.id, { decision: 'upheld', note: '维持' })).status).toBe(200);
    let now = await getVisit(v.id);
    expect(now.status).toBe('disputed');
    expect(
      now.history[now.history.length - 1].changes.find((c: { field: string }) => c.field === 'status'),
    ).toBeUndefined();
    expect((await resolve(f, f.reviewer, b.id, { decision: 'overturned', value: 'no', note: '改判' })).status).toBe(
      200,
    );
    now = await getVisit(v.id);
    expect(now.status).toBe('approved');
    expect(now.scores.total).toBeCloseTo(55.416666667, 8); // as in the critical case above: g2 upheld, c1 → no
    expect(now.history.map((h: { action: string }) => h.action).slice(-4)).toEqual([
      'dispute_opened',
      'dispute_opened',
      'dispute_upheld',
      'dispute_overturned',
    ]);
  });

  test('a decided item may be disputed again (within the window), and that dispute is a new record', async () => {
    const v = await approvedVisit(f);
    const first = (await dispute(f, f.manager, v.id, 'f1')).body;
    await resolve(f, f.reviewer, first.id, { decision: 'upheld', note: '维持' });
    const second = await dispute(f, f.manager, v.id, 'f1', '补充了新的证据');
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.id);
    expect((await getVisit(v.id)).status).toBe('disputed');
  });
});

describe('concurrency', () => {
  test('two simultaneous disputes of the same item: exactly one 201', async () => {
    const v = await approvedVisit(f);
    const [a, b] = await Promise.all([dispute(f, f.manager, v.id, 'c2'), dispute(f, f.north, v.id, 'c2')]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(await Dispute.countDocuments({ visitId: v.id })).toBe(1);
    const after = await getVisit(v.id);
    expect(after.status).toBe('disputed');
    expect(after.history.filter((h: { action: string }) => h.action === 'dispute_opened')).toHaveLength(1);
  });

  test('simultaneous disputes of different items both land; resolving both at once leaves the visit approved', async () => {
    const v = await approvedVisit(f);
    const opened = await Promise.all(
      ['g1', 'g2', 'c2'].map((k, i) => dispute(f, i % 2 ? f.north : f.manager, v.id, k)),
    );
    expect(opened.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(
      (await getVisit(v.id)).history.filter((h: { action: string }) => h.action === 'dispute_opened'),
    ).toHaveLength(3);
    const resolved = await Promise.all(
      opened.map((r, i) =>
        resolve(f, i % 2 ? f.reviewer2 : f.reviewer, r.body.id, { decision: 'upheld', note: `n${i}` }),
      ),
    );
    expect(resolved.map((r) => r.status)).toEqual([200, 200, 200]);
    const after = await getVisit(v.id);
    expect(after.status).toBe('approved');
    expect(await Dispute.countDocuments({ visitId: v.id, status: 'upheld' })).toBe(3);
  });

  test('two reviewers resolving the same dispute at once: exactly one decision is applied', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'c2')).body;
    const [a, b] = await Promise.all([
      resolve(f, f.reviewer, d.id, { decision: 'overturned', value: 'yes', note: 'A' }),
      resolve(f, f.reviewer2, d.id, { decision: 'upheld', note: 'B' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const after = await getVisit(v.id);
    expect(
      after.history.filter((h: { action: string }) => h.action.startsWith('dispute_') && h.action !== 'dispute_opened'),
    ).toHaveLength(1);
    expect(after.status).toBe('approved');
  });

  test('a resolution left half-done by a crashed writer is completed from the visit history, not applied twice', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g1')).body;
    expect((await resolve(f, f.reviewer, d.id, { decision: 'upheld', note: 'n' })).status).toBe(200);
    // Simulate the crash after the visit commit: the dispute record still says `resolving` and the claim is stale.
    await Dispute.updateOne({ _id: d.id }, { $set: { status: 'resolving', openKey: `${v.id}:g1` } });
    await WriteClaim.updateOne({ _id: `dispute-resolve:${d.id}` }, { $set: { at: new Date(Date.now() - 3600_000) } });
    const retry = await resolve(f, f.reviewer2, d.id, { decision: 'upheld', note: 'again' });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('dispute_resolved');
    expect((await Dispute.findById(d.id).lean())?.status).toBe('upheld');
    const visit = await Visit.findById(v.id).lean();
    expect(visit?.history.filter((h) => h.action === 'dispute_upheld')).toHaveLength(1);
  });
});
