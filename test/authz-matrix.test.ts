import type { Express } from 'express';
import { startTestApp, stopTestApp } from './helpers/app';
import { buildWorld, hiddenFrom, isBankUser, PRINCIPALS, type Who, type World } from './helpers/world';
import { expectedStatus, placeOf, routeKey, routeTable, send, SPECS, type Target } from './helpers/world-routes';

/**
 * The authorization matrix, generated from the route table: every API route × every caller
 * (anonymous and ten users covering each role, scope and bank) × every place the route can point at
 * (own bank, other bank, out of scope). Each case must answer exactly what the rules say: 401
 * without a token, 403 for a role not in the route's `access`, 404 for a resource of another bank
 * or outside the caller's scope, the route's success status otherwise. A successful answer to a
 * bank user must not mention another bank or an out-of-scope branch or staff member.
 */
jest.setTimeout(600_000);

const routes = routeTable();
let app: Express;
let world: World;
let cases = 0;

beforeAll(async () => {
  app = await startTestApp();
  world = await buildWorld(app, { reports: true });
}, 300_000);

afterAll(async () => {
  console.log(
    `authorization matrix: ${routes.length} routes, ${cases} cases (${PRINCIPALS.length} users + anonymous; own/other/out-of-scope targets)`,
  );
  await stopTestApp();
});

describe('the expectations table', () => {
  test('has an entry for every route and none for a route that no longer exists', () => {
    const keys = routes.map(routeKey);
    expect(keys.filter((k) => !SPECS[k])).toEqual([]);
    expect(Object.keys(SPECS).filter((k) => !keys.includes(k))).toEqual([]);
  });

  test('the matrix contains every kind of answer', () => {
    const statuses = new Set<number>();
    for (const route of routes) {
      const spec = SPECS[routeKey(route)];
      if (!spec) continue;
      for (const t of spec.targets ?? ['none'])
        for (const k of [null, ...PRINCIPALS])
          statuses.add(expectedStatus(route, spec, k ? fakeWho(k) : null, t as Target));
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 201, 202, 204, 401, 403, 404]));
  });
});

/** Only role, bank and scope matter to the expectations; the real users come from the world. */
function fakeWho(k: (typeof PRINCIPALS)[number]): Who {
  const bank = k.endsWith('A') ? 'A' : k.endsWith('B') ? 'B' : undefined;
  const role =
    k === 'admin' || k === 'reviewer'
      ? k
      : k.startsWith('auditor')
        ? 'auditor'
        : k.startsWith('hr')
          ? 'hr'
          : 'bank_manager';
  const scope =
    k === 'regionA'
      ? { type: 'region' as const, region: 'North' }
      : k === 'branchesA'
        ? { type: 'branches' as const, branchCodes: ['WAN1'] }
        : bank
          ? { type: 'bank' as const }
          : undefined;
  return { key: k, role, id: '', email: '', token: '', bank, scope };
}

/**
 * JSON and text answers as text (PDF and XLSX files are binary and not searched). A new bearer token
 * is random text, which can spell a short code ("WB") by chance: it is left out of the search.
 */
/** Fields that hold random text made for the caller (a token, a TOTP secret and its URL, recovery codes). */
const RANDOM_SECRETS = new Set(['token', 'secret', 'otpauthUrl', 'recoveryCodes']);

function answerText(res: { body: unknown; headers: Record<string, string> }): string | undefined {
  const randomSecret = (key: string, value: unknown) =>
    RANDOM_SECRETS.has(key) && value !== null && value !== undefined ? `<${key}>` : value;
  if (!Buffer.isBuffer(res.body)) return res.body === undefined ? undefined : JSON.stringify(res.body, randomSecret);
  return /^text\//.test(res.headers['content-type'] ?? '') ? res.body.toString('utf8') : undefined;
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

describe.each(routes.map((r) => [routeKey(r), r] as const))('%s', (key, route) => {
  test('answers every caller and target as the rules say', async () => {
    const spec = SPECS[key];
    if (!spec) throw new Error(`no expectations for ${key}`);
    const combos: [Who | null, Target][] = [];
    for (const t of spec.targets ?? ['none'])
      for (const k of [null, ...PRINCIPALS]) combos.push([k ? world.who[k] : null, t as Target]);
    const wrong: string[] = [];
    // Writes one after another: concurrent changes of one record are refused by design (409), not a rule under test.
    await pool(combos, route.method === 'GET' ? 3 : 1, async ([who, t]) => {
      const expected = expectedStatus(route, spec, who, t);
      const req = await spec.req({ w: world, t, p: placeOf(t), who, succeeds: expected >= 200 && expected < 300 });
      const res = await send(app, route, req, who);
      cases += 1;
      const label = `${who?.key ?? 'anonymous'} → ${t}`;
      if (res.status !== expected) {
        wrong.push(
          `${label}: expected ${expected}, got ${res.status} ${res.status >= 400 ? JSON.stringify(res.body?.error ?? res.body).slice(0, 200) : ''}`,
        );
        return;
      }
      if (res.status >= 400) {
        const e = res.body?.error;
        if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !Array.isArray(e.details))
          wrong.push(`${label}: ${res.status} without the error model`);
        return;
      }
      const text = answerText(res);
      if (who && isBankUser(who) && text !== undefined) {
        const leaked = hiddenFrom(who, world).filter((s) => text.includes(s));
        if (leaked.length) wrong.push(`${label}: the answer mentions ${leaked.join(', ')}`);
      }
    });
    expect(wrong).toEqual([]);
  });
});
