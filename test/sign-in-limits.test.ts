import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../server/app';
import { config, ConfigError, loadConfig, setConfig, type Config } from '../server/platform/config';
import { passwordHashGate, verifyPassword, hashPassword } from '../server/users/password';
import { ADMIN, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, PASSWORD, type Fixture } from './helpers/foundation';
import { csrfOf } from './helpers/web';

/**
 * Sign-in limits that hold behind a proxy (SECURITY REVIEW defect 1): only the proxies named in
 * TRUST_PROXY may tell the client's address, so the left-most X-Forwarded-For entries a client
 * writes itself change nothing; a per-account limit ignores the address, a per-address one the
 * e-mail; and password hashing takes turns, so a flood of sign-ins cannot starve the thread pool.
 */
let app: Express;
let f: Fixture;
const saved: Config = config();

beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
});
afterAll(async () => {
  setConfig(saved);
  await stopTestApp();
});

/** An app instance built with these settings (the settings apply to what it builds). */
function appWith(settings: Partial<Config>): Express {
  setConfig({ ...saved, ...settings });
  try {
    return createApp();
  } finally {
    setConfig(saved);
  }
}

const signIn = (a: Express, body: object, forwardedFor?: string) => {
  const req = request(a).post('/api/v1/auth/token');
  if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
  return req.send(body);
};
let spoofs = 0;
/** What a client writes in X-Forwarded-For itself, different every time. */
const spoofed = () => `10.9.${Math.floor(++spoofs / 250)}.${spoofs % 250}`;

describe('TRUST_PROXY', () => {
  test('"true" is refused with a sentence that says what to give instead', () => {
    for (const value of ['true', 'yes']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: must say which proxies to trust/);
    }
  });

  test('a number of proxies, or their addresses and subnets; anything else is named in the error', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,fd00::/8, 192.168.1.7' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      'loopback',
      'fd00::/8',
      '192.168.1.7',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/8,proxy.internal' })).toThrow(/"proxy\.internal"/);
    expect(() => loadConfig({ TRUST_PROXY: '300.1.1.1' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '11' })).toThrow(/TRUST_PROXY/);
  });

  test.each([
    ['a hop count', '1'],
    ['a subnet list', '127.0.0.0/8'],
  ])('with %s, addresses a client writes into X-Forwarded-For do not get around the limit', async (_what, setting) => {
    // As the operator writes it in the environment.
    const limited = appWith({ TRUST_PROXY: loadConfig({ TRUST_PROXY: setting }).TRUST_PROXY, LOGIN_RATE_LIMIT: 3 });
    const email = `spoof${setting.length}@test.local`;
    await makeUser(f, { email, role: 'reviewer' });
    // The proxy appends the address it saw (203.0.113.7); the entries before it are the client's own.
    for (let i = 0; i < 3; i++) {
      const res = await signIn(limited, { email, password: 'wrong-password-x' }, `${spoofed()}, 203.0.113.7`);
      expect(res.status).toBe(401);
    }
    const blocked = await signIn(limited, { email, password: PASSWORD }, `${spoofed()}, 203.0.113.7`);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('rate_limited');
    // Another client behind the same proxy has its own counter.
    expect((await signIn(limited, { email, password: PASSWORD }, '198.51.100.4')).status).toBe(200);
  });

  test('without a trusted proxy the header is ignored: every attempt counts against the connection', async () => {
    const limited = appWith({ TRUST_PROXY: false, LOGIN_RATE_LIMIT: 2 });
    const email = 'noproxy@test.local';
    await makeUser(f, { email, role: 'reviewer' });
    for (let i = 0; i < 2; i++)
      expect((await signIn(limited, { email, password: 'wrong-password-x' }, spoofed())).status).toBe(401);
    expect((await signIn(limited, { email, password: PASSWORD }, spoofed())).status).toBe(429);
  });
});

describe('limits that ignore part of the key', () => {
  test('an account guessed from many addresses is held at LOGIN_ACCOUNT_RATE_LIMIT, whatever the address', async () => {
    const limited = appWith({ TRUST_PROXY: 1, LOGIN_RATE_LIMIT: 3, LOGIN_ACCOUNT_RATE_LIMIT: 5 });
    const email = 'botnet-target@test.local';
    await makeUser(f, { email, role: 'reviewer' });
    for (let i = 0; i < 5; i++) {
      const res = await signIn(limited, { email, password: `wrong-password-${i}` }, `192.0.2.${10 + i}`);
      expect(res.status).toBe(401);
    }
    // A sixth address, never seen before, with the right password: still held.
    const held = await signIn(limited, { email: ` ${email.toUpperCase()} `, password: PASSWORD }, '192.0.2.99');
    expect(held.status).toBe(429);
    // Other accounts are not.
    expect((await signIn(limited, ADMIN, '192.0.2.99')).status).toBe(200);
  });

  test('one address trying many accounts is held at LOGIN_ADDRESS_RATE_LIMIT', async () => {
    const limited = appWith({ TRUST_PROXY: 1, LOGIN_RATE_LIMIT: 3, LOGIN_ADDRESS_RATE_LIMIT: 4 });
    for (let i = 0; i < 4; i++) {
      const res = await signIn(limited, { email: `spray${i}@test.local`, password: 'Spring2026!!' }, '198.51.100.66');
      expect(res.status).toBe(401);
    }
    expect((await signIn(limited, ADMIN, '198.51.100.66')).status).toBe(429);
    expect((await signIn(limited, ADMIN, '198.51.100.67')).status).toBe(200);
  });

  test('the web sign-in form shares the per-account counter with the API', async () => {
    const limited = appWith({ TRUST_PROXY: 1, LOGIN_RATE_LIMIT: 10, LOGIN_ACCOUNT_RATE_LIMIT: 2 });
    const email = 'web-and-api@test.local';
    await makeUser(f, { email, role: 'reviewer' });
    for (let i = 0; i < 2; i++)
      expect((await signIn(limited, { email, password: 'wrong-password-x' }, `192.0.2.${40 + i}`)).status).toBe(401);
    const agent = request.agent(limited);
    const token = await csrfOf(agent, '/login');
    const page = await agent
      .post('/login')
      .set('X-Forwarded-For', '192.0.2.50')
      .type('form')
      .send({ _csrf: token, email, password: PASSWORD });
    expect(page.status).toBe(429);
    expect(page.text).toContain('登录尝试过多');
  });
});

describe('password hashing takes turns', () => {
  afterEach(() => setConfig(saved));

  test('at most PASSWORD_HASH_CONCURRENCY at once; beyond PASSWORD_HASH_QUEUE waiting a sign-in is refused at once', async () => {
    const stored = await hashPassword('the-right-password');
    setConfig({ ...saved, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 2 });
    const tries = Array.from({ length: 8 }, () =>
      verifyPassword('the-right-password', stored).then(
        (ok) => ({ ok }),
        (e: { status?: number; code?: string }) => ({ status: e.status, code: e.code }),
      ),
    );
    expect(passwordHashGate.stats()).toMatchObject({ running: 1, waiting: 2 });
    const outcomes = await Promise.all(tries);
    expect(outcomes.filter((o) => 'ok' in o && o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => 'status' in o)).toEqual(
      Array.from({ length: 5 }, () => ({ status: 503, code: 'sign_in_busy' })),
    );
    expect(passwordHashGate.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  test('hashing a new password waits for its turn instead of failing', async () => {
    setConfig({ ...saved, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 0 });
    const hashes = await Promise.all(Array.from({ length: 4 }, (_, i) => hashPassword(`new-password-${i}`)));
    expect(new Set(hashes).size).toBe(4);
    expect(await verifyPassword('new-password-2', hashes[2] as string)).toBe(true);
  });

  test('a sign-in that finds the hashing full gets 503 with Retry-After, on the API and on the form', async () => {
    setConfig({ ...saved, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 0 });
    let release = () => undefined as void;
    const holding = passwordHashGate.run(() => new Promise<void>((r) => (release = r)));
    try {
      const api = await signIn(app, ADMIN);
      expect(api.status).toBe(503);
      expect(api.body.error.code).toBe('sign_in_busy');
      expect(api.headers['retry-after']).toBeDefined();
      const agent = request.agent(app);
      const token = await csrfOf(agent, '/login');
      const page = await agent
        .post('/login')
        .type('form')
        .send({ _csrf: token, ...ADMIN });
      expect(page.status).toBe(503);
      expect(page.text).toContain('此刻登录的人太多');
    } finally {
      release();
      await holding;
    }
    expect((await signIn(app, ADMIN)).status).toBe(200);
  });

  test('a sign-in turned away because hashing was busy does not count as a failed attempt', async () => {
    const limited = appWith({ LOGIN_RATE_LIMIT: 2, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 0 });
    setConfig({ ...saved, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 0 });
    let release = () => undefined as void;
    const holding = passwordHashGate.run(() => new Promise<void>((r) => (release = r)));
    try {
      for (let i = 0; i < 4; i++) expect((await signIn(limited, ADMIN)).status).toBe(503);
    } finally {
      release();
      await holding;
    }
    expect((await signIn(limited, ADMIN)).status).toBe(200);
  });
});
