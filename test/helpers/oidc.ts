import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { freePort } from '../../server/platform/db/embedded';

/** A real OpenID Connect provider (test/helpers/oidc-provider.mjs) in its own process, on a free loopback port. */
export interface TestIdp {
  issuer: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the provider next. */
  nextLogin(account: { sub: string; email: string; email_verified: boolean }): Promise<void>;
  /**
   * Follows the provider's redirects from an authorization URL as a browser would (its own cookies),
   * up to the redirect back to the app; returns that URL's path and query.
   */
  authorize(url: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startIdp(redirectUri: string): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'mystery-shopper-platform';
  const clientSecret = 'idp-client-secret-for-tests-0123456789';
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oidc-provider.mjs')], {
    env: {
      ...process.env,
      PORT: String(port),
      ISSUER: issuer,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      REDIRECT_URI: redirectUri,
      NODE_ENV: 'test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start: ${output}`)), 20_000);
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
      if (output.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    child.once('exit', (code) => reject(new Error(`the OIDC provider exited (${code}): ${output}`)));
  });
  return {
    issuer,
    port,
    clientId,
    clientSecret,
    async nextLogin(account) {
      await request(issuer).post('/__test/next-login').send(account).expect(204);
    },
    async authorize(url) {
      // A browser of its own each time: no provider session carries over from one test to the next.
      const browser = request.agent(issuer);
      let at = url;
      for (let i = 0; i < 10; i++) {
        const u = new URL(at, issuer);
        if (u.origin !== issuer) return `${u.pathname}${u.search}`;
        const res = await browser.get(`${u.pathname}${u.search}`).redirects(0);
        if (res.status < 300 || res.status >= 400)
          throw new Error(`the provider answered ${res.status}: ${res.text.slice(0, 300)}`);
        at = res.headers.location as string;
      }
      throw new Error('too many redirects at the provider');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
