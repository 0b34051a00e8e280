import request from 'supertest';
import { bearer } from './app';
import { uniquePng, type Place, type Who, type World } from './world';
import type { Ctx, Spec, Target } from './world-routes';

/**
 * Expectations of the resumable upload routes for the authorization matrix and the fuzzing. An
 * upload belongs to the auditor who owns the place's draft visit; a request expected to succeed
 * gets an upload of its own (a part moves the offset, a completion attaches the file).
 */
const PREFIX = '/api/v1';
const T3: Target[] = ['own', 'other', 'out'];
const owns = (who: Who, p: Place) => who.role !== 'auditor' || who.key === p.owner;

async function newUpload(w: World, p: Place, content: Buffer): Promise<{ visitId: string; uploadId: string }> {
  const visitId = w.draft[p.key].id;
  const res = await request(w.app)
    .post(`${PREFIX}/visits/${visitId}/uploads`)
    .set(bearer(w.who[p.owner].token))
    .send({ name: 'evidence.png', size: content.length });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  return { visitId, uploadId: res.body.id as string };
}

async function sendAll(w: World, p: Place, u: { visitId: string; uploadId: string }, content: Buffer) {
  const res = await request(w.app)
    .patch(`${PREFIX}/visits/${u.visitId}/uploads/${u.uploadId}`)
    .query({ offset: 0 })
    .set(bearer(w.who[p.owner].token))
    .set('Content-Type', 'application/offset+octet-stream')
    .send(content);
  if (res.status !== 200) throw new Error(`upload part: ${res.status} ${JSON.stringify(res.body)}`);
}

const shared = new WeakMap<World, Map<string, Promise<{ visitId: string; uploadId: string }>>>();
/** One upload per place, left open, for the callers expected to be refused. */
function sharedUpload(c: Ctx) {
  let m = shared.get(c.w);
  if (!m) shared.set(c.w, (m = new Map()));
  let u = m.get(c.p.key);
  if (!u) m.set(c.p.key, (u = newUpload(c.w, c.p, uniquePng())));
  return u;
}

const part = () => ({ content: uniquePng(), type: 'application/offset+octet-stream' });

export const UPLOAD_SPECS: Record<string, Spec> = {
  'POST /visits/:visitId/uploads': {
    targets: T3,
    sees: owns,
    req: (c) => ({ params: { visitId: c.w.draft[c.p.key].id }, body: { name: 'evidence.png', size: 2048 } }),
  },
  'GET /visits/:visitId/uploads/:uploadId': {
    targets: T3,
    sees: owns,
    req: async (c) => ({ params: await sharedUpload(c) }),
  },
  'PATCH /visits/:visitId/uploads/:uploadId': {
    targets: T3,
    sees: owns,
    req: async (c) => {
      const bytes = part();
      const params = c.succeeds ? await newUpload(c.w, c.p, bytes.content) : await sharedUpload(c);
      return { params, query: { offset: '0' }, bytes };
    },
  },
  'POST /visits/:visitId/uploads/:uploadId/complete': {
    targets: T3,
    sees: owns,
    req: async (c) => {
      if (!c.succeeds) return { params: await sharedUpload(c) };
      const content = uniquePng();
      const u = await newUpload(c.w, c.p, content);
      await sendAll(c.w, c.p, u, content);
      return { params: u };
    },
  },
  'DELETE /visits/:visitId/uploads/:uploadId': {
    targets: T3,
    sees: owns,
    req: async (c) => ({ params: c.succeeds ? await newUpload(c.w, c.p, uniquePng()) : await sharedUpload(c) }),
  },
};
