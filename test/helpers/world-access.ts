import { generate } from 'otplib';
import request from 'supertest';
import { createResetToken, resetLinkToSend } from '../../server/users/service';
import { bearer, tokenFor } from './app';
import { PASSWORD, seesBank, type Who } from './world';
import type { Ctx, Spec } from './world-routes';

/**
 * Expectations of the access routes (MFA, passwords, own sessions, SSO settings, the audit log) for
 * the authorization matrix and the fuzzing. A request that would change the caller's own credentials
 * (a second factor, a password, a session) runs, when it is expected to succeed, as a throwaway user
 * of the caller's role, bank and scope — so the world's users keep signing in as before.
 */
let n = 0;
const uniqueEmail = () => `access-${Date.now() % 1_000_000}-${n++}@throwaway.test`;
const NEW_PASSWORD = 'Fresh-throwaway-pass-9';

export interface Throwaway {
  id: string;
  email: string;
  token: string;
  recoveryCodes: string[];
}

async function ok(res: request.Response, what: string): Promise<Record<string, any>> {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, any>;
}

/** A new user like the caller (role, bank, scope), signed in; with a second factor when asked. */
export async function throwaway(c: Ctx, opts: { mfa?: boolean; role?: Who['role'] } = {}): Promise<Throwaway> {
  const who = c.who as Who;
  const role = opts.role ?? who.role;
  const email = uniqueEmail();
  const bank = opts.role ? undefined : who.bank;
  const body = {
    email,
    password: PASSWORD,
    name: '临时用户',
    role,
    ...(bank ? { bankId: c.w.bankId[bank], scope: who.scope } : {}),
  };
  const admin = c.w.who.admin.token;
  const id = (await ok(await request(c.w.app).post('/api/v1/users').set(bearer(admin)).send(body), 'throwaway user'))
    .id as string;
  const token = await tokenFor(c.w.app, email, PASSWORD);
  let recoveryCodes: string[] = [];
  if (opts.mfa) {
    const code = await enrolCode(c, token);
    recoveryCodes = (
      await ok(await request(c.w.app).post('/api/v1/auth/mfa/verify').set(bearer(token)).send({ code }), 'verify')
    ).recoveryCodes;
  }
  return { id, email, token, recoveryCodes };
}

/** Starts enrolment with a token; the current code of the new secret. */
async function enrolCode(c: Ctx, token: string): Promise<string> {
  const { secret } = await ok(await request(c.w.app).post('/api/v1/auth/mfa/enroll').set(bearer(token)), 'enroll');
  return generate({ secret });
}

const wholeBankManager = (w: Who) => w.role === 'bank_manager' && w.scope?.type === 'bank';

export const ACCESS_SPECS: Record<string, Spec> = {
  'GET /auth/mfa': { req: () => ({}) },
  'POST /auth/mfa/enroll': { req: () => ({}) },
  'POST /auth/mfa/verify': {
    req: async (c) => {
      if (!c.succeeds) return { body: { code: '123456' } };
      const t = await throwaway(c);
      return { token: t.token, body: { code: await enrolCode(c, t.token) } };
    },
  },
  'POST /auth/mfa/recovery-codes': {
    req: async (c) => (c.succeeds ? { token: (await throwaway(c, { mfa: true })).token } : {}),
  },
  'POST /auth/mfa/disable': {
    req: async (c) => {
      if (!c.succeeds) return { body: { code: '123456' } };
      const t = await throwaway(c, { mfa: true });
      return { token: t.token, body: { code: t.recoveryCodes[0] } };
    },
  },
  'DELETE /users/:userId/mfa': {
    req: async (c) => ({
      params: { userId: c.succeeds ? (await throwaway(c, { mfa: true, role: 'auditor' })).id : c.w.spare.id },
    }),
  },
  'POST /auth/password': {
    req: async (c) => ({
      ...(c.succeeds ? { token: (await throwaway(c)).token } : {}),
      body: { current: PASSWORD, password: NEW_PASSWORD },
    }),
  },
  // An address nobody has: the answer is the same, and nothing but the audit log is written.
  'POST /auth/password-reset': { req: () => ({ body: { email: 'nobody-here@throwaway.test' } }) },
  'POST /auth/password-reset/confirm': {
    req: async (c) => {
      const admin = c.w.who.admin.token;
      const email = uniqueEmail();
      const body = { email, password: PASSWORD, name: '临时用户', role: 'auditor' };
      const id = (await ok(await request(c.w.app).post('/api/v1/users').set(bearer(admin)).send(body), 'user')).id;
      const link = await resetLinkToSend((await createResetToken(id as string)).id);
      return { body: { token: link?.token, password: NEW_PASSWORD } };
    },
  },
  'GET /auth/sessions': { req: () => ({}) },
  'DELETE /auth/sessions/:sessionId': {
    req: async (c) => {
      if (!c.succeeds) return { params: { sessionId: 'token:000000000000000000000000' } };
      const t = await throwaway(c);
      const second = await tokenFor(c.w.app, t.email, PASSWORD);
      return { token: t.token, params: { sessionId: `token:${second.split('_')[1]}` } };
    },
  },
  'GET /banks/:bankId/sso': {
    targets: ['own', 'other'],
    sees: seesBank,
    req: (c) => ({ params: { bankId: c.w.bankId[c.p.bank] } }),
  },
  'PUT /banks/:bankId/sso': {
    targets: ['own', 'other'],
    req: (c) => ({
      params: { bankId: c.w.bankId[c.p.bank] },
      body: {
        issuer: 'https://login.example-bank.cn',
        clientId: 'mystery-shopper',
        clientSecret: 'not-a-real-secret',
        required: false,
      },
    }),
  },
  'DELETE /banks/:bankId/sso': {
    targets: ['own', 'other'],
    req: (c) => ({ params: { bankId: c.w.bankId[c.p.bank] } }),
  },
  'GET /audit-log': {
    forbids: (w) => w.role === 'bank_manager' && !wholeBankManager(w),
    req: () => ({ query: { limit: '50' } }),
  },
  'GET /audit-log.csv': {
    forbids: (w) => w.role === 'bank_manager' && !wholeBankManager(w),
    req: () => ({ query: { action: 'auth' } }),
  },
};
