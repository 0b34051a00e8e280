import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from '../server/platform/db/embedded';
import { appCommand, ROOT, until } from './helpers/faults';

/**
 * The app as an operator starts it (`node dist/server/main.js`, or the sources when the build is
 * stale), on the test database: what it prints when its port is taken, and what its request log
 * holds after a browser signed in.
 */
const ADMIN = { email: 'admin@process.local', password: 'Admin-process-pass-1' };

interface RunningApp {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function startApp(port: number, extraEnv: Record<string, string> = {}): RunningApp {
  const { args } = appCommand();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      MONGODB_URI: process.env.TEST_DB_URI ?? '',
      DB_NAME: `proc_${process.pid}_${port}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      SESSION_SECRET: 'process-test-session-secret-long-enough-0',
      PASSWORD_HASH_LOG_N: '12',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      MFA_REQUIRED_ROLES: 'none',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function stopApp(app: RunningApp): Promise<void> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGTERM');
  await app.exited;
}

function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nother'));
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

test('a port already in use stops the app with a clear message instead of "listening"', async () => {
  const port = await freePort();
  const other = await holdPort(port);
  const app = startApp(port);
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      app.exited,
      new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), 60_000))),
    ]);
    clearTimeout(timer);
    expect(code).toBe(4);
    expect(app.err()).toContain(`Cannot listen on 127.0.0.1:${port}: the port is already in use`);
    expect(app.err()).toMatch(/PORT=/);
    expect(app.out()).not.toMatch(/listening on/);
  } finally {
    await stopApp(app);
    other.close();
  }
}, 90_000);

test('the request log holds no session cookie, no CSRF token and no credentials', async () => {
  const port = await freePort();
  const app = startApp(port);
  const base = `http://127.0.0.1:${port}`;
  try {
    await until('the app to listen', () => /listening on/.test(app.out()), 60_000, 200);
    // A browser: the sign-in page sets a cookie (the anonymous form's CSRF cookie: no session before
    // signing in), the form carries the CSRF token.
    const page = await fetch(`${base}/login`);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    expect(cookie).toMatch(/^msa\.(sid|csrf)=.{20,}/);
    expect(csrf.length).toBeGreaterThan(20);
    const signedIn = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, ...ADMIN }).toString(),
    });
    expect(signedIn.status).toBe(303);
    const session = (signedIn.headers.get('set-cookie') ?? '').split(';')[0];
    expect(session).toMatch(/^msa\.sid=.{20,}/);
    // Multipart forms send the token in the query string; scripts send it in a header.
    await fetch(`${base}/admin/banks?_csrf=${encodeURIComponent(csrf)}&view=all`, {
      headers: { cookie: session, 'x-csrf-token': csrf },
    });
    const token = await fetch(`${base}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const bearer = ((await token.json()) as { token: string }).token;
    await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${bearer}` } });
    await until('the requests to be logged', () => app.out().includes('/api/v1/me'), 10_000, 100);

    const log = app.out();
    const secrets = {
      'first cookie': cookie.slice(cookie.indexOf('=') + 1),
      'signed-in session cookie': session.slice('msa.sid='.length),
      'csrf token': csrf,
      'csrf token (URL-encoded)': encodeURIComponent(csrf),
      'bearer token': bearer,
      password: ADMIN.password,
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect({ what, leaked: log.includes(secret) }).toEqual({ what, leaked: false });
    }
    // The log still says what happened: the URL with the secret replaced, and that a cookie was set.
    const entries = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { req?: { url?: string }; res?: { headers?: Record<string, unknown> } });
    const banks = entries.find((e) => e.req?.url?.startsWith('/admin/banks'));
    expect(banks?.req?.url).toBe('/admin/banks?_csrf=%5Bredacted%5D&view=all');
    const signIn = entries.find((e) => e.req?.url === '/login' && e.res?.headers?.['set-cookie']);
    expect(signIn?.res?.headers?.['set-cookie']).toBe('[redacted]');
  } finally {
    await stopApp(app);
  }
}, 120_000);
