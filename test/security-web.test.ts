import crypto from 'node:crypto';
import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../server/app';
import { config, setConfig, type Config } from '../server/platform/config';
import { translate } from '../server/platform/i18n';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csrfFrom, sessionCookieOf, SESSION_COOKIE, type Agent } from './helpers/web';
import { buildWorld, PASSWORD, uniquePng, type PrincipalKey, type World } from './helpers/world';
import { newRound, roundBody, someDelivery, someEndpoint } from './helpers/world-routes';
import { ANSWERS } from './helpers/visits';

/**
 * The web side under attack: CSRF on every state-changing form (enumerated from the Express router
 * stack, so a new form cannot escape), security headers on every kind of answer (API JSON and
 * errors, downloads, pages, redirects, static files), session fixation with a forged cookie,
 * sign-in rate limit evasion, token revocation and where tokens are (not) accepted, and cookies.
 * test/web-auth.test.ts and test/api-auth.test.ts cover the basics of each; this file covers the rest.
 */
jest.setTimeout(300_000);

let app: Express;
let world: World;
const CSRF_MESSAGE = translate('zh', 'error.csrf');

beforeAll(async () => {
  app = await startTestApp();
  world = await buildWorld(app, { reports: true });
}, 300_000);
afterAll(stopTestApp);

// ---- the app's own routes, from the router stack

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: unknown;
}

/** Every route of the app as "METHOD /path", nested routers included (Express 5: app.router.stack). */
function appRoutes(a: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const l of stack) {
      const here = typeof l.rawPath === 'string' && l.rawPath !== '/' ? l.rawPath : '';
      if (l.route)
        for (const m of Object.keys(l.route.methods)) out.push(`${m.toUpperCase()} ${prefix}${l.route.path}`);
      else if (l.handle?.stack) walk(l.handle.stack, prefix + here);
    }
  };
  walk((a as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out;
}

const UNSAFE = /^(POST|PUT|PATCH|DELETE) /;
/** Bearer-token API: not cookie-authenticated, so not a CSRF target (proved below: it ignores the session cookie). */
const webForms = (a: Express) => appRoutes(a).filter((r) => UNSAFE.test(r) && !r.includes(' /api/'));

// ---- "nothing written": a digest of every document in every collection (GridFS included)

async function digest(): Promise<string> {
  const db = mongoose.connection.db as mongoose.mongo.Db;
  const hash = crypto.createHash('sha256');
  const names = (await db.listCollections().toArray())
    .map((c) => c.name)
    // The audit log is the record of attempts; a background entry (a reset link asked for) must not race the digest.
    .filter((n) => n !== 'sessions' && n !== 'audit_log')
    .sort();
  for (const name of names) {
    hash.update(`\n#${name}\n`);
    for (const doc of await db.collection(name).find({}).sort({ _id: 1 }).toArray()) hash.update(JSON.stringify(doc));
  }
  return hash.digest('hex');
}

// ---- each form: who posts it, and a body that does something when the token is right

interface Form {
  who: PrincipalKey | null;
  path(w: World): Promise<string> | string;
  fields?(w: World): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** A multipart form: the file it uploads. */
  file?(w: World): { content: Buffer; name: string };
  json?: boolean;
  /** Raw bytes sent with PATCH (a part of a resumable upload), the token in X-CSRF-Token. */
  bytes?(w: World): Buffer;
  /** Sent as DELETE (cancelling a resumable upload), the token in X-CSRF-Token. */
  del?: boolean;
  /** False where a correct post changes only the session (sign-in and sign-out). */
  writes?: boolean;
  /** Answers besides 2xx/3xx that show the token was accepted (the form's own refusal of the fields). */
  okStatus?: number[];
}

/** A resumable upload of the auditor's own draft, declared through the API; its web path. */
const uploadBytes = uniquePng();
async function newUpload(w: World): Promise<string> {
  const path = `/visits/${w.draft.own.id}/uploads`;
  const res = await request(app)
    .post(`/api/v1${path}`)
    .set(bearer(w.who.auditor.token))
    .send({ name: 'csrf.png', size: uploadBytes.length });
  if (res.status !== 201) throw new Error(`upload: ${res.status}`);
  return `${path}/${res.body.id as string}`;
}

const localNow = () => new Date(Date.now() + 8 * 3600_000 - 3600_000).toISOString().slice(0, 16); // Asia/Shanghai, an hour ago
const n = () => crypto.randomBytes(3).toString('hex').toUpperCase();
const item = (key: string) => ({
  [`i.greeting.0.key`]: key,
  'i.greeting.0.zh': '问候',
  'i.greeting.0.en': 'Greeting',
  'i.greeting.0.type': 'yes_no',
  'i.greeting.0.required': 'on',
});
const csv = (lines: string[]) => ({ content: Buffer.from(`${lines.join('\r\n')}\r\n`), name: 'rows.csv' });
const photo = () => ({ content: uniquePng(), name: 'photo.png' });

const FORMS: Record<string, Form> = {
  'POST /login': {
    who: null,
    writes: false,
    path: () => '/login',
    fields: (w) => ({ email: w.who.reviewer.email, password: PASSWORD }),
  },
  'POST /logout': { who: 'admin', writes: false, path: () => '/logout' },
  'POST /admin/banks': {
    who: 'admin',
    path: () => '/admin/banks',
    fields: () => ({
      code: `CS${n()}`,
      name: 'CSRF 银行',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      reportRecipients: '',
    }),
  },
  'POST /admin/banks/:bankId': {
    who: 'admin',
    path: (w) => `/admin/banks/${w.bankId.B}`,
    fields: () => ({ name: `改名 ${n()}`, timezone: 'Asia/Shanghai', language: 'zh', reportRecipients: '' }),
  },
  'POST /admin/banks/:bankId/branches': {
    who: 'admin',
    path: (w) => `/admin/banks/${w.bankId.A}/branches`,
    fields: () => ({ code: `WC${n()}`, name: 'CSRF 支行', region: 'North' }),
  },
  'POST /admin/banks/:bankId/branches/import': {
    who: 'admin',
    file: () => csv(['code,name,region', `WCS${n()},CSRF 支行,North`]),
    path: (w) => `/admin/banks/${w.bankId.A}/branches/import`,
  },
  'POST /admin/banks/:bankId/staff': {
    who: 'admin',
    path: (w) => `/admin/banks/${w.bankId.A}/staff`,
    fields: () => ({ employeeId: `EC${n()}`, name: 'CSRF 员工', branchCode: 'WAN1' }),
  },
  'POST /admin/banks/:bankId/staff/import': {
    who: 'admin',
    file: () => csv(['employeeId,name,branchCode', `ECS${n()},CSRF 员工,WAN1`]),
    path: (w) => `/admin/banks/${w.bankId.A}/staff/import`,
  },
  'POST /admin/users': {
    who: 'admin',
    path: () => '/admin/users',
    fields: () => ({
      email: `csrf-${n().toLowerCase()}@world.test`,
      password: 'Csrf-password-123',
      name: 'CSRF',
      role: 'reviewer',
    }),
  },
  'POST /admin/users/:userId': {
    who: 'admin',
    path: (w) => `/admin/users/${w.spare.id}`,
    fields: () => ({ name: `改名 ${n()}`, active: '1' }),
  },
  'POST /admin/users/:userId/password': {
    who: 'admin',
    path: (w) => `/admin/users/${w.spare.id}/password`,
    fields: () => ({ password: `Reset-password-${n()}` }),
  },
  'POST /admin/questionnaires': {
    who: 'admin',
    path: () => '/admin/questionnaires',
    fields: (w) => ({ name: `CSRF 问卷 ${n()}`, bankId: w.bankId.A, ...item('q1') }),
  },
  'POST /admin/questionnaires/preview': {
    who: 'admin',
    writes: false, // the editor's live check: nothing is stored
    path: () => '/admin/questionnaires/preview',
    fields: () => ({ name: `预览 ${n()}`, ...item('q3') }),
  },
  'POST /admin/questionnaires/:id': {
    who: 'admin',
    path: (w) => `/admin/questionnaires/${w.questionnaireId.B}`,
    fields: (w) => ({ name: `问卷 B ${n()}`, bankId: w.bankId.B, ...item('q2') }),
  },
  'POST /admin/assignments': {
    who: 'admin',
    path: () => '/admin/assignments',
    fields: (w) => ({
      bankId: w.bankId.A,
      branchCode: 'WAN1',
      auditorId: w.who.auditor.id,
      questionnaireId: w.questionnaireId.A,
      quarter: '2026-Q3',
      windowStart: '2026-07-01T09:00',
      windowEnd: '2026-07-01T18:00',
      scenario: 'CSRF',
    }),
  },
  'POST /admin/assignments/import': {
    who: 'admin',
    file: (w) =>
      csv([
        'branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario',
        `WAN1,${w.who.auditor.email},2026-Q3,2026-07-02T09:00:00+08:00,2026-07-02T18:00:00+08:00,CSRF`,
      ]),
    path: (w) => `/admin/assignments/import?bankId=${w.bankId.A}&questionnaireId=${w.questionnaireId.A}`,
  },
  'POST /admin/reports/close': {
    who: 'admin',
    path: () => '/admin/reports/close',
    fields: (w) => ({ bankId: w.bankId.B, quarter: '2026-Q1', confirm: 'yes' }),
  },
  'POST /admin/reports/:id/resend': {
    who: 'admin',
    path: (w) => `/admin/reports/${w.report?.A}/resend`,
    fields: () => ({}),
  },
  'POST /visits/:visitId/edit': {
    who: 'auditor',
    path: (w) => `/visits/${w.draft.own.id}/edit`,
    fields: () => ({ summary: `CSRF ${n()}`, durationMinutes: '31' }),
  },
  'POST /visits/:visitId/draft': {
    who: 'auditor',
    json: true,
    path: (w) => `/visits/${w.draft.own.id}/draft`,
    fields: () => ({ summary: `自动保存 ${n()}`, durationMinutes: '32' }),
  },
  'POST /visits/:visitId/location': {
    who: 'auditor',
    json: true,
    path: (w) => `/visits/${w.draft.own.id}/location`,
    fields: () => ({ kind: 'arrive', lat: 31.23, lng: 121.47, accuracy: 20, capturedAt: new Date().toISOString() }),
  },
  'POST /visits/:visitId/submit': {
    who: 'auditor',
    json: true,
    path: async (w) => `/visits/${(await w.fresh.draft('own')).id}/submit`,
    fields: () => ({}),
    // The phone's queued submission (public/offline-queue.js); a draft still missing answers is
    // refused (422) past the CSRF check, and then nothing is written.
    okStatus: [422],
    writes: false,
  },
  'POST /visits/:visitId/uploads': {
    who: 'auditor',
    json: true,
    path: (w) => `/visits/${w.draft.own.id}/uploads`,
    fields: () => ({ name: `csrf-${n()}.png`, size: 2048 }),
  },
  'PATCH /visits/:visitId/uploads/:uploadId': {
    who: 'auditor',
    bytes: () => uploadBytes,
    path: async (w) => `${await newUpload(w)}?offset=0`,
  },
  'POST /visits/:visitId/uploads/:uploadId/complete': {
    who: 'auditor',
    json: true,
    path: async (w) => {
      const url = await newUpload(w);
      const sent = await request(app)
        .patch(url.replace(/^/, '/api/v1'))
        .query({ offset: 0 })
        .set(bearer(w.who.auditor.token))
        .set('Content-Type', 'application/offset+octet-stream')
        .send(uploadBytes);
      if (sent.status !== 200) throw new Error(`upload part: ${sent.status}`);
      return `${url}/complete`;
    },
  },
  'DELETE /visits/:visitId/uploads/:uploadId': {
    who: 'auditor',
    del: true,
    path: (w) => newUpload(w),
  },
  'POST /visits/:visitId/attachments': {
    who: 'auditor',
    file: photo,
    path: (w) => `/visits/${w.draft.own.id}/attachments`,
  },
  'POST /visits/:visitId/attachments/:attachmentId/remove': {
    who: 'auditor',
    path: async (w) => {
      const a = await w.fresh.attachment('own');
      return `/visits/${a.visitId}/attachments/${a.attachmentId}/remove`;
    },
  },
  'POST /visits/:visitId/review': {
    who: 'reviewer',
    path: async (w) => `/visits/${(await w.fresh.submitted('own')).id}/review`,
    // The world's visits record no arrival (SPEC §9 no_location): the reviewer ticks the flag.
    fields: () => ({ decision: 'approve', ack: 'no_location' }),
  },
  'POST /assignments/:assignmentId/start': {
    who: 'auditor',
    path: async (w) => `/assignments/${await w.fresh.assignment('own')}/start`,
    fields: () => ({ visitedAt: localNow(), durationMinutes: '20' }),
  },
  // The phone starting a visit it began with no connection (JSON, the token in X-CSRF-Token).
  'POST /assignments/:assignmentId/visit': {
    who: 'auditor',
    json: true,
    path: async (w) => `/assignments/${await w.fresh.assignment('own')}/visit`,
    fields: () => ({ visitedAt: localNow(), durationMinutes: '20' }),
  },
  'POST /disputes/new': {
    who: 'managerA',
    path: (w) => `/disputes/new?visitId=${w.approved.own.id}`,
    fields: (w) => ({ itemKey: w.nextItem(w.approved.own.id), reason: 'CSRF 测试' }),
  },
  'POST /disputes/:disputeId/resolve': {
    who: 'reviewer',
    path: async (w) => `/disputes/${await w.fresh.dispute('out')}/resolve`,
    fields: () => ({ decision: 'upheld', note: '维持' }),
  },
  'POST /disputes/:disputeId/attachments': {
    who: 'managerA',
    file: photo,
    path: (w) => `/disputes/${w.dispute.own.id}/attachments`,
  },
  'POST /actions': {
    who: 'managerA',
    path: (w) => `/actions?quarter=${w.quarter}`,
    fields: () => ({
      kind: 'key_problem',
      itemKey: 'g1',
      scopeType: 'bank',
      action: `CSRF ${n()}`,
      owner: '行长',
      dueDate: '2027-06-30',
    }),
  },
  'POST /actions/:planId/status': {
    who: 'managerA',
    path: (w) => `/actions/${w.plan.own}/status`,
    fields: () => ({ status: 'done' }),
  },
  'POST /hr/reviews': {
    who: 'hrA',
    path: () => '/hr/reviews',
    fields: (w) => ({ employeeId: 'EAN1', quarter: w.quarter, reviewRef: `CSRF-${n()}` }),
  },
  // ---- signing in, one's own account, a bank's provider (the forms refuse these fields: the token passed)
  'POST /login/mfa': { who: null, writes: false, path: () => '/login/mfa', fields: () => ({ code: '123456' }) },
  'POST /login/mfa/enroll': {
    who: null,
    writes: false,
    path: () => '/login/mfa/enroll',
    fields: () => ({ code: '123456' }),
  },
  'POST /login/sso': {
    who: null,
    writes: false,
    okStatus: [404],
    path: () => '/login/sso',
    fields: () => ({ bankCode: 'NO-SUCH-BANK' }),
  },
  'POST /password-reset': {
    who: null,
    writes: false,
    path: () => '/password-reset',
    fields: () => ({ email: 'nobody@world.test' }),
  },
  'POST /password-reset/confirm': {
    who: null,
    writes: false,
    okStatus: [422],
    path: () => '/password-reset/confirm',
    fields: () => ({ token: 'x'.repeat(43), password: 'Csrf-new-pass-2026', confirm: 'Csrf-new-pass-2026' }),
  },
  'POST /admin/banks/:bankId/sso': {
    who: 'admin',
    path: (w) => `/admin/banks/${w.bankId.B}/sso`,
    fields: () => ({
      issuer: 'https://login.bank-b.example.cn',
      clientId: `csrf-${n()}`,
      clientSecret: 'csrf-secret-value',
    }),
  },
  'POST /admin/banks/:bankId/sso/remove': {
    who: 'admin',
    writes: false,
    path: (w) => `/admin/banks/${w.bankId.A}/sso/remove`,
  },
  'POST /admin/users/:userId/mfa/reset': {
    who: 'admin',
    writes: false,
    okStatus: [404],
    path: (w) => `/admin/users/${w.who.hrB.id}/mfa/reset`,
  },
  'POST /account/password': {
    who: 'hrB',
    writes: false,
    okStatus: [422],
    path: () => '/account/password',
    fields: () => ({ current: 'Not-the-password-1', password: 'Csrf-new-pass-2026', confirm: 'Csrf-new-pass-2026' }),
  },
  'POST /account/clock': {
    who: 'hrB',
    // Back to the bank's zone: the choice is made, nothing the digest counts changes.
    writes: false,
    path: () => '/account/clock',
    fields: () => ({ timezone: '' }),
  },
  'POST /account/mfa': {
    who: 'hrB',
    writes: false,
    okStatus: [409, 422],
    path: () => '/account/mfa',
    fields: () => ({ code: '123456' }),
  },
  'POST /account/mfa/recovery-codes': {
    who: 'hrB',
    writes: false,
    okStatus: [409],
    path: () => '/account/mfa/recovery-codes',
  },
  'POST /account/mfa/disable': {
    who: 'hrB',
    writes: false,
    okStatus: [409],
    path: () => '/account/mfa/disable',
    fields: () => ({ code: '123456' }),
  },
  'POST /account/sessions/end': {
    who: 'hrB',
    writes: false,
    okStatus: [404],
    path: () => '/account/sessions/end',
    fields: () => ({ id: 'token:000000000000000000000000' }),
  },
  'POST /account/sessions/end-others': { who: 'hrB', path: () => '/account/sessions/end-others' },
  'POST /admin/webhooks': {
    who: 'admin',
    path: () => '/admin/webhooks',
    fields: () => ({ url: 'http://127.0.0.1:9/hooks', events: 'visit.approved', description: `CSRF ${n()}` }),
  },
  // The test ping goes out and comes back; it stores nothing.
  'POST /admin/webhooks/:webhookId/ping': {
    who: 'admin',
    writes: false,
    path: async () => `/admin/webhooks/${await someEndpoint()}/ping`,
  },
  'POST /admin/webhooks/:webhookId/enabled': {
    who: 'admin',
    path: async () => `/admin/webhooks/${await someEndpoint()}/enabled`,
    fields: () => ({ enabled: 'false' }),
  },
  'POST /admin/webhooks/:webhookId/deliveries/:deliveryId/redeliver': {
    who: 'admin',
    path: async () => {
      const id = await someEndpoint();
      return `/admin/webhooks/${id}/deliveries/${await someDelivery(id)}/redeliver`;
    },
  },
  'POST /calibration/new': {
    who: 'admin',
    path: () => '/calibration/new',
    fields: async (w) => {
      const b = await roundBody(w);
      return {
        questionnaire: `${b.questionnaireId}:${b.version}`,
        title: b.title,
        caseText: b.caseText,
        ...Object.fromEntries(b.auditorIds.map((id) => [`auditor.${id}`, 'on'])),
      };
    },
  },
  'POST /calibration/:calibrationId/attachments': {
    who: 'admin',
    file: photo,
    path: async (w) => `/calibration/${await newRound(w)}/attachments`,
  },
  'POST /calibration/:calibrationId/answers': {
    who: 'auditor',
    path: async (w) => `/calibration/${await newRound(w)}/answers`,
    fields: () => Object.fromEntries(ANSWERS.map((a) => [`a.${a.itemKey}`, String(a.value)])),
  },
  'POST /calibration/:calibrationId/reference': {
    who: 'reviewer',
    path: async (w) => `/calibration/${await newRound(w)}/reference`,
    fields: () => Object.fromEntries(ANSWERS.map((a) => [`a.${a.itemKey}`, String(a.value)])),
  },
};

async function browserOf(who: PrincipalKey | null): Promise<{ agent: Agent; token: string }> {
  const agent = request.agent(app);
  const login = await agent.get('/login');
  if (!who) return { agent, token: csrfFrom(login.text) };
  const email = who === 'admin' ? ADMIN.email : world.who[who].email;
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(login.text), email, password: who === 'admin' ? ADMIN.password : PASSWORD });
  if (res.status !== 303) throw new Error(`sign-in of ${who}: ${res.status}`);
  const home = await agent.get('/');
  return { agent, token: csrfFrom(home.text) };
}

/** Posts the form the way its page does: urlencoded with _csrf, JSON with X-CSRF-Token, multipart with ?_csrf=. */
function submit(
  agent: Agent,
  form: Form,
  path: string,
  fields: Record<string, unknown>,
  token: string | undefined,
  file?: { content: Buffer; name: string },
) {
  if (form.bytes) {
    const r = agent
      .patch(path)
      .set('Accept', 'application/json')
      .set('Content-Type', 'application/offset+octet-stream');
    return (token === undefined ? r : r.set('X-CSRF-Token', token)).send(form.bytes(world));
  }
  if (form.del) {
    const r = agent.delete(path).set('Accept', 'application/json');
    return token === undefined ? r : r.set('X-CSRF-Token', token);
  }
  if (form.json) {
    const r = agent.post(path).set('Accept', 'application/json');
    return (token === undefined ? r : r.set('X-CSRF-Token', token)).send(fields);
  }
  if (file) {
    const sep = path.includes('?') ? '&' : '?';
    return agent
      .post(token === undefined ? path : `${path}${sep}_csrf=${encodeURIComponent(token)}`)
      .attach('file', file.content, file.name);
  }
  return agent
    .post(path)
    .type('form')
    .send(token === undefined ? fields : { ...fields, _csrf: token });
}

describe('CSRF on every state-changing web form', () => {
  test('the forms table covers every non-API POST, PUT, PATCH and DELETE route of the app, and no more', () => {
    const forms = webForms(app);
    expect(forms.length).toBeGreaterThanOrEqual(20);
    expect(forms.filter((f) => !FORMS[f])).toEqual([]);
    expect(Object.keys(FORMS).filter((f) => !forms.includes(f))).toEqual([]);
  });

  test.each(Object.keys(FORMS))(
    "%s: without the token, with a forged one or another session's, 403 and nothing written; with it, accepted",
    async (key) => {
      const form = FORMS[key];
      const { agent, token } = await browserOf(form.who);
      const other = await browserOf(form.who);
      const path = await form.path(world);
      const fields = (await form.fields?.(world)) ?? {};
      const file = form.file?.(world);
      const before = await digest();
      const forged = crypto.randomBytes(24).toString('base64url');
      for (const [label, t] of [
        ['no token', undefined],
        ['forged token', forged],
        ["another session's token", other.token],
        ['empty token', ''],
      ] as const) {
        const res = await submit(agent, form, path, fields, t, file);
        expect({ label, status: res.status }).toEqual({ label, status: 403 });
        expect(res.text).toContain(CSRF_MESSAGE);
      }
      expect(await digest()).toBe(before);
      // The same request with the page's own token goes through, so it was the token that stopped it.
      const ok = await submit(agent, form, path, fields, token, file);
      expect({
        status: ok.status < 400 || (form.okStatus ?? []).includes(ok.status),
        csrf: ok.text.includes(CSRF_MESSAGE),
      }).toEqual({ status: true, csrf: false });
      if (form.writes !== false) expect(await digest()).not.toBe(before);
    },
  );

  test('the bearer-token API ignores the session cookie: a signed-in browser cannot be made to write through it', async () => {
    const { agent } = await browserOf('admin');
    const before = await digest();
    const res = await agent.post('/api/v1/banks').send({ code: 'XSITE', name: 'cross-site', reportRecipients: [] });
    expect(res.status).toBe(401);
    expect((await agent.patch(`/api/v1/banks/${world.bankId.A}`).send({ name: 'cross-site' })).status).toBe(401);
    expect((await agent.get('/api/v1/me')).status).toBe(401);
    expect(await digest()).toBe(before);
  });
});

// ---- security headers on every kind of answer

describe('security headers', () => {
  const expectHeaders = (label: string, res: request.Response) => {
    const h = res.headers;
    const csp = String(h['content-security-policy'] ?? '');
    expect({
      label,
      csp:
        csp.includes("default-src 'self'") &&
        csp.includes("frame-ancestors 'none'") &&
        csp.includes("script-src 'self'") &&
        !csp.includes('unsafe-inline'),
    }).toEqual({ label, csp: true });
    expect({ label, nosniff: h['x-content-type-options'] }).toEqual({ label, nosniff: 'nosniff' });
    expect({ label, referrer: h['referrer-policy'] }).toEqual({ label, referrer: 'no-referrer' });
    expect({ label, frame: h['x-frame-options'] }).toEqual({ label, frame: 'SAMEORIGIN' });
    expect({ label, poweredBy: h['x-powered-by'] }).toEqual({ label, poweredBy: undefined });
    expect({ label, server: h.server }).toEqual({ label, server: undefined });
  };

  test('on API answers: success, every error status, downloads and the OpenAPI document', async () => {
    const admin = bearer(world.who.admin.token);
    const hr = bearer(world.who.hrA.token);
    const report = world.report?.A as string;
    const cases: [string, request.Test][] = [
      ['200 JSON', request(app).get('/api/v1/me').set(admin)],
      [
        '201 JSON',
        request(app)
          .post('/api/v1/banks')
          .set(admin)
          .send({ code: `H${n()}`, name: 'headers', reportRecipients: [] }),
      ],
      [
        '204 empty',
        request(app)
          .delete('/api/v1/auth/token')
          .set(bearer(await tokenFor(app, ADMIN.email, ADMIN.password))),
      ],
      [
        '400 malformed JSON',
        request(app).post('/api/v1/banks').set(admin).set('Content-Type', 'application/json').send('{"code":'),
      ],
      ['401 no token', request(app).get('/api/v1/banks')],
      ['403 wrong role', request(app).get('/api/v1/users').set(hr)],
      ['404 unknown route', request(app).get('/api/v1/no-such-route').set(admin)],
      ['404 another bank', request(app).get(`/api/v1/banks/${world.bankId.B}`).set(hr)],
      [
        '413 too large',
        request(app)
          .post('/api/v1/banks')
          .set(admin)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ name: 'x'.repeat(1024 * 1024) })),
      ],
      [
        '415 bad file',
        request(app)
          .post(`/api/v1/visits/${world.draft.own.id}/attachments`)
          .set(bearer(world.who.auditor.token))
          .attach('file', Buffer.from('MZ not an image'), 'x.png'),
      ],
      ['422 rule broken', request(app).post('/api/v1/banks').set(admin).send({ code: '' })],
      ['PDF download', request(app).get(`/api/v1/reports/${report}/files/bank`).set(admin)],
      [
        'evidence download',
        request(app)
          .get(`/api/v1/visits/${world.approved.own.id}/attachments/${world.approved.own.attachmentId}`)
          .set(admin),
      ],
      ['CSV export', request(app).get(`/api/v1/staff/scorecards.csv?quarter=${world.quarter}`).set(hr)],
      ['XLSX export', request(app).get(`/api/v1/staff/scorecards.xlsx?quarter=${world.quarter}`).set(hr)],
      ['OpenAPI', request(app).get('/api/v1/openapi.json')],
      ['health', request(app).get('/healthz')],
    ];
    const seen = new Set<number>();
    for (const [label, call] of cases) {
      const res = await call;
      seen.add(res.status);
      expectHeaders(label, res);
      if (res.status >= 400) expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    expect([...seen].sort()).toEqual([200, 201, 204, 400, 401, 403, 404, 413, 415, 422]);
  });

  test('on pages: anonymous, signed in, redirects, the CSRF and error pages, static files and page downloads', async () => {
    const { agent } = await browserOf('admin');
    const cases: [string, request.Test][] = [
      ['sign-in page', request(app).get('/login')],
      ['redirect to sign-in', request(app).get('/admin/banks')],
      ['home', agent.get('/')],
      ['admin page', agent.get('/admin/users')],
      ['404 page', agent.get('/no-such-page')],
      ['403 CSRF page', agent.post('/admin/banks').type('form').send({ code: 'X' })],
      ['static file', request(app).get('/static/app.css')],
      ['report page download', agent.get(`/reports/${world.report?.A}/files/bank`)],
    ];
    for (const [label, call] of cases) expectHeaders(label, await call);
  });
});

// ---- sessions, sign-in limits, tokens, cookies

describe('sessions and sign-in', () => {
  test('a session id made up by an attacker is never adopted: sign-in with it issues a fresh, different id', async () => {
    const forged = `${SESSION_COOKIE}=s%3A${crypto.randomBytes(18).toString('base64url')}.${crypto.randomBytes(32).toString('base64url')}`;
    const page = await request(app).get('/login').set('Cookie', forged);
    // The sign-in page itself makes no session; its form's token is in a cookie of its own.
    expect(sessionCookieOf(page)).toBeUndefined();
    const csrfCookie = ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .join('; ');
    const signedIn = await request(app)
      .post('/login')
      .set('Cookie', `${forged}; ${csrfCookie}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: ADMIN.email, password: ADMIN.password });
    expect(signedIn.status).toBe(303);
    const issued = sessionCookieOf(signedIn);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(forged);
    expect((await request(app).get('/').set('Cookie', forged)).status).toBe(303);
    expect(
      (
        await request(app)
          .get('/')
          .set('Cookie', issued as string)
      ).status,
    ).toBe(200);
  });

  test('the sign-in limit cannot be dodged by changing the case or padding of the e-mail (API and form)', async () => {
    const victim = world.who.reviewer.email;
    const limit = config().LOGIN_RATE_LIMIT;
    const spellings = (i: number) =>
      [victim.toUpperCase(), ` ${victim}`, `${victim}\t`, victim.replace(/^./, (c) => c.toUpperCase())][i % 4];
    for (let i = 0; i < limit; i++) {
      const res = await request(app)
        .post('/api/v1/auth/token')
        .send({ email: spellings(i), password: `wrong-${i}` });
      expect(res.status).toBe(401);
    }
    const blocked = await request(app).post('/api/v1/auth/token').send({ email: victim, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    expect(blocked.headers.ratelimit ?? blocked.headers['ratelimit-policy']).toBeDefined();

    // The form shares the counter with the API: switching to it does not buy more attempts.
    const browser = request.agent(app);
    const token = csrfFrom((await browser.get('/login')).text);
    for (let i = 0; i < 4; i++) {
      expect(
        (
          await browser
            .post('/login')
            .type('form')
            .send({ _csrf: token, email: spellings(i + 1), password: `wrong-${i}` })
        ).status,
      ).toBe(429);
    }
    expect(
      (await browser.post('/login').type('form').send({ _csrf: token, email: victim, password: PASSWORD })).status,
    ).toBe(429);
    // Another user from the same address is not locked out.
    expect(
      (await request(app).post('/api/v1/auth/token').send({ email: world.who.auditor.email, password: PASSWORD }))
        .status,
    ).toBe(200);
  });
});

describe('bearer tokens', () => {
  test('a revoked token is refused on reads, writes and uploads alike', async () => {
    const token = await tokenFor(app, world.who.auditor.email, PASSWORD);
    expect((await request(app).get('/api/v1/me').set(bearer(token))).status).toBe(200);
    expect((await request(app).delete('/api/v1/auth/token').set(bearer(token))).status).toBe(204);
    const before = await digest();
    const calls: [string, request.Test][] = [
      ['read', request(app).get('/api/v1/assignments').set(bearer(token))],
      [
        'write',
        request(app)
          .patch(`/api/v1/visits/${world.draft.own.id}`)
          .set(bearer(token))
          .send({ summary: 'after revocation' }),
      ],
      [
        'upload',
        request(app)
          .post(`/api/v1/visits/${world.draft.own.id}/attachments`)
          .set(bearer(token))
          .attach('file', uniquePng(), 'x.png'),
      ],
      ['revoke again', request(app).delete('/api/v1/auth/token').set(bearer(token))],
    ];
    for (const [label, call] of calls) {
      const res = await call;
      expect({ label, status: res.status, code: res.body.error?.code }).toEqual({
        label,
        status: 401,
        code: 'invalid_token',
      });
    }
    expect(await digest()).toBe(before);
  });

  test('a token counts only in the Authorization header, never in the query string or a cookie', async () => {
    const token = world.who.admin.token;
    for (const call of [
      request(app).get(`/api/v1/me?access_token=${token}`),
      request(app).get(`/api/v1/me?token=${token}`),
      request(app).get('/api/v1/me').set('Cookie', `token=${token}; access_token=${token}`),
      request(app).get('/api/v1/me').set('Authorization', token),
      request(app)
        .get('/api/v1/me')
        .set('Authorization', `Basic ${Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64')}`),
    ]) {
      expect((await call).status).toBe(401);
    }
  });
});

describe('cookies', () => {
  test('every cookie the app sets on its pages is HttpOnly and SameSite=Lax, and none is readable by scripts', async () => {
    const agent = request.agent(app);
    const cookies: string[] = [];
    for (const res of [await agent.get('/login'), await agent.get('/lang/en'), await agent.get('/lang/zh')])
      cookies.push(...([] as string[]).concat(res.headers['set-cookie'] ?? []));
    const login = await agent.get('/login');
    cookies.push(
      ...([] as string[]).concat(
        (
          await agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrfFrom(login.text), email: ADMIN.email, password: ADMIN.password })
        ).headers['set-cookie'] ?? [],
      ),
    );
    expect(cookies.length).toBeGreaterThanOrEqual(3);
    for (const c of cookies) {
      expect({
        cookie: c.split('=')[0],
        httpOnly: /;\s*HttpOnly/i.test(c),
        sameSite: /;\s*SameSite=Lax/i.test(c),
      }).toEqual({ cookie: c.split('=')[0], httpOnly: true, sameSite: true });
    }
  });

  test('with SECURE_COOKIES the session cookie is Secure, sent only over HTTPS, and pages carry HSTS', async () => {
    const saved: Config = config();
    setConfig({ ...saved, SECURE_COOKIES: true, TRUST_PROXY: 1 }); // one TLS proxy in front
    try {
      const secure = createApp();
      const form = await request(secure).get('/login').set('X-Forwarded-Proto', 'https');
      // The sign-in form's token cookie: only this host, over https, may set it.
      const csrfCookie = ([] as string[])
        .concat(form.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith('__Host-msa.csrf='));
      expect(csrfCookie).toMatch(/;\s*Secure/i);
      expect(csrfCookie).toMatch(/;\s*Path=\//i);
      const https = await request(secure)
        .post('/login')
        .set('X-Forwarded-Proto', 'https')
        .set('Cookie', (csrfCookie as string).split(';')[0])
        .type('form')
        .send({ _csrf: csrfFrom(form.text), email: ADMIN.email, password: ADMIN.password });
      expect(https.status).toBe(303);
      const cookie = ([] as string[])
        .concat(https.headers['set-cookie'] ?? [])
        .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
      expect(cookie).toMatch(/;\s*Secure/i);
      expect(cookie).toMatch(/;\s*HttpOnly/i);
      expect(https.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      const plain = await request(secure).get('/login');
      expect(sessionCookieOf(plain)).toBeUndefined();
    } finally {
      setConfig(saved);
    }
  });
});
