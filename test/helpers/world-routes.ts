import type { Express } from 'express';
import request from 'supertest';
import { ApiRouter, type RegisteredRoute } from '../../server/platform/http/api-router';
import { registerApi } from '../../server/api';
import { ADMIN, bearer, tokenFor } from './app';
import { ANSWERS, SECTIONS } from './visits';
import { ACCESS_SPECS } from './world-access';
import { UPLOAD_SPECS } from './world-uploads';
import { Types } from 'mongoose';
import { deliveryIdOf, WebhookDelivery, WebhookEndpoint } from '../../server/webhooks/model';
import { newSecret, sealSecret } from '../../server/webhooks/secrets';
import {
  PASSWORD,
  place,
  PLACES,
  PRINCIPALS,
  uniquePng,
  seesBank,
  seesBranch,
  seesVisit,
  type Place,
  type PlaceKey,
  type Who,
  type World,
} from './world';

/**
 * For every API route: how to call it against the world (path parameters, query, a minimal valid
 * body or file) and whom the authorization rules let reach which resource. The authorization
 * matrix and the fuzz tests are both generated from this table and the route table beside it.
 */
export const PREFIX = '/api/v1';

export function routeTable(): RegisteredRoute[] {
  const api = new ApiRouter(PREFIX);
  registerApi(api);
  return api.routes;
}

export const routeKey = (r: Pick<RegisteredRoute, 'method' | 'path'>) => `${r.method} ${r.path.slice(PREFIX.length)}`;

/** `own`/`other`/`out` are places (see world.ts); `own-draft` is the own place's draft visit; `none` a route without a resource. */
export type Target = PlaceKey | 'own-draft' | 'none';

export interface Ctx {
  w: World;
  t: Target;
  p: Place;
  /** The caller, null for an anonymous request. */
  who: Who | null;
  /** True when the caller is expected to succeed: only then may the request use up a fresh resource. */
  succeeds: boolean;
}

export interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  file?: { content: Buffer; filename: string };
  /** A raw body (a part of a resumable upload) and its media type. */
  bytes?: { content: Buffer; type: string };
  /** Sign in anew for this request (a route that revokes the token it is called with). */
  freshToken?: boolean;
  /** Call as this token instead of the caller's (a throwaway user of the same role: access.ts). */
  token?: string;
}

export interface Spec {
  targets?: Target[];
  req(c: Ctx): Req | Promise<Req>;
  /** Whether an allowed caller may reach the target; a hidden one is 404. Default: always. */
  sees?(who: Who, p: Place, t: Target): boolean;
  /** A caller whose role the route admits but who may still not use it (403): a region manager and the audit log. */
  forbids?(who: Who): boolean;
}

let counter = 0;
// Digits only after the prefix: letters could spell a branch or staff code the leak check looks for
// (a time-based "…WB…" once made the matrix report a leak that was the test's own value).
const uniq = (prefix: string) =>
  `${prefix.toUpperCase()}${String(counter++).padStart(4, '0')}${Date.now() % 1_000_000}`;

const T2: Target[] = ['own', 'other'];
const T3: Target[] = ['own', 'other', 'out'];
const csv = (lines: string[]) => ({
  content: Buffer.from(`\ufeff${lines.join('\r\n')}\r\n`, 'utf8'),
  filename: 'import.csv',
});
const png = (name = 'evidence.png') => ({ content: uniquePng(), filename: name });

/** The owning auditor of a place's assignments and visits. */
const owns = (who: Who, p: Place) => who.role !== 'auditor' || who.key === p.owner;
/** An auditor sees a questionnaire only through an own assignment: auditor has them in both banks, auditor2 only in A. */
const seesQuestionnaire = (who: Who, p: Place) =>
  who.role === 'auditor' ? who.key === 'auditor' || p.bank === 'A' : seesBank(who, p);
const sections = SECTIONS.map((s) => ({
  ...s,
  items: s.items.map((i) => ({ ...i, text: { zh: `题目 ${i.key}`, en: `Item ${i.key}` } })),
}));
const window = () => ({
  windowStart: new Date(Date.now() - 86400_000).toISOString(),
  windowEnd: new Date(Date.now() + 86400_000).toISOString(),
});

const bankParams = ({ w, p }: Ctx) => ({ bankId: w.bankId[p.bank] });
const reportOf = ({ w, p }: Ctx) => {
  if (!w.report) throw new Error('the world was built without reports');
  return w.report[p.bank];
};
const userOf = ({ w, p }: Ctx) => (p.bank === 'A' ? w.who.managerA.id : w.who.managerB.id);

/** Calibration rounds (SPEC §12) need three auditors: the world's two and one made here. */
const thirdAuditor = new WeakMap<World, Promise<string>>();
const sharedRound = new WeakMap<World, Promise<string>>();
const adminPost = async (w: World, path: string, body: object) => {
  const res = await request(w.app).post(`${PREFIX}${path}`).set(bearer(w.who.admin.token)).send(body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
};
async function calibrationAuditors(w: World): Promise<string[]> {
  let third = thirdAuditor.get(w);
  if (!third) {
    third = adminPost(w, '/users', {
      email: `calibration-${uniq('c').toLowerCase()}@world.test`,
      password: PASSWORD,
      name: '校准暗访员',
      role: 'auditor',
    }).then((u) => u.id);
    thirdAuditor.set(w, third);
  }
  return [w.who.auditor.id, w.who.auditor2.id, await third];
}
export const roundBody = async (w: World) => ({
  questionnaireId: w.questionnaireId.A,
  version: 1,
  title: uniq('round'),
  caseText: '客户咨询理财产品的录音与照片',
  auditorIds: await calibrationAuditors(w),
});
/** A new calibration round on bank A's questionnaire for the world's auditors (and one more). */
export const newRound = async (w: World): Promise<string> =>
  (await adminPost(w, '/calibrations', await roundBody(w))).id;
/** A round every world auditor is invited to; a fresh one when the caller will use it up. */
async function roundFor(c: Ctx): Promise<string> {
  if (c.succeeds) return newRound(c.w);
  let r = sharedRound.get(c.w);
  if (!r) sharedRound.set(c.w, (r = newRound(c.w)));
  return r;
}
const roundFile = new WeakMap<World, Promise<{ calibrationId: string; attachmentId: string }>>();
/** A round with one evidence file, uploaded by the admin. */
function roundWithFile(w: World) {
  let f = roundFile.get(w);
  if (!f) {
    f = newRound(w).then(async (calibrationId) => {
      const res = await request(w.app)
        .post(`${PREFIX}/calibrations/${calibrationId}/attachments`)
        .set(bearer(w.who.admin.token))
        .attach('file', uniquePng(), 'case.png');
      if (res.status !== 201) throw new Error(`calibration attachment: ${res.status}`);
      return { calibrationId, attachmentId: res.body.id as string };
    });
    roundFile.set(w, f);
  }
  return f;
}
const calibrationAnswers = { answers: ANSWERS.map((a) => ({ itemKey: a.itemKey, value: a.value })) };

export const SPECS: Record<string, Spec> = {
  // ---- auth
  'POST /auth/token': { req: ({ w }) => ({ body: { email: w.spare.email, password: w.spare.password } }) },
  'DELETE /auth/token': { req: () => ({ freshToken: true }) },
  'GET /me': { req: () => ({}) },
  ...ACCESS_SPECS,
  ...UPLOAD_SPECS,

  // ---- banks, branches, staff
  'GET /banks': { req: () => ({}) },
  'POST /banks': { req: () => ({ body: { code: uniq('NB'), name: '新银行', reportRecipients: [] } }) },
  'GET /banks/:bankId': { targets: T2, sees: seesBank, req: (c) => ({ params: bankParams(c) }) },
  'PATCH /banks/:bankId': {
    targets: T2,
    req: (c) => ({ params: bankParams(c), body: { name: `世界银行 ${c.p.bank}` } }),
  },
  'GET /banks/:bankId/branches': { targets: T2, sees: seesBank, req: (c) => ({ params: bankParams(c) }) },
  'POST /banks/:bankId/branches': {
    targets: T2,
    req: (c) => ({ params: bankParams(c), body: { code: uniq('BR'), name: '新支行', region: c.p.region } }),
  },
  'POST /banks/:bankId/branches/import': {
    targets: T2,
    req: (c) => ({
      params: bankParams(c),
      file: csv(['code,name,region', `${c.p.branch},支行 ${c.p.branch},${c.p.region}`]),
    }),
  },
  'GET /banks/:bankId/staff': { targets: T2, sees: seesBank, req: (c) => ({ params: bankParams(c) }) },
  'POST /banks/:bankId/staff': {
    targets: T2,
    req: (c) => ({ params: bankParams(c), body: { employeeId: uniq('ES'), name: '新员工', branchCode: c.p.branch } }),
  },
  'POST /banks/:bankId/staff/import': {
    targets: T2,
    req: (c) => ({
      params: bankParams(c),
      file: csv(['employeeId,name,branchCode', `${c.p.staff},员工 ${c.p.staff},${c.p.branch}`]),
    }),
  },

  // ---- users
  'GET /users': { req: () => ({}) },
  'POST /users': {
    req: () => ({
      body: { email: `${uniq('u')}@new.test`.toLowerCase(), password: PASSWORD, name: '新用户', role: 'reviewer' },
    }),
  },
  'GET /users/:userId': { targets: T2, req: (c) => ({ params: { userId: userOf(c) } }) },
  'PATCH /users/:userId': {
    targets: T2,
    req: (c) => ({
      params: { userId: userOf(c) },
      body: { name: c.p.bank === 'A' ? '用户 managerA' : '用户 managerB' },
    }),
  },

  // ---- questionnaires
  'GET /questionnaires': { targets: T2, sees: seesBank, req: (c) => ({ query: bankParams(c) }) },
  'POST /questionnaires': {
    targets: T2,
    req: (c) => ({ body: { bankId: c.w.bankId[c.p.bank], name: '新问卷', sections } }),
  },
  'GET /questionnaires/:id': {
    targets: T2,
    sees: seesQuestionnaire,
    req: (c) => ({ params: { id: c.w.questionnaireId[c.p.bank] } }),
  },
  'PUT /questionnaires/:id': {
    targets: T2,
    req: (c) => ({ params: { id: c.w.questionnaireId[c.p.bank] }, body: { name: `问卷 ${c.p.bank}`, sections } }),
  },
  'GET /questionnaires/:id/versions': {
    targets: T2,
    sees: seesQuestionnaire,
    req: (c) => ({ params: { id: c.w.questionnaireId[c.p.bank] } }),
  },
  'GET /questionnaires/:id/versions/:version': {
    targets: T2,
    sees: seesQuestionnaire,
    req: (c) => ({ params: { id: c.w.questionnaireId[c.p.bank], version: '1' } }),
  },

  // ---- results
  'GET /results': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ query: { ...bankParams(c), quarter: c.w.quarter, level: 'branch', branchCode: c.p.branch } }),
  },
  'GET /overview': { req: (c) => ({ query: { quarter: c.w.quarter } }) },

  // ---- calibration (SPEC §12)
  'POST /calibrations': { req: async (c) => ({ body: await roundBody(c.w) }) },
  'GET /calibrations': { req: () => ({}) },
  'GET /calibrations/:calibrationId': { req: async (c) => ({ params: { calibrationId: await roundFor(c) } }) },
  'POST /calibrations/:calibrationId/attachments': {
    req: async (c) => ({ params: { calibrationId: await roundFor(c) }, file: png('case.png') }),
  },
  'GET /calibrations/:calibrationId/attachments/:attachmentId': {
    req: async (c) => ({ params: await roundWithFile(c.w) }),
  },
  'POST /calibrations/:calibrationId/answers': {
    req: async (c) => ({ params: { calibrationId: await roundFor(c) }, body: calibrationAnswers }),
  },
  'PUT /calibrations/:calibrationId/reference': {
    req: async (c) => ({ params: { calibrationId: await roundFor(c) }, body: calibrationAnswers }),
  },
  'GET /calibrations/:calibrationId/results': {
    req: async (c) => ({ params: { calibrationId: await roundFor(c) } }),
  },
  'GET /auditors/leniency': { req: (c) => ({ query: { quarter: c.w.quarter } }) },

  // ---- assignments
  'GET /assignments': { req: () => ({}) },
  'POST /assignments': {
    targets: T2,
    req: (c) => ({
      body: {
        bankId: c.w.bankId[c.p.bank],
        branchCode: c.p.branch,
        auditorId: c.w.who[c.p.owner].id,
        questionnaireId: c.w.questionnaireId[c.p.bank],
        quarter: c.w.quarter,
        ...window(),
        scenario: '开户',
      },
    }),
  },
  'POST /assignments/import': {
    targets: T2,
    req: (c) => {
      const { windowStart, windowEnd } = window();
      return {
        query: { bankId: c.w.bankId[c.p.bank], questionnaireId: c.w.questionnaireId[c.p.bank] },
        file: csv([
          'branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario',
          `${c.p.branch},${c.w.who[c.p.owner].email},${c.w.quarter},${windowStart},${windowEnd},开户`,
        ]),
      };
    },
  },
  'GET /assignments/:assignmentId': {
    targets: T3,
    sees: owns,
    req: (c) => ({ params: { assignmentId: c.w.draft[c.p.key].assignmentId } }),
  },

  // ---- visits
  // A filter for another bank is not refused: it finds nothing (the answer is checked for leaks).
  'GET /visits': { targets: T2, req: (c) => ({ query: bankParams(c) }) },
  'POST /visits': {
    targets: T3,
    sees: owns,
    req: async (c) => ({
      body: {
        assignmentId: c.succeeds ? await c.w.fresh.assignment(c.p.key) : c.w.draft[c.p.key].assignmentId,
        visitedAt: new Date(Date.now() - 3600_000).toISOString(),
        durationMinutes: 20,
        answers: [{ itemKey: 'g1', value: 'yes' }],
      },
    }),
  },
  'GET /visits/:visitId': {
    targets: [...T3, 'own-draft'],
    sees: (who, p, t) => seesVisit(who, p, t === 'own-draft' ? 'draft' : 'approved'),
    req: (c) => ({ params: { visitId: c.t === 'own-draft' ? c.w.draft.own.id : c.w.approved[c.p.key].id } }),
  },
  'PATCH /visits/:visitId': {
    targets: T3,
    sees: owns,
    req: (c) => ({ params: { visitId: c.w.draft[c.p.key].id }, body: { summary: '补充说明' } }),
  },
  'POST /visits/:visitId/submit': {
    targets: T3,
    sees: owns,
    req: async (c) => ({
      params: { visitId: c.succeeds ? (await c.w.fresh.draft(c.p.key)).id : c.w.draft[c.p.key].id },
    }),
  },
  'POST /visits/:visitId/review': {
    targets: T3,
    req: async (c) => ({
      params: { visitId: c.succeeds ? (await c.w.fresh.submitted(c.p.key)).id : c.w.submitted[c.p.key].id },
      body: { decision: 'approve' },
    }),
  },
  'GET /review/queue': { req: () => ({}) },

  // ---- evidence
  'POST /visits/:visitId/attachments': {
    targets: T3,
    sees: owns,
    req: (c) => ({ params: { visitId: c.w.draft[c.p.key].id }, file: png() }),
  },
  'POST /visits/:visitId/location': {
    targets: T3,
    sees: owns,
    req: (c) => ({
      params: { visitId: c.w.draft[c.p.key].id },
      body: { kind: 'arrive', lat: 31.2304, lng: 121.4737, accuracy: 25, capturedAt: new Date().toISOString() },
    }),
  },
  'GET /visits/:visitId/attachments/:attachmentId': {
    targets: T3,
    sees: (who, p) => seesVisit(who, p),
    req: (c) => ({
      params: { visitId: c.w.approved[c.p.key].id, attachmentId: c.w.approved[c.p.key].attachmentId as string },
    }),
  },
  'DELETE /visits/:visitId/attachments/:attachmentId': {
    targets: T3,
    sees: owns,
    req: async (c) => {
      if (!c.succeeds)
        return {
          params: { visitId: c.w.draft[c.p.key].id, attachmentId: c.w.approved[c.p.key].attachmentId as string },
        };
      return { params: await c.w.fresh.attachment(c.p.key) };
    },
  },

  // ---- reports
  'POST /banks/:bankId/quarters/:quarter/close': {
    targets: T2,
    req: (c) => ({ params: { ...bankParams(c), quarter: c.w.quarter } }),
  },
  'GET /reports': { targets: T2, sees: seesBank, req: (c) => ({ query: bankParams(c) }) },
  'GET /reports/:id': { targets: T2, sees: seesBank, req: (c) => ({ params: { id: reportOf(c) } }) },
  'GET /reports/:id/files/:scope': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { id: reportOf(c), scope: `branch:${c.p.branch}` } }),
  },
  'GET /reports/:id/deliveries': { targets: T2, req: (c) => ({ params: { id: reportOf(c) } }) },
  'POST /reports/:id/deliveries/resend': { targets: T2, req: (c) => ({ params: { id: reportOf(c) }, body: {} }) },

  // ---- disputes
  'POST /visits/:visitId/disputes': {
    targets: T3,
    sees: seesBranch,
    req: (c) => {
      const visitId = c.w.approved[c.p.key].id;
      return {
        params: { visitId },
        body: { itemKey: c.succeeds ? c.w.nextItem(visitId) : 'g1', reason: '录像显示已问候' },
      };
    },
  },
  'GET /visits/:visitId/disputes': {
    targets: T3,
    sees: (who, p) => seesVisit(who, p),
    req: (c) => ({ params: { visitId: c.w.approved[c.p.key].id } }),
  },
  'GET /disputes': { targets: T2, sees: seesBank, req: (c) => ({ query: bankParams(c) }) },
  'GET /disputes/:disputeId': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { disputeId: c.w.dispute[c.p.key].id } }),
  },
  'POST /disputes/:disputeId/resolve': {
    targets: T3,
    req: async (c) => ({
      params: { disputeId: c.succeeds ? await c.w.fresh.dispute(c.p.key) : c.w.dispute[c.p.key].id },
      body: { decision: 'upheld', note: '维持原判' },
    }),
  },
  'POST /disputes/:disputeId/attachments': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { disputeId: c.w.dispute[c.p.key].id }, file: png('proof.png') }),
  },
  'GET /disputes/:disputeId/attachments/:attachmentId': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { disputeId: c.w.dispute[c.p.key].id, attachmentId: c.w.dispute[c.p.key].attachmentId } }),
  },

  // ---- action plans
  'POST /action-plans': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({
      body: {
        kind: 'key_problem',
        bankId: c.w.bankId[c.p.bank],
        quarter: c.w.quarter,
        itemKey: 'g2',
        scope: { type: 'branch', branchCode: c.p.branch },
        action: '晨会演练',
        owner: '大堂经理',
        dueDate: '2027-01-31',
      },
    }),
  },
  'GET /action-plans': { targets: T2, sees: seesBank, req: (c) => ({ query: bankParams(c) }) },
  'GET /action-plans/:planId': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { planId: c.w.plan[c.p.key] } }),
  },
  'PATCH /action-plans/:planId': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { planId: c.w.plan[c.p.key] }, body: { owner: uniq('负责人') } }),
  },

  // ---- HR
  'GET /staff/scorecards': {
    targets: T2,
    sees: seesBank,
    req: (c) => ({ query: { ...bankParams(c), quarter: c.w.quarter } }),
  },
  'GET /staff/scorecards.csv': {
    targets: T2,
    sees: seesBank,
    req: (c) => ({ query: { ...bankParams(c), quarter: c.w.quarter } }),
  },
  'GET /staff/scorecards.xlsx': {
    targets: T2,
    sees: seesBank,
    req: (c) => ({ query: { ...bankParams(c), quarter: c.w.quarter } }),
  },
  'POST /staff/:employeeId/reviews': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({
      params: { employeeId: c.p.staff },
      body: { bankId: c.w.bankId[c.p.bank], quarter: c.w.quarter, reviewRef: uniq('HR') },
    }),
  },
  'GET /staff/:employeeId/visits': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { employeeId: c.p.staff }, query: { ...bankParams(c), quarter: c.w.quarter } }),
  },
  'GET /staff/:employeeId/reviews': {
    targets: T3,
    sees: seesBranch,
    req: (c) => ({ params: { employeeId: c.p.staff }, query: bankParams(c) }),
  },

  // ---- compliance alerts and webhooks (SPEC §13)
  'GET /alerts': { targets: T2, sees: seesBank, req: (c) => ({ query: bankParams(c) }) },
  'POST /webhooks': {
    req: (c) => ({ body: { url: HOOK_URL, bankId: c.w.bankId.A, events: ['visit.approved'] } }),
  },
  'GET /webhooks': { req: () => ({}) },
  'GET /webhooks/:webhookId': { req: async () => ({ params: { webhookId: await someEndpoint() } }) },
  'PATCH /webhooks/:webhookId': {
    req: async () => ({ params: { webhookId: await someEndpoint() }, body: { description: uniq('WH') } }),
  },
  'DELETE /webhooks/:webhookId': {
    req: async (c) => ({ params: { webhookId: c.succeeds ? await freshEndpoint() : await someEndpoint() } }),
  },
  'GET /webhooks/:webhookId/deliveries': { req: async () => ({ params: { webhookId: await someEndpoint() } }) },
  'POST /webhooks/:webhookId/deliveries/:deliveryId/redeliver': {
    req: async () => {
      const webhookId = await someEndpoint();
      return { params: { webhookId, deliveryId: await someDelivery(webhookId) } };
    },
  },
  'POST /webhooks/:webhookId/ping': { req: async () => ({ params: { webhookId: await someEndpoint() } }) },
};

// Webhook endpoints for the matrix, made through the model (the routes under test make and delete them too).
// Port 9 (discard) on loopback: a ping or delivery there is refused at once, which the answer reports.
const HOOK_URL = 'http://127.0.0.1:9/hook';
let endpointId: string | undefined;
async function freshEndpoint(): Promise<string> {
  const e = await WebhookEndpoint.create({
    url: HOOK_URL,
    events: ['visit.approved'],
    secretSealed: sealSecret(newSecret()),
    createdBy: new Types.ObjectId(),
  });
  return String(e._id);
}
export async function someEndpoint(): Promise<string> {
  endpointId ??= await freshEndpoint();
  return endpointId;
}
export async function someDelivery(webhookId: string): Promise<string> {
  const eventId = `evt_matrix_${uniq('EV')}`;
  const d = await WebhookDelivery.create({
    _id: deliveryIdOf(webhookId, eventId),
    endpointId: webhookId,
    eventId,
    type: 'visit.approved',
    bankId: new Types.ObjectId(),
    orderKey: 'matrix',
    position: 0,
    status: 'failed',
    nextAttemptAt: new Date(Date.now() + 86400_000),
    eventAt: new Date(),
  });
  return String(d._id);
}

// ---- expectations and requests

export function mayCall(route: RegisteredRoute, who: Who | null): boolean {
  if (route.access === 'public') return true;
  if (!who) return false;
  return route.access === 'authenticated' || route.access.includes(who.role);
}

/** The status the rules give: 401 anonymous, 403 wrong role, 404 hidden resource, else the route's success status. */
export function expectedStatus(route: RegisteredRoute, spec: Spec, who: Who | null, t: Target): number {
  if (route.access !== 'public' && !who) return 401;
  if (!mayCall(route, who)) return 403;
  if (who && spec.forbids?.(who)) return 403;
  if (who && t !== 'none' && spec.sees && !spec.sees(who, placeOf(t), t)) return 404;
  return route.status;
}

export const placeOf = (t: Target): Place => place(t === 'none' || t === 'own-draft' ? 'own' : t);

export function fillPath(route: RegisteredRoute, params: Record<string, string> = {}): string {
  return route.path.replace(/:(\w+)/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${routeKey(route)}: no value for path parameter :${name}`);
    return encodeURIComponent(v);
  });
}

/** Sends a prepared request with the caller's token (or a fresh one), binary answers buffered. */
export async function send(
  app: Express,
  route: RegisteredRoute,
  req: Req,
  who: Who | null,
  path = fillPath(route, req.params),
): Promise<request.Response> {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
  let r = request(app)[method](path);
  if (req.query) r = r.query(req.query);
  if (who) {
    const token =
      req.token ??
      (req.freshToken ? await tokenFor(app, who.email, who.key === 'admin' ? ADMIN.password : PASSWORD) : who.token);
    r = r.set(bearer(token));
  }
  if (req.file) return r.attach('file', req.file.content, req.file.filename);
  r = r.buffer(true).parse(binaryOrJson);
  if (req.bytes) return r.set('Content-Type', req.bytes.type).send(req.bytes.content);
  if (req.body !== undefined) return r.send(req.body as object);
  return r;
}

function binaryOrJson(res: request.Response, cb: (err: Error | null, body: unknown) => void): void {
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(Buffer.from(c)));
  res.on('end', () => {
    const raw = Buffer.concat(parts);
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json')) {
      try {
        return cb(null, JSON.parse(raw.toString('utf8')));
      } catch {
        return cb(null, raw);
      }
    }
    cb(null, raw);
  });
}

/** The first caller (in PRINCIPALS order) who may call the route and reach the own place. */
export function firstAllowed(route: RegisteredRoute, spec: Spec, w: World, t: Target = 'own'): Who | null {
  for (const k of PRINCIPALS) {
    if (expectedStatus(route, spec, w.who[k], spec.targets ? t : 'none') === route.status) return w.who[k];
  }
  return null;
}

export { PLACES };
