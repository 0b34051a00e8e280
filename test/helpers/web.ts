import type { Express } from 'express';
import request from 'supertest';
import { bearer } from './app';

/** Helpers for driving the server-rendered pages like a browser: cookies kept, CSRF tokens read from forms. */
export type Agent = ReturnType<typeof request.agent>;

export const SESSION_COOKIE = 'msa.sid';

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html) ?? /_csrf=([A-Za-z0-9_-]+)/.exec(html);
  if (!m) throw new Error('no CSRF token in the page');
  return m[1];
}

/** Opens a page with the agent and returns the CSRF token of its forms. */
export async function csrfOf(agent: Agent, path: string): Promise<string> {
  const res = await agent.get(path);
  if (res.status !== 200) throw new Error(`GET ${path} gave ${res.status}`);
  return csrfFrom(res.text);
}

/** The session cookie (`msa.sid=...`) a response sets, if any. */
export function sessionCookieOf(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  const hit = list.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  return hit?.split(';')[0];
}

/** A new browser signed in through the sign-in form; optionally switched to English first. */
export async function signIn(app: Express, email: string, password: string, lang?: 'en' | 'zh'): Promise<Agent> {
  const agent = request.agent(app);
  if (lang) await agent.get(`/lang/${lang}`);
  const token = await csrfOf(agent, '/login');
  const res = await agent.post('/login').type('form').send({ _csrf: token, email, password });
  if (res.status !== 303) throw new Error(`web sign-in of ${email} failed: ${res.status}`);
  return agent;
}

/** Posts a urlencoded form with the CSRF token of the page it is on. */
export async function postForm(agent: Agent, pagePath: string, action: string, fields: Record<string, string>) {
  const token = await csrfOf(agent, pagePath);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: token, ...fields });
}

// ---- fixtures through the JSON API, as another system would create them ----

export async function apiPost<T = Record<string, unknown>>(
  app: Express,
  token: string,
  path: string,
  body: unknown,
): Promise<T> {
  const res = await request(app)
    .post(`/api/v1${path}`)
    .set(bearer(token))
    .send(body as object);
  if (res.status !== 201) throw new Error(`POST ${path} gave ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

export async function apiGet<T = unknown>(app: Express, token: string, path: string): Promise<T> {
  const res = await request(app).get(`/api/v1${path}`).set(bearer(token));
  if (res.status !== 200) throw new Error(`GET ${path} gave ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

export const makeBank = (app: Express, token: string, code: string, name = `${code} 银行`) =>
  apiPost<{ id: string; code: string }>(app, token, '/banks', {
    code,
    name,
    reportRecipients: [`report@${code.toLowerCase()}.example.cn`],
  });

export const makeBranch = (
  app: Express,
  token: string,
  bankId: string,
  code: string,
  region: string,
  name = `${code} 支行`,
) => apiPost<{ id: string; code: string }>(app, token, `/banks/${bankId}/branches`, { code, name, region });

export const makeUser = (app: Express, token: string, body: Record<string, unknown>) =>
  apiPost<{ id: string; email: string }>(app, token, '/users', {
    password: 'Passw0rd-long-enough',
    name: 'Test User',
    ...body,
  });

/**
 * A page's HTML without the language marks that every render adds around text in the other
 * language (server/platform/http/accessible-html.ts), for tests that match page text literally.
 */
export const unmarked = (html: string): string =>
  html
    .replace(/<span lang="(?:en|zh-CN)">([^<]*)<\/span>/g, '$1')
    .replace(/(<option\b[^>]*?) lang="(?:en|zh-CN)"/g, '$1');
