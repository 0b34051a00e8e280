import type { Express } from 'express';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { assign, pagesWorld, pngImage, type PagesWorld } from './helpers/visit-pages';
import { PASSWORD } from './helpers/visits';
import { csrfOf, signIn, type Agent } from './helpers/web';

/**
 * The routes the phone's send queue uses (public/offline-queue.js): every write honours its
 * Idempotency-Key, so a retry whose first answer was lost (the phone lost the connection while the
 * platform answered) gets that answer again and stores nothing twice; positions and files answer with
 * the revision they produced; the visit's state explains a conflict; submit answers as JSON.
 */
let app: Express;
let pw: PagesWorld;
let agent: Agent;
let csrf: string;

beforeAll(async () => {
  app = await startTestApp();
  pw = await pagesWorld(app, 'OS');
  agent = await signIn(app, pw.auditor.email, PASSWORD, 'en');
  csrf = await csrfOf(agent, '/assignments');
}, 60_000);

afterAll(() => stopTestApp());

async function draftVisit(): Promise<string> {
  const assignmentId = await assign(pw, pw.auditor, 'N1', pw.smallQuestionnaireId, 'offline');
  const res = await request(app)
    .post('/api/v1/visits')
    .set(bearer(pw.auditor.token))
    .send({ assignmentId, visitedAt: new Date(Date.now() - 30 * 60_000).toISOString(), durationMinutes: 20 });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const stored = (id: string) => Visit.findById(id).lean().orFail();
const sent = (path: string, key: string) =>
  agent.post(path).set({ 'X-CSRF-Token': csrf, Accept: 'application/json', 'Idempotency-Key': key });

const ALL_ANSWERS = { 'a.g1': 'yes', 'a.g2': '4', 'a.p1': 'na', 'a.c1': 'yes', 'a.c2': 'no', 'a.f1': 'yes' };

test('a draft save repeated with its key is answered again, not refused as stale or saved twice', async () => {
  const id = await draftVisit();
  const rev = String((await stored(id)).rev);
  const first = await sent(`/visits/${id}/draft`, 'draft-1').send({ rev, 'a.g1': 'yes', summary: '门口有引导' });
  expect(first.status).toBe(200);
  // The same save again (its answer was lost): without the key it carries a stale revision (409).
  const again = await sent(`/visits/${id}/draft`, 'draft-1').send({ rev, 'a.g1': 'yes', summary: '门口有引导' });
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.body).toEqual(first.body);
  const v = await stored(id);
  expect(v.rev).toBe(Number(rev) + 1);
  expect(v.history.filter((h) => h.action === 'updated')).toHaveLength(1);
  const stale = await sent(`/visits/${id}/draft`, 'draft-2').send({ rev, 'a.g1': 'no' });
  expect(stale.status).toBe(409);
  expect(stale.body.error.code).toBe('conflict');
});

test('a file sent twice with one key is attached once; the answer carries the revision it produced', async () => {
  const id = await draftVisit();
  const before = (await stored(id)).rev;
  const upload = () => sent(`/visits/${id}/attachments`, 'file-1').attach('file', pngImage(40, 30, 3), '门头.png');
  const first = await upload();
  expect(first.status).toBe(201);
  expect(first.body.rev).toBe(before + 1);
  const again = await upload();
  expect(again.status).toBe(201);
  expect(again.body.id).toBe(first.body.id);
  expect((await stored(id)).attachments).toHaveLength(1);
});

test('a position answers with its revision and is recorded once per key', async () => {
  const id = await draftVisit();
  const before = (await stored(id)).rev;
  const body = { kind: 'arrive', lat: 31.2, lng: 121.5, accuracy: 15, capturedAt: new Date().toISOString() };
  const first = await sent(`/visits/${id}/location`, 'loc-1').send(body);
  expect(first.status).toBe(201);
  expect(first.body.rev).toBe(before + 1);
  expect((await sent(`/visits/${id}/location`, 'loc-1').send(body)).status).toBe(201);
  expect((await stored(id)).locations).toHaveLength(1);
});

test('submit as JSON: missing items named (422), then submitted once however often it is repeated', async () => {
  const id = await draftVisit();
  const missing = await sent(`/visits/${id}/submit`, 'submit-0').send();
  expect(missing.status).toBe(422);
  expect(missing.body.error.code).toBe('required_items_missing');
  expect(missing.body.error.details.map((d: { itemKey: string }) => d.itemKey)).toContain('g1');
  const rev = String((await stored(id)).rev);
  expect((await sent(`/visits/${id}/draft`, 'fill-1').send({ rev, ...ALL_ANSWERS })).status).toBe(200);
  const done = await sent(`/visits/${id}/submit`, 'submit-1').send();
  expect(done.status).toBe(200);
  expect(done.body.status).toBe('submitted');
  const again = await sent(`/visits/${id}/submit`, 'submit-1').send();
  expect(again.status).toBe(200);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect((await stored(id)).history.filter((h) => h.action === 'submitted')).toHaveLength(1);
});

test("the visit's state explains a conflict (returned with the reviewer's note); others' visits are not found", async () => {
  const id = await draftVisit();
  const rev = String((await stored(id)).rev);
  await sent(`/visits/${id}/draft`, 'fill-2').send({ rev, ...ALL_ANSWERS });
  await sent(`/visits/${id}/submit`, 'submit-2').send();
  const note = 'c2：请补充说明';
  const reviewed = await request(app)
    .post(`/api/v1/visits/${id}/review`)
    .set(bearer(pw.reviewer.token))
    .send({ decision: 'return', note });
  expect(reviewed.status).toBe(200);
  const state = await agent.get(`/visits/${id}/state`).set('Accept', 'application/json');
  expect(state.status).toBe(200);
  expect(state.headers['cache-control']).toBe('no-store');
  expect(state.body).toMatchObject({
    id,
    status: 'returned',
    statusLabel: 'Returned for correction',
    reviewNote: note,
  });
  expect(state.body.rev).toBe((await stored(id)).rev);
  const other = await signIn(app, pw.auditor2.email, PASSWORD);
  expect((await other.get(`/visits/${id}/state`).set('Accept', 'application/json')).status).toBe(404);
});

test('the service worker is served from the root, never cached stale; only the named vendor builds are served', async () => {
  const sw = await request(app).get('/sw.js');
  expect(sw.status).toBe(200);
  expect(sw.headers['content-type']).toMatch(/javascript/);
  expect(sw.headers['cache-control']).toBe('no-cache');
  expect(sw.text).toContain("importScripts('/static/vendor/workbox/workbox-sw.js')");
  for (const f of ['workbox/workbox-sw.js', 'workbox/workbox-strategies.prod.js', 'idb/umd.js']) {
    const res = await request(app).get(`/static/vendor/${f}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
  }
  expect((await request(app).get('/static/vendor/workbox/..%2Fpackage.json')).status).toBe(404);
  expect((await request(app).get('/static/vendor/idb/index.cjs')).status).toBe(404);
});
