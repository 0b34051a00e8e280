import type { Express } from 'express';
import request from 'supertest';
import { Dispute, DisputeAttachment } from '../server/disputes/model';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import {
  api,
  approvedVisit,
  backdateApproval,
  dispute,
  feedbackWorld,
  resolve,
  SETUP_TIMEOUT_MS,
  type FeedbackWorld,
} from './helpers/feedback';

let app: Express;
let f: FeedbackWorld;

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'DS');
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const getVisit = async (id: string) => (await api(f).get(f.reviewer, `/visits/${id}`)).body;
const pdf = () => Buffer.concat([Buffer.from('%PDF-1.7\n%âãÏÓ\n', 'latin1'), Buffer.alloc(3000, 7)]);

describe('POST /api/v1/visits/:id/disputes', () => {
  test('a bank manager in scope disputes an item: 201 {id, status: open}; the visit becomes disputed with a history entry', async () => {
    const v = await approvedVisit(f);
    const res = await dispute(f, f.north, v.id, 'c2', '录像显示已做风险提示');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      status: 'open',
      visitId: v.id,
      itemKey: 'c2',
      sectionKey: 'sales_compliance',
      valueAtOpening: 'no',
      branchCode: 'N1',
    });
    expect(res.body.itemText).toEqual({ zh: '题目 c2', en: 'Item c2' });
    const after = await getVisit(v.id);
    expect(after.status).toBe('disputed');
    expect(after.rev).toBe(v.rev + 1);
    const last = after.history[after.history.length - 1];
    expect(last).toMatchObject({
      action: 'dispute_opened',
      by: f.north.id,
      role: 'bank_manager',
      note: '录像显示已做风险提示',
    });
    expect(last.changes).toEqual([
      { field: `disputes.${res.body.id}`, before: null, after: { itemKey: 'c2', status: 'open' } },
      { field: 'status', before: 'approved', after: 'disputed' },
    ]);
    // The bank manager still sees the visit while it is disputed.
    expect((await api(f).get(f.north, `/visits/${v.id}`)).body.status).toBe('disputed');
  });

  test('401 without a token; 403 for every role but bank_manager', async () => {
    const v = await approvedVisit(f);
    expect((await api(f).post(null, `/visits/${v.id}/disputes`, { itemKey: 'g1', reason: 'x' })).status).toBe(401);
    for (const who of [f.auditor, f.reviewer, f.admin, f.hr])
      expect((await dispute(f, who, v.id, 'g1')).status).toBe(403);
    expect(await Dispute.countDocuments({ visitId: v.id })).toBe(0);
  });

  test('404 outside the scope, in another bank, for an unknown visit, and for a visit that is not approved', async () => {
    const v = await approvedVisit(f); // N1, North
    expect((await dispute(f, f.s1, v.id, 'g1')).status).toBe(404); // branches [S1]
    expect((await dispute(f, f.otherManager, v.id, 'g1')).status).toBe(404);
    expect((await dispute(f, f.manager, '0123456789abcdef01234567', 'g1')).status).toBe(404);
    expect((await dispute(f, f.manager, 'not-an-id', 'g1')).status).toBe(404);
    // Bank users never see a visit before approval, so it cannot be disputed (and its existence is not revealed).
    const submitted = await approvedVisit(f, { submitOnly: true });
    expect((await dispute(f, f.manager, submitted.id, 'g1')).status).toBe(404);
    expect(await Dispute.countDocuments({ visitId: { $in: [v.id, submitted.id] } })).toBe(0);
    expect((await getVisit(v.id)).status).toBe('approved');
  });

  test('409 when the item already has an undecided dispute; another item of the same visit may be disputed', async () => {
    const v = await approvedVisit(f);
    expect((await dispute(f, f.manager, v.id, 'g2')).status).toBe(201);
    const again = await dispute(f, f.north, v.id, 'g2');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_disputed');
    expect((await dispute(f, f.north, v.id, 'f1')).status).toBe(201);
    expect(await Dispute.countDocuments({ visitId: v.id, status: 'open' })).toBe(2);
  });

  test('422 for an unknown item and for a missing reason; 400 for a body that is not an object', async () => {
    const v = await approvedVisit(f);
    const unknown = await dispute(f, f.manager, v.id, 'nope');
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details[0].field).toBe('itemKey');
    const noReason = await api(f).post(f.manager, `/visits/${v.id}/disputes`, { itemKey: 'g1' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.error.details.map((d: { field: string }) => d.field)).toEqual(['reason']);
    const bad = await request(app)
      .post(`/api/v1/visits/${v.id}/disputes`)
      .set(bearer(f.manager.token))
      .set('Content-Type', 'application/json')
      .send('[1]');
    expect(bad.status).toBe(400);
    expect((await getVisit(v.id)).status).toBe('approved');
  });

  test('the dispute window: refused with dispute_window_closed 15 days after approval, accepted after 13', async () => {
    const late = await approvedVisit(f);
    await backdateApproval(late.id, 15); // DISPUTE_WINDOW_DAYS defaults to 14
    const res = await dispute(f, f.manager, late.id, 'c2');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('dispute_window_closed');
    expect(res.body.error.message).toMatch(/window of this visit closed on \d{4}-\d{2}-\d{2}T.*14 days after approval/);
    expect(res.body.error.details[0].field).toBe('visitId');
    expect((await getVisit(late.id)).status).toBe('approved');
    expect(await Dispute.countDocuments({ visitId: late.id })).toBe(0);

    const inTime = await approvedVisit(f);
    await backdateApproval(inTime.id, 13);
    expect((await dispute(f, f.manager, inTime.id, 'c2')).status).toBe(201);
  });
});

describe('reading disputes', () => {
  let north: string;
  let south: string;
  let other: string;
  let southVisit: string;

  beforeAll(async () => {
    const n = await approvedVisit(f, { branchCode: 'N2' });
    const s = await approvedVisit(f, { branchCode: 'S1' });
    const o = await approvedVisit(f, { bank: 'other' });
    southVisit = s.id;
    north = (await dispute(f, f.manager, n.id, 'g1')).body.id;
    south = (await dispute(f, f.s1, s.id, 'c2')).body.id;
    other = (await dispute(f, f.otherManager, o.id, 'g1')).body.id;
  });

  test('reviewer and admin list every bank; bank managers only their scope; hr and auditors 403', async () => {
    for (const who of [f.reviewer, f.admin]) {
      const ids = (await api(f).get(who, '/disputes')).body.map((d: { id: string }) => d.id);
      expect(ids).toEqual(expect.arrayContaining([north, south, other]));
    }
    const idsOf = async (who: typeof f.manager, q = '') =>
      (await api(f).get(who, `/disputes${q}`)).body.map((d: { id: string }) => d.id);
    expect(await idsOf(f.manager)).toEqual(expect.arrayContaining([north, south]));
    expect(await idsOf(f.manager)).not.toContain(other);
    expect(await idsOf(f.north)).toContain(north);
    expect(await idsOf(f.north)).not.toContain(south);
    expect(await idsOf(f.s1)).toEqual([south]);
    expect(await idsOf(f.otherManager)).toEqual([other]);
    expect((await api(f).get(f.otherManager, `/disputes?bankId=${f.bankId}`)).status).toBe(404);
    for (const who of [f.hr, f.auditor]) expect((await api(f).get(who, '/disputes')).status).toBe(403);
  });

  test('filters by bank, quarter, status and branch', async () => {
    const rows = (await api(f).get(f.reviewer, `/disputes?bankId=${f.bankId}&status=open&branchCode=S1`)).body;
    expect(rows.map((d: { id: string }) => d.id)).toEqual([south]);
    const quarter = rows[0].quarter;
    expect(
      (await api(f).get(f.reviewer, `/disputes?bankId=${f.otherBankId}&quarter=${quarter}`)).body.map(
        (d: { id: string }) => d.id,
      ),
    ).toEqual([other]);
    expect((await api(f).get(f.reviewer, '/disputes?quarter=2019-Q1')).body).toEqual([]);
    expect((await api(f).get(f.reviewer, '/disputes?status=bogus')).status).toBe(400);
  });

  test('GET one: 404 outside the scope; the visit lists its disputes', async () => {
    expect((await api(f).get(f.north, `/disputes/${south}`)).status).toBe(404);
    expect((await api(f).get(f.otherManager, `/disputes/${south}`)).status).toBe(404);
    expect((await api(f).get(f.hr, `/disputes/${south}`)).status).toBe(403);
    const one = await api(f).get(f.s1, `/disputes/${south}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: south, status: 'open', itemKey: 'c2', attachments: [] });
    const list = await api(f).get(f.s1, `/visits/${southVisit}/disputes`);
    expect(list.body.map((d: { id: string }) => d.id)).toEqual([south]);
    expect((await api(f).get(f.north, `/visits/${southVisit}/disputes`)).status).toBe(404);
  });

  test("bank users never see the auditor's identity in a dispute", async () => {
    const body = JSON.stringify((await api(f).get(f.s1, `/disputes/${south}`)).body);
    expect(body).not.toContain(f.auditor.id);
    const visit = (await api(f).get(f.s1, `/visits/${southVisit}`)).body;
    expect(JSON.stringify(visit)).not.toContain(f.auditor.id);
  });
});

describe('dispute evidence', () => {
  const upload = (who: typeof f.manager, id: string, buf: Buffer, name = 'proof.pdf') =>
    request(app).post(`/api/v1/disputes/${id}/attachments`).set(bearer(who.token)).attach('file', buf, name);

  test('a bank manager in scope attaches a file to an open dispute; it is listed and downloadable', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g1')).body;
    const file = pdf();
    const res = await upload(f.north, d.id, file, '回执.pdf');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      filename: '回执.pdf',
      contentType: 'application/pdf',
      size: file.length,
      sha256: expect.stringMatching(/^[a-f0-9]{64}$/),
    });
    const view = (await api(f).get(f.reviewer, `/disputes/${d.id}`)).body;
    expect(view.attachments).toHaveLength(1);
    const dl = await request(app)
      .get(`/api/v1/disputes/${d.id}/attachments/${res.body.id}`)
      .set(bearer(f.reviewer.token))
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(dl.status).toBe(200);
    expect((dl.body as Buffer).equals(file)).toBe(true);
  });

  test('403 for other roles, 404 out of scope, 415 for a file that is not evidence, 409 once resolved', async () => {
    const v = await approvedVisit(f);
    const d = (await dispute(f, f.manager, v.id, 'g1')).body;
    expect((await upload(f.auditor, d.id, pdf())).status).toBe(403);
    expect((await upload(f.reviewer, d.id, pdf())).status).toBe(403);
    expect((await upload(f.s1, d.id, pdf())).status).toBe(404);
    expect((await upload(f.otherManager, d.id, pdf())).status).toBe(404);
    expect((await upload(f.manager, d.id, Buffer.from('just text, not a document '.repeat(30)), 'a.pdf')).status).toBe(
      415,
    );
    await resolve(f, f.reviewer, d.id, { decision: 'upheld', note: 'n' });
    const late = await upload(f.manager, d.id, pdf());
    expect(late.status).toBe(409);
    expect(await DisputeAttachment.countDocuments({ disputeId: d.id })).toBe(0);
  });
});
