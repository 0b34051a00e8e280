import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { saveSessionBeforeRedirect } from '../server/platform/http/session-redirect';

/**
 * A redirect is sent only once the session it changed is stored (server/platform/http/session-redirect.ts).
 * Without it express-session sends a redirect's headers before its store has answered, and a browser
 * following the Location at once can open the next page without the flash ("approved; here is the
 * next visit") — a CI run of the reviewer's journey saw exactly that. The store here is express-session's
 * memory store made slow to save (the test is about the order of the response and the save, not about
 * a database), so the race is not left to chance: without the middleware the headers arrive first.
 */
const SAVE_MS = 300;

class SlowStore extends session.MemoryStore {
  saved = 0;
  override set(sid: string, sess: session.SessionData, cb?: (err?: unknown) => void): void {
    setTimeout(() => {
      super.set(sid, sess, (err?: unknown) => {
        this.saved += 1;
        cb?.(err);
      });
    }, SAVE_MS);
  }
}

function appWith(store: SlowStore, middleware: boolean): express.Express {
  const app = express();
  app.use(session({ secret: 'test', store, resave: false, saveUninitialized: false }));
  if (middleware) app.use(saveSessionBeforeRedirect);
  app.post('/approve', (req, res) => {
    req.session.flash = { type: 'ok', text: 'Approved. Here is the next visit in the queue.' };
    res.redirect(303, '/next');
  });
  app.get('/anonymous', (_req, res) => res.redirect(303, '/login'));
  return app;
}

/** Sends a request; answers its status, Location and how many saves the store had finished when the headers arrived. */
async function atHeaders(app: express.Express, method: string, path: string, store: SlowStore) {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<{ status: number; location?: string; savedAtHeaders: number }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, method }, (res) => {
        const seen = { status: res.statusCode ?? 0, location: res.headers.location, savedAtHeaders: store.saved };
        res.resume();
        res.on('end', () => resolve(seen));
      });
      req.on('error', reject);
      req.end();
    });
  } finally {
    server.close();
  }
}

describe('a redirect and the session it changed', () => {
  test('the redirect leaves only after the flash it carries is stored', async () => {
    const store = new SlowStore();
    const r = await atHeaders(appWith(store, true), 'POST', '/approve', store);
    expect(r).toEqual({ status: 303, location: '/next', savedAtHeaders: 1 });
  });

  test('without it the headers go out before the store has answered (the race the middleware closes)', async () => {
    const store = new SlowStore();
    const r = await atHeaders(appWith(store, false), 'POST', '/approve', store);
    expect(r).toEqual({ status: 303, location: '/next', savedAtHeaders: 0 });
  });

  test('an anonymous redirect with nothing to keep stores no session', async () => {
    const store = new SlowStore();
    const r = await atHeaders(appWith(store, true), 'GET', '/anonymous', store);
    expect(r).toEqual({ status: 303, location: '/login', savedAtHeaders: 0 });
    await new Promise((r2) => setTimeout(r2, SAVE_MS + 50));
    expect(store.saved).toBe(0);
  });
});
