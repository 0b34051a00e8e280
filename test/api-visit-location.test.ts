import type { Express } from 'express';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { jpegWithExif } from './helpers/evidence-images';
import { api, draftVisit, feedbackWorld, SETUP_TIMEOUT_MS, type FeedbackWorld } from './helpers/feedback';

/**
 * SPEC §9 location: branch coordinates and the bank's geofence (API, import), arrive / leave from
 * the phone (POST /visits/:id/location, idempotent), and the flags they earn once the visit is
 * submitted — shown to the audit firm, never blocking, never a position shown to a bank user.
 */
let app: Express;
let f: FeedbackWorld;
const AT = { lat: 31.2304, lng: 121.4737 };
/** 2 km north of the branch (1° of latitude = 111,195 m on SPEC §9's sphere). */
const FAR = { lat: AT.lat + 2000 / 111_195.08, lng: AT.lng };

beforeAll(async () => {
  app = await startTestApp();
  f = await feedbackWorld(app, 'GL');
  const branch = await api(f).post(f.admin, `/banks/${f.bankId}/branches`, {
    code: 'G1',
    name: '静安支行',
    region: 'North',
    ...AT,
  });
  expect(branch.status).toBe(201);
  expect(branch.body).toMatchObject({ code: 'G1', ...AT });
}, SETUP_TIMEOUT_MS);
afterAll(stopTestApp);

const draft = (branchCode = 'G1') => draftVisit(f, { branchCode, scenario: '开户' });

const minutesFrom = (iso: string, m: number) => new Date(new Date(iso).getTime() + m * 60_000).toISOString();
const locate = (visitId: string, body: object, key?: string) => {
  const r = request(app).post(`/api/v1/visits/${visitId}/location`).set(bearer(f.auditor.token));
  return (key ? r.set('Idempotency-Key', key) : r).send(body);
};
const codes = async (visitId: string) =>
  ((await api(f).get(f.reviewer, `/visits/${visitId}`)).body.flags as { code: string }[]).map((x) => x.code);
const submit = async (visitId: string) =>
  expect((await api(f).post(f.auditor, `/visits/${visitId}/submit`)).status).toBe(200);

describe('branch coordinates and the geofence', () => {
  test('a bank has a 300 m geofence unless set; out-of-range values are refused naming the field', async () => {
    expect((await api(f).get(f.admin, `/banks/${f.bankId}`)).body.geofenceMeters).toBe(300);
    const bad = await api(f).patch(f.admin, `/banks/${f.bankId}`, { geofenceMeters: 5 });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].field).toBe('geofenceMeters');
  });

  test('a branch takes both coordinates or neither, within WGS-84 ranges', async () => {
    const half = await api(f).post(f.admin, `/banks/${f.bankId}/branches`, {
      code: 'G2',
      name: 'x',
      region: 'N',
      lat: 1,
    });
    expect(half.status).toBe(422);
    expect(half.body.error.details[0].field).toBe('lng');
    const out = await api(f).post(f.admin, `/banks/${f.bankId}/branches`, {
      code: 'G2',
      name: 'x',
      region: 'N',
      lat: 91,
      lng: 0,
    });
    expect(out.status).toBe(422);
    expect(out.body.error.details[0].field).toBe('lat');
  });

  test('the branch import reads lat,lng columns; a row with one of them is refused and nothing is written', async () => {
    const file = (lines: string[]) => Buffer.from(lines.join('\n'));
    const path = `/api/v1/banks/${f.bankId}/branches/import`;
    const bad = await request(app)
      .post(path)
      .set(bearer(f.admin.token))
      .attach('file', file(['code,name,region,lat,lng', 'G7,a,North,31.1,', 'G8,b,North,31.2,121.5']), 'b.csv');
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ created: 0, updated: 0 });
    expect(bad.body.errors.map((e: { row: number }) => e.row)).toEqual([2]);
    expect(bad.body.errors[0].message).toMatch(/lng/);
    const ok = await request(app)
      .post(path)
      .set(bearer(f.admin.token))
      .attach('file', file(['code,name,region,lat,lng', 'G7,a,North,31.1,121.4', 'G8,b,North,,']), 'b.csv');
    expect(ok.status).toBe(200);
    const branches = (await api(f).get(f.admin, `/banks/${f.bankId}/branches?region=North`)).body as {
      code: string;
      lat?: number;
      lng?: number;
    }[];
    expect(branches.find((b) => b.code === 'G7')).toMatchObject({ lat: 31.1, lng: 121.4 });
    expect(branches.find((b) => b.code === 'G8')?.lat).toBeUndefined();
  });
});

describe('arrive and leave', () => {
  test('at the branch, in time: recorded with the server time, no flag after submission', async () => {
    const v = await draft();
    const res = await locate(v.id, { kind: 'arrive', ...AT, accuracy: 15, capturedAt: minutesFrom(v.visitedAt, -3) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'arrive', ...AT, accuracy: 15 });
    expect(Date.now() - new Date(res.body.receivedAt).getTime()).toBeLessThan(60_000);
    await locate(v.id, { kind: 'leave', ...AT, accuracy: 15, capturedAt: minutesFrom(v.visitedAt, 30) });
    await submit(v.id);
    expect(await codes(v.id)).toEqual([]);
    const seen = (await api(f).get(f.reviewer, `/visits/${v.id}`)).body;
    expect(seen.locations.map((l: { kind: string }) => l.kind)).toEqual(['arrive', 'leave']);
  });

  test('2 km away: far_from_branch for the reviewer; the bank user sees neither the position nor the record', async () => {
    const v = await draft();
    await locate(v.id, { kind: 'arrive', ...FAR, accuracy: 20, capturedAt: v.visitedAt });
    expect(await codes(v.id)).toEqual([]); // a draft is still being made in the field
    await submit(v.id);
    expect(await codes(v.id)).toEqual(['far_from_branch']);
    expect((await api(f).post(f.reviewer, `/visits/${v.id}/review`, { decision: 'approve' })).status).toBe(200);
    const bank = (await api(f).get(f.manager, `/visits/${v.id}`)).body;
    expect(bank.locations).toBeUndefined();
    expect(JSON.stringify(bank)).not.toContain(String(FAR.lat));
  });

  test('refused, or never recorded: no_location; a typed time far from the arrival: time_mismatch', async () => {
    const refused = await draft();
    const r = await locate(refused.id, { kind: 'arrive', refused: true, capturedAt: refused.visitedAt });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'arrive', refused: true });
    await submit(refused.id);
    expect(await codes(refused.id)).toEqual(['no_location']);
    const none = await draft();
    await submit(none.id);
    expect(await codes(none.id)).toEqual(['no_location']);
    const late = await draft();
    await locate(late.id, { kind: 'arrive', ...AT, accuracy: 10, capturedAt: minutesFrom(late.visitedAt, 60) });
    await submit(late.id);
    expect(await codes(late.id)).toEqual(['time_mismatch']);
  });

  test("a photo taken 2 km away and 5 hours off: the evidence flags (the bank's zone reads its time)", async () => {
    const v = await draft();
    await locate(v.id, { kind: 'arrive', ...AT, accuracy: 10, capturedAt: v.visitedAt });
    const taken = new Date(new Date(v.visitedAt).getTime() + 5 * 3600_000 + 8 * 3600_000);
    const exifTime = taken.toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, ':');
    const photo = jpegWithExif({ taken: exifTime, gps: FAR });
    const up = await request(app)
      .post(`/api/v1/visits/${v.id}/attachments`)
      .set(bearer(f.auditor.token))
      .attach('file', photo, 'p.jpg');
    expect(up.status).toBe(201);
    await submit(v.id);
    expect(await codes(v.id)).toEqual(['evidence_time_mismatch', 'evidence_far_from_branch']);
  });

  test('the same Idempotency-Key records once; a bad body is a 422 naming the field; a stranger gets 404', async () => {
    const v = await draft();
    const body = { kind: 'arrive', ...AT, accuracy: 12, capturedAt: v.visitedAt };
    expect((await locate(v.id, body, 'arrive-1')).status).toBe(201);
    expect((await locate(v.id, body, 'arrive-1')).status).toBe(201);
    expect((await api(f).get(f.auditor, `/visits/${v.id}`)).body.locations).toHaveLength(1);
    const missing = await locate(v.id, { kind: 'arrive', lat: 1, capturedAt: v.visitedAt });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['accuracy', 'lng']);
    const both = await locate(v.id, { ...body, refused: true });
    expect(both.status).toBe(422);
    const other = await f.w.user('gl-aud2@firm.test', 'auditor');
    const res = await request(app).post(`/api/v1/visits/${v.id}/location`).set(bearer(other.token)).send(body);
    expect(res.status).toBe(404);
  });
});
