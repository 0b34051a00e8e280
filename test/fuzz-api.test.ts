import crypto from 'node:crypto';
import type { Express } from 'express';
import fc from 'fast-check';
import mongoose from 'mongoose';
import request from 'supertest';
import type { RegisteredRoute } from '../server/platform/http/api-router';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { buildWorld, type Who, type World } from './helpers/world';
import {
  fillPath,
  firstAllowed,
  placeOf,
  PREFIX,
  routeKey,
  routeTable,
  SPECS,
  type Req,
  type Target,
} from './helpers/world-routes';

/**
 * Property-based fuzzing of every JSON route, generated from the route table: bodies, query
 * strings and path parameters mutated from a valid request (wrong types, huge strings, deep
 * nesting, MongoDB operators, prototype-pollution keys, odd Unicode, nulls, arrays for objects).
 * Never a 500; every 4xx carries the error model; a rejected request stores nothing (document
 * counts of every collection unchanged); Object.prototype is never touched. At the end every
 * GET route must still read whatever odd-but-valid data the fuzzing managed to store.
 */
jest.setTimeout(900_000);

const RUNS = {
  hostileBody: 60,
  oddBody: 25,
  oddNumber: 10,
  hostileQuery: 40,
  oddQuery: 15,
  params: 25,
  idempotencyKey: 40,
};
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

const routes = routeTable();
let app: Express;
let world: World;
const tally = {
  routes: new Set<string>(),
  runs: 0,
  byKind: {} as Record<string, number>,
  byStatus: {} as Record<number, number>,
};

beforeAll(async () => {
  app = await startTestApp();
  world = await buildWorld(app, { reports: true });
}, 300_000);

afterAll(async () => {
  console.log(
    `fuzz: ${tally.runs} requests over ${tally.routes.size} routes; by kind ${JSON.stringify(tally.byKind)}; answers ${JSON.stringify(tally.byStatus)}; seed ${SEED}`,
  );
  await stopTestApp();
});

// ---- values

const OPERATORS: unknown[] = [
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(5000) || true' },
  { $regex: '.*' },
  { $in: ['WAN1', 'WBE1'] },
  { $exists: true },
  { $expr: { $eq: [1, 1] } },
  { $function: { body: 'return true', args: [], lang: 'js' } },
  { 'a.b': 1 },
  { $set: { role: 'admin' } },
];
const HOSTILE_KEYS = [
  '$where',
  '$gt',
  '$set',
  'a.b',
  '.',
  '$',
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'hasOwnProperty',
  'toString',
  'role',
  'bankId',
];
const ODD_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u202eevil.png',
  '\ud800',
  '\udfff\ud800',
  '𠜎𠜱𠝹',
  '😀👍🏽🏳️‍🌈',
  'Ω≈ç√∫',
  'İıﬃ',
  '\u200b',
  ' \t\n',
  'null',
  'undefined',
  'NaN',
  "'; DROP TABLE visits; --",
  '<script>alert(1)</script>',
  '{{constructor.constructor("return 1")()}}',
  '${7*7}',
  '%00',
  '../../etc/passwd',
  'a.b',
  '$where',
  '000000000000000000000000',
  'ffffffffffffffffffffffff',
  '2026-Q5',
  '9999-Q4',
  '0000-Q1',
  '0001-01-01T00:00:00Z',
  '275760-09-13T00:00:00Z',
  '-1',
  '1e309',
  '2026-07-01T10:00:00+99:99',
  '2026-07-01T10:00:00+24:00',
  '0999-07-01T10:00:00Z',
  '9999-12-31T23:59:59-23:59',
  '2026-02-29',
  '2027-02-29T00:00:00Z',
];

/** Own-property keys as JSON.parse makes them, so that `__proto__` really is sent as a key. */
function withKey(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

const protoPayload = fc.constantFrom<unknown>(
  withKey({}, '__proto__', { polluted: 'yes', role: 'admin' }),
  { constructor: { prototype: { polluted: 'yes' } } },
  withKey({}, '__proto__', withKey({}, '__proto__', { polluted: 'yes' })),
);
const deep = fc.integer({ min: 50, max: 3000 }).chain((depth) => fc.boolean().map((arrays) => nest(depth, arrays)));
function nest(depth: number, arrays: boolean): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}
const huge = fc
  .tuple(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom('x', '中', '😀', '$'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const anyHostile = fc.oneof(
  fc.constantFrom(...OPERATORS),
  protoPayload,
  deep,
  huge,
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
/** A value of another JSON type than `v` (or an array holding `v`), which no schema may take in its place. */
const wrongTypeFor = (v: unknown) => fc.oneof(anyHostile, fc.constant([v])).filter((x) => kind(x) !== kind(v));
const oddString = fc.oneof(
  fc.constantFrom(...ODD_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

// ---- walking and changing a JSON value

type Path = (string | number)[];
interface Node {
  path: Path;
  value: unknown;
}

function nodes(v: unknown, path: Path = []): Node[] {
  const here: Node = { path, value: v };
  if (Array.isArray(v)) return [here, ...v.flatMap((x, i) => nodes(x, [...path, i]))];
  if (v && typeof v === 'object') return [here, ...Object.entries(v).flatMap(([k, x]) => nodes(x, [...path, k]))];
  return [here];
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function setAt(base: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(base) as Record<string | number, unknown>;
  let at = copy;
  for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
  at[path[path.length - 1]] = value;
  return copy;
}

function addKeyAt(base: unknown, path: Path, key: string, value: unknown): unknown {
  const copy = clone(base) as Record<string, unknown>;
  let at = copy;
  for (const step of path) at = at[step] as Record<string, unknown>;
  withKey(at, key, value);
  return copy;
}

interface Mutation {
  what: string;
  body: unknown;
}

function hostileBodies(base: unknown): fc.Arbitrary<Mutation> {
  const all = nodes(base);
  const objects = all.filter((n) => n.value !== null && typeof n.value === 'object' && !Array.isArray(n.value));
  const replace = fc.constantFrom(...all).chain((n) =>
    wrongTypeFor(n.value).map((v) => ({
      what: `${n.path.join('.') || '(body)'} ← ${short(v)}`,
      body: setAt(base, n.path, v),
    })),
  );
  const addKey = fc
    .tuple(fc.constantFrom(...objects), fc.constantFrom(...HOSTILE_KEYS), fc.oneof(anyHostile, fc.constant('x')))
    .map(([n, k, v]) => ({ what: `${[...n.path, k].join('.')} = ${short(v)}`, body: addKeyAt(base, n.path, k, v) }));
  return objects.length ? fc.oneof(replace, addKey) : replace;
}

/** Numbers JSON can carry but JavaScript bends: overflow to ±Infinity, underflow to 0, -0, beyond 2^53. Sent as raw JSON text. */
const ODD_NUMBERS = [
  '1e400',
  '-1e400',
  '-0',
  '1e-400',
  '5e-324',
  '9007199254740993',
  '0.30000000000000004',
  '-1',
  '1e308',
  '2.5',
];
const RAW = '__raw_number__';

function oddNumberBodies(base: unknown): fc.Arbitrary<Mutation> | null {
  const numbers = nodes(base).filter((n) => typeof n.value === 'number');
  if (!numbers.length) return null;
  return fc.tuple(fc.constantFrom(...numbers), fc.constantFrom(...ODD_NUMBERS)).map(([n, raw]) => ({
    what: `${n.path.join('.')} ← ${raw}`,
    body: JSON.stringify(setAt(base, n.path, RAW)).replace(`"${RAW}"`, raw),
  }));
}

function oddBodies(base: unknown): fc.Arbitrary<Mutation> | null {
  const strings = nodes(base).filter((n) => typeof n.value === 'string');
  if (!strings.length) return null;
  return fc
    .tuple(fc.constantFrom(...strings), oddString)
    .map(([n, s]) => ({ what: `${n.path.join('.')} ← ${JSON.stringify(s)}`, body: setAt(base, n.path, s) }));
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s;
}

// ---- query strings (built by hand, so that keys such as a[$gt] and __proto__ go out exactly)

/** Lone surrogates cannot be percent-encoded; they go out as U+FFFD (the JSON bodies carry them as they are). */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const enc = (s: string) => encodeURIComponent(wellFormed(s)).replace(/%5B/g, '[').replace(/%5D/g, ']');
const queryString = (pairs: [string, string][]) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');

function hostileQueries(base: Record<string, string>): fc.Arbitrary<Mutation> {
  const pairs = Object.entries(base);
  const keys = pairs.map(([k]) => k);
  const extraKey = fc.constantFrom(
    '$where',
    '__proto__',
    '__proto__[polluted]',
    'constructor[prototype][polluted]',
    'a.b',
    '$gt',
    'zzz',
    ...keys.flatMap((k) => [`${k}[$ne]`, `${k}[$gt]`, `${k}[]`, `${k}.x`]),
  );
  const add = fc.tuple(extraKey, fc.constantFrom('', 'x', 'yes', '1')).map(([k, v]) => queryString([...pairs, [k, v]]));
  const repeat = keys.length ? fc.constantFrom(...keys).map((k) => queryString([...pairs, [k, base[k]]])) : null;
  const long = keys.length
    ? fc
        .tuple(fc.constantFrom(...keys), fc.integer({ min: 200, max: 2000 }), fc.constantFrom('x', 'é', '$'))
        .map(([k, n, c]) => queryString(pairs.map(([a, b]) => [a, a === k ? c.repeat(n) : b])))
    : null;
  const options = [add, ...(repeat ? [repeat] : []), ...(long ? [long] : [])];
  return fc.oneof(...options).map((q) => ({ what: `?${q.slice(0, 120)}`, body: q }));
}

function oddQueries(base: Record<string, string>, optionalKeys: string[]): fc.Arbitrary<Mutation> | null {
  const keys = [...new Set([...Object.keys(base), ...optionalKeys])];
  if (!keys.length) return null;
  const raw = fc.constantFrom('%FF', '%C0%AF', '%00', '%E0%A4%A', '%', '%25', '%u0041', '+', '%2B%2F');
  const value = fc.oneof(oddString.map(enc), raw);
  return fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => {
    const q = [
      ...Object.entries(base)
        .filter(([a]) => a !== k)
        .map(([a, b]) => `${enc(a)}=${enc(b)}`),
      `${enc(k)}=${v}`,
    ].join('&');
    return { what: `?${q.slice(0, 120)}`, body: q };
  });
}

const oddParams = fc.oneof(
  fc
    .constantFrom(
      '..',
      '%2e%2e%2f%2e%2e',
      '%00',
      '__proto__',
      'constructor',
      'prototype',
      '$gt',
      '{"$gt":""}',
      '%7B%22%24gt%22%3A%22%22%7D',
      ' ',
      '\u202e',
      '😀',
      '000000000000000000000000',
      'ffffffffffffffffffffffff',
      '1e309',
      '-1',
      '0',
      'NaN',
      'null',
      '[object Object]',
      'x'.repeat(3000),
      'region:',
      'branch:../x',
      'bank\u0000',
    )
    .map((s) => (/%/.test(s) ? s : encodeURIComponent(s))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(wellFormed(s))),
);

// ---- calling and checking

interface Base {
  route: RegisteredRoute;
  who: Who;
  req: Req;
  path: string;
}

const bases = new Map<string, Promise<Base | null>>();

/** One valid request per route (a fresh resource where the route uses one up), shared by every test below. */
function baseOf(route: RegisteredRoute): Promise<Base | null> {
  const key = routeKey(route);
  if (!bases.has(key)) bases.set(key, makeBase(route));
  return bases.get(key) as Promise<Base | null>;
}

async function makeBase(route: RegisteredRoute): Promise<Base | null> {
  const spec = SPECS[routeKey(route)];
  const t: Target = spec.targets ? 'own' : 'none';
  const who = firstAllowed(route, spec, world, t);
  if (!who) return null;
  const req = await spec.req({ w: world, t, p: placeOf(t), who, succeeds: true });
  return { route, who, req, path: fillPath(route, req.params) };
}

async function call(b: Base, opts: { path?: string; query?: string; json?: string }): Promise<request.Response> {
  const method = b.route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
  const q = opts.query ?? (b.req.query ? queryString(Object.entries(b.req.query)) : '');
  let r = request(app)
    [method](`${opts.path ?? b.path}${q ? `?${q}` : ''}`)
    .set(bearer(b.req.token ?? b.who.token));
  if (b.req.file) return r.attach('file', b.req.file.content, b.req.file.filename);
  r = r.buffer(true);
  const json = opts.json ?? (b.req.body === undefined ? undefined : JSON.stringify(b.req.body));
  return json === undefined ? r : r.set('Content-Type', 'application/json').send(json);
}

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join();

function checkAnswer(res: request.Response, what: string, allowed?: (s: number) => boolean): void {
  tally.runs += 1;
  tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
  const context = `${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`server error: ${context}`);
  if (allowed && !allowed(res.status)) throw new Error(`unexpected status: ${context}`);
  if (res.status >= 400) {
    const e = res.body?.error;
    if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || !Array.isArray(e.details))
      throw new Error(`no error model: ${context}`);
  }
  if (
    Object.getOwnPropertyNames(Object.prototype).sort().join() !== PROTO_NAMES ||
    ({} as Record<string, unknown>).polluted !== undefined
  ) {
    throw new Error(`Object.prototype was polluted by ${what}`);
  }
}

const rejected = (s: number) => s >= 400 && s < 500;

/** Document counts of every collection (GridFS included), to prove a rejected request wrote nothing. */
async function counts(): Promise<Record<string, number>> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  const out: Record<string, number> = {};
  // Sessions and sign-in rate counters are bookkeeping, not data a refused request may not leave; the
  // audit log records refusals (a failed sign-in, a wrong code) by design.
  const bookkeeping = new Set(['sessions', 'rate_counters', 'audit_log']);
  for (const c of await db.listCollections().toArray())
    if (!bookkeeping.has(c.name)) out[c.name] = await db.collection(c.name).countDocuments();
  return out;
}

async function property(
  label: string,
  arb: fc.Arbitrary<Mutation>,
  runs: number,
  run: (m: Mutation) => Promise<void>,
): Promise<void> {
  tally.byKind[label] = (tally.byKind[label] ?? 0) + runs;
  await fc.assert(fc.asyncProperty(arb, run), { numRuns: runs, seed: SEED, endOnFailure: true });
}

const bodyRoutes = routes.filter((r) => r.body && !r.upload);
const queryRoutes = routes.filter((r) => r.query);
const paramRoutes = routes.filter((r) => r.path.includes('/:'));

describe.each(bodyRoutes.map((r) => [routeKey(r), r] as const))('body of %s', (key, route) => {
  test('hostile bodies are refused with the error model and store nothing; odd strings never break it', async () => {
    const b = await baseOf(route);
    if (!b) throw new Error(`nobody may call ${key}`);
    tally.routes.add(key);
    const before = await counts();
    await property('hostileBody', hostileBodies(b.req.body ?? {}), RUNS.hostileBody, async (m) => {
      checkAnswer(await call(b, { json: JSON.stringify(m.body) }), `${key} ${m.what}`, (s) =>
        [400, 413, 422, 429].includes(s),
      );
    });
    expect(await counts()).toEqual(before);
    const odd = oddBodies(b.req.body ?? {});
    if (odd)
      await property('oddBody', odd, RUNS.oddBody, async (m) =>
        checkAnswer(await call(b, { json: JSON.stringify(m.body) }), `${key} ${m.what}`),
      );
    const numbers = oddNumberBodies(b.req.body ?? {});
    if (numbers)
      await property('oddNumber', numbers, RUNS.oddNumber, async (m) =>
        checkAnswer(await call(b, { json: m.body as string }), `${key} ${m.what}`),
      );
  });
});

describe.each(queryRoutes.map((r) => [routeKey(r), r] as const))('query of %s', (key, route) => {
  test('operator keys, repeated and over-long parameters are 400 and store nothing; odd values never break it', async () => {
    const b = await baseOf(route);
    if (!b) throw new Error(`nobody may call ${key}`);
    tally.routes.add(key);
    const base = b.req.query ?? {};
    const before = await counts();
    await property('hostileQuery', hostileQueries(base), RUNS.hostileQuery, async (m) => {
      checkAnswer(await call(b, { query: m.body as string }), `${key} ${m.what}`, (s) => s === 400 || s === 429);
    });
    expect(await counts()).toEqual(before);
    const shape = (route.query as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    const odd = oddQueries(base, Object.keys(shape));
    if (odd)
      await property('oddQuery', odd, RUNS.oddQuery, async (m) =>
        checkAnswer(await call(b, { query: m.body as string }), `${key} ${m.what}`),
      );
  });
});

describe.each(paramRoutes.map((r) => [routeKey(r), r] as const))('path of %s', (key, route) => {
  test('odd path parameters are never a server error; writes through them are refused and store nothing', async () => {
    const b = await baseOf(route);
    if (!b) throw new Error(`nobody may call ${key}`);
    tally.routes.add(key);
    const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
    const before = await counts();
    const write = route.method !== 'GET';
    const arb = fc.tuple(fc.constantFrom(...names), oddParams).map(([name, value]) => {
      const path =
        PREFIX +
        route.path
          .slice(PREFIX.length)
          .replace(/:(\w+)/g, (_m, n: string) => (n === name ? value : encodeURIComponent(b.req.params?.[n] ?? '')));
      return { what: `:${name} = ${value.slice(0, 60)}`, body: path };
    });
    await property('params', arb, RUNS.params, async (m) => {
      checkAnswer(await call(b, { path: m.body as string }), `${key} ${m.what}`, write ? rejected : undefined);
    });
    if (write) expect(await counts()).toEqual(before);
  });
});

describe('fixed hostile bodies on every JSON route', () => {
  const writes = routes.filter((r) => !r.upload && r.method !== 'GET');

  test('a body of 1 MB or more is 413 with the error model, before anything else', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    for (const route of writes) {
      const b = await baseOf(route);
      if (!b) continue;
      const res = await call(b, { json: big });
      checkAnswer(res, `${routeKey(route)} 1 MB`, (s) => s === 413);
      expect(res.body.error.code).toBe('payload_too_large');
    }
  });

  test('100 000 levels of nesting, a bare string, and broken JSON are 400', async () => {
    const bodies = [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '"just a string"',
      '{"a":',
      '{"a":1}}',
      "{'a':1}",
      '\u0000',
    ];
    for (const route of bodyRoutes) {
      const b = await baseOf(route);
      if (!b) continue;
      for (const json of bodies)
        checkAnswer(await call(b, { json }), `${routeKey(route)} ${json.slice(0, 20)}`, (s) => s === 400 || s === 429);
    }
  });
});

describe('Idempotency-Key', () => {
  test('any key a client may send (Latin-1, operators, dots, up to and past 200 characters): the retry replays the first answer, never a 500', async () => {
    const admin = world.who.admin;
    const latin1 = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));
    const key = fc.oneof(
      fc.constantFrom(
        '$where',
        'a.b',
        '$gt',
        '__proto__',
        'constructor',
        ' ',
        '%00',
        '{"$gt":""}',
        'x'.repeat(200),
        'x'.repeat(201),
      ),
      fc.array(latin1, { minLength: 1, maxLength: 230 }).map((a) => a.join('')),
    );
    tally.byKind.idempotencyKey = RUNS.idempotencyKey;
    await fc.assert(
      fc.asyncProperty(key, async (k) => {
        const body = {
          code: `IK${crypto.randomBytes(4).toString('hex').toUpperCase()}`,
          name: '幂等',
          reportRecipients: [],
        };
        const post = () =>
          request(app).post(`${PREFIX}/banks`).set(bearer(admin.token)).set('Idempotency-Key', k).send(body);
        const first = await post();
        // HTTP drops the spaces around a header value; a blank key is no key, and its retry creates again (409 here).
        const effective = k.replace(/^[ \t]+|[ \t]+$/g, '');
        const tooLong = effective.length > 200;
        checkAnswer(first, `key ${JSON.stringify(k).slice(0, 40)}`, (st) => (tooLong ? st === 422 : st === 201));
        const again = await post();
        checkAnswer(
          again,
          `replay of ${JSON.stringify(k).slice(0, 40)}`,
          (st) => st === (effective === '' ? 409 : first.status),
        );
        if (!tooLong && effective !== '') {
          expect(again.body).toEqual(first.body);
          expect(again.headers['idempotent-replayed']).toBe('true');
        }
      }),
      { numRuns: RUNS.idempotencyKey, seed: SEED, endOnFailure: true },
    );
  });
});

describe('times', () => {
  // Found by this file: zod's datetime passes offsets like +99:99 that no Date can hold (a 500 on
  // visits, a 404 from the import) and years such as 0999, which stored the quarter "999-Q3".
  const BAD = [
    '2026-07-01T10:00:00+99:99',
    '2026-07-01T10:00:00+24:00',
    '0999-07-01T10:00:00Z',
    '1999-12-31T23:59:59Z',
    '9999-12-31T23:59:59-23:59',
  ];

  test('that no Date can hold, or in nonsense years, are 422 on visits, assignments and the import, and store nothing', async () => {
    const auditor = world.who.auditor;
    const admin = world.who.admin;
    const assignmentId = await world.fresh.assignment('own');
    const before = await counts();
    for (const at of BAD) {
      const created = await request(app)
        .post(`${PREFIX}/visits`)
        .set(bearer(auditor.token))
        .send({ assignmentId, visitedAt: at, durationMinutes: 20 });
      checkAnswer(created, `POST /visits visitedAt ${at}`, (s) => s === 422);
      expect(created.body.error.details).toEqual([expect.objectContaining({ field: 'visitedAt' })]);
      const edited = await request(app)
        .patch(`${PREFIX}/visits/${world.draft.own.id}`)
        .set(bearer(auditor.token))
        .send({ visitedAt: at });
      checkAnswer(edited, `PATCH /visits visitedAt ${at}`, (s) => s === 422);
      const assignment = await request(app).post(`${PREFIX}/assignments`).set(bearer(admin.token)).send({
        bankId: world.bankId.A,
        branchCode: 'WAN1',
        auditorId: auditor.id,
        questionnaireId: world.questionnaireId.A,
        quarter: world.quarter,
        windowStart: at,
        windowEnd: '2099-12-31T00:00:00Z',
        scenario: '开户',
      });
      checkAnswer(assignment, `POST /assignments windowStart ${at}`, (s) => s === 422);
      expect(assignment.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'windowStart' })]),
      );
      const file = `branchCode,auditorEmail,quarter,windowStart,windowEnd,scenario\r\nWAN1,${auditor.email},${world.quarter},${at},2099-12-31T00:00:00Z,开户\r\n`;
      const imported = await request(app)
        .post(`${PREFIX}/assignments/import`)
        .query({ bankId: world.bankId.A, questionnaireId: world.questionnaireId.A })
        .set(bearer(admin.token))
        .attach('file', Buffer.from(file), 'rounds.csv');
      checkAnswer(imported, `import windowStart ${at}`, (s) => s === 200);
      expect(imported.body).toMatchObject({
        created: 0,
        rejected: true,
        errors: [{ row: 2, message: expect.stringContaining('windowStart') }],
      });
    }
    expect(await counts()).toEqual(before);
    const visit = await request(app).get(`${PREFIX}/visits/${world.draft.own.id}`).set(bearer(auditor.token));
    expect(visit.body.quarter).toMatch(/^\d{4}-Q[1-4]$/);
  });

  test('at the edges of the accepted range still work (confirmed: outside the window), never moving the quarter', async () => {
    const url = `${PREFIX}/visits/${world.draft.own.id}`;
    const { quarter } = (await request(app).get(url).set(bearer(world.who.auditor.token))).body;
    for (const at of ['2000-01-01T00:00:00Z', '2026-07-01T10:00:00+23:59', '2099-12-31T15:59:59Z']) {
      const res = await request(app)
        .patch(url)
        .set(bearer(world.who.auditor.token))
        .send({ visitedAt: at, confirmOutsideWindow: true });
      checkAnswer(res, `PATCH /visits visitedAt ${at}`, (s) => s === 200);
      expect(res.body.quarter).toBe(quarter);
    }
  });
});

describe('after the fuzzing', () => {
  test('every GET route still reads the data the fuzzing stored', async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const b = await baseOf(route);
      if (!b) continue;
      checkAnswer(await call(b, {}), `${routeKey(route)} read-back`, (s) => s >= 200 && s < 300);
    }
  });
});
