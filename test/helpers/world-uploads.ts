import request from 'supertest';
import { UploadSession } from '../../server/uploads/model';
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

type Made = { visitId: string; uploadId: string; token: string };
const made = new WeakMap<World, Made[]>();

/**
 * A fresh open upload of the place's owner. An auditor may hold only UPLOAD_MAX_OPEN_PER_USER open
 * uploads; the matrix and the fuzzing make many (each used by the one request it was made for, or
 * declared by the fuzzing itself), so when the limit answers, every open upload of the owner but the
 * shared ones is cancelled and it is asked again.
 */
async function newUpload(w: World, p: Place, content: Buffer): Promise<{ visitId: string; uploadId: string }> {
  const visitId = w.draft[p.key].id;
  const token = w.who[p.owner].token;
  const declare = () =>
    request(w.app)
      .post(`${PREFIX}/visits/${visitId}/uploads`)
      .set(bearer(token))
      .send({ name: 'evidence.png', size: content.length });
  let res = await declare();
  if (res.status === 422 && res.body?.error?.code === 'too_many_open_uploads') {
    // The fuzzing also declares uploads of its own: every open one of this owner but the shared ones goes.
    for (const u of await UploadSession.find({ ownerId: w.who[p.owner].id, status: 'open' }, { visitId: 1 }).lean())
      if (!sharedIds.get(w)?.has(u._id))
        await request(w.app)
          .delete(`${PREFIX}/visits/${String(u.visitId)}/uploads/${u._id}`)
          .set(bearer(token));
    made.get(w)?.splice(0);
    res = await declare();
  }
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  const u = { visitId, uploadId: res.body.id as string };
  if (!made.has(w)) made.set(w, []);
  made.get(w)?.push({ ...u, token });
  return u;
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

/** A shared upload stays open for the whole run: it is taken off the list of those that may be cancelled. */
const sharedIds = new WeakMap<World, Set<string>>();
const keep = (w: World) => (u: { visitId: string; uploadId: string }) => {
  if (!sharedIds.has(w)) sharedIds.set(w, new Set());
  sharedIds.get(w)?.add(u.uploadId);
  const list = made.get(w) ?? [];
  const at = list.findIndex((m) => m.uploadId === u.uploadId);
  if (at >= 0) list.splice(at, 1);
  return u;
};

const shared = new WeakMap<World, Map<string, Promise<{ visitId: string; uploadId: string }>>>();
/** One upload per place, left open, for the callers expected to be refused. */
function sharedUpload(c: Ctx) {
  let m = shared.get(c.w);
  if (!m) shared.set(c.w, (m = new Map()));
  let u = m.get(c.p.key);
  if (!u) m.set(c.p.key, (u = newUpload(c.w, c.p, uniquePng()).then(keep(c.w))));
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
