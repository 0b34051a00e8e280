import express, { type Express } from 'express';
import request from 'supertest';
import { Bank, Branch } from '../server/banks/model';
import mongoose from 'mongoose';
import { loadConfig } from '../server/platform/config';
import { errorHandler, toAppError } from '../server/platform/http/error-handler';
import { IdempotencyRecord, idempotency } from '../server/platform/db/idempotency';
import { User } from '../server/users/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeBank, makeUser, type Fixture } from './helpers/foundation';

let app: Express;
let f: Fixture;
let bankId: string;
beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  bankId = await makeBank(f, 'GEN');
});
afterAll(stopTestApp);

/** The fixed routes of API.md. Others are added by later work; each must be in the OpenAPI document once it exists. */
const FIXED: [string, string][] = [
  ['post', '/api/v1/auth/token'],
  ['post', '/api/v1/banks'],
  ['post', '/api/v1/banks/:bankId/branches'],
  ['post', '/api/v1/banks/:bankId/branches/import'],
  ['post', '/api/v1/banks/:bankId/staff'],
  ['post', '/api/v1/banks/:bankId/staff/import'],
  ['post', '/api/v1/users'],
  ['post', '/api/v1/questionnaires'],
  ['post', '/api/v1/assignments'],
  ['get', '/api/v1/assignments'],
  ['post', '/api/v1/visits'],
  ['patch', '/api/v1/visits/:id'],
  ['post', '/api/v1/visits/:id/attachments'],
  ['get', '/api/v1/visits/:id/attachments/:attachmentId'],
  ['post', '/api/v1/visits/:id/submit'],
  ['post', '/api/v1/visits/:id/review'],
  ['get', '/api/v1/visits/:id'],
  ['get', '/api/v1/visits'],
  ['post', '/api/v1/visits/:id/disputes'],
  ['post', '/api/v1/disputes/:id/resolve'],
  ['get', '/api/v1/results'],
  ['post', '/api/v1/banks/:bankId/quarters/:quarter/close'],
  ['get', '/api/v1/reports'],
  ['get', '/api/v1/reports/:id'],
  ['get', '/api/v1/reports/:id/files/:scope'],
  ['get', '/api/v1/reports/:id/deliveries'],
  ['get', '/api/v1/staff/scorecards'],
  ['get', '/api/v1/staff/scorecards.csv'],
  ['get', '/api/v1/staff/scorecards.xlsx'],
  ['post', '/api/v1/staff/:employeeId/reviews'],
];
const SETUP_ROUTES = FIXED.slice(0, 7);
/** Parameter names are free; only the shape of a path is part of the contract. */
const shape = (p: string) => p.replace(/:\w+/g, '{}').replace(/\{\w+\}/g, '{}');
const isMissingRoute = (res: request.Response) => res.status === 404 && res.body?.error?.message === 'Route not found';

describe('GET /api/v1/openapi.json', () => {
  test('lists every fixed route that the app serves', async () => {
    const res = await request(app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const listed = new Set<string>();
    for (const [p, ops] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops)) listed.add(`${m} ${shape(p)}`);
    }
    const served: string[] = [];
    for (const [method, path] of FIXED) {
      const url = path.replace(/:\w+/g, (m) => (m === ':quarter' ? '2026-Q1' : '0123456789abcdef01234567'));
      const probe = await request(app)[method as 'get'](url);
      if (!isMissingRoute(probe)) served.push(`${method} ${shape(path)}`);
    }
    expect(served).toEqual(expect.arrayContaining(SETUP_ROUTES.map(([m, p]) => `${m} ${shape(p)}`)));
    expect(served.filter((r) => !listed.has(r))).toEqual([]);
  });

  test('documents bodies, uploads, roles and the error model', async () => {
    const doc = (await request(app).get('/api/v1/openapi.json')).body;
    const token = doc.paths['/api/v1/auth/token'].post;
    expect(token.security).toEqual([]);
    expect(token.requestBody.content['application/json'].schema.properties).toHaveProperty('email');
    const banks = doc.paths['/api/v1/banks'].post;
    expect(banks['x-roles']).toEqual(['admin']);
    expect(banks.responses['201']).toBeDefined();
    expect(banks.responses['422']).toEqual({ $ref: '#/components/responses/ValidationFailed' });
    expect(doc.components.responses.ValidationFailed.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message', 'details']);
    const imp = doc.paths['/api/v1/banks/{bankId}/branches/import'].post;
    expect(imp.requestBody.content['multipart/form-data'].schema.properties.file.format).toBe('binary');
    expect(imp.parameters.filter((p: { in: string }) => p.in !== 'header')).toEqual([
      expect.objectContaining({ name: 'bankId', in: 'path', required: true }),
    ]);
    expect(doc.paths['/api/v1/banks/{bankId}/branches'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['bankId', 'region']),
    );
  });
});

describe('unknown routes and the error model', () => {
  test.each([
    ['get', '/api/v1/nothing-here'],
    ['post', '/api/v1/banks/x/y/z'],
    ['put', '/api/v1/banks'],
    ['get', '/api/v2/banks'],
    ['get', '/api'],
    ['get', '/api/'],
    ['get', '/api?x=1'],
  ])('%s %s is a 404 in the JSON error model', async (method, path) => {
    const res = await request(app)[method as 'get'](path).set(bearer(f.adminToken));
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: [] } });
  });

  test('a web page that does not exist is still an HTML page', async () => {
    const res = await request(app).get('/no-such-page');
    expect(res.status).toBe(404);
    expect(res.type).toBe('text/html');
  });
});

describe('GET /healthz', () => {
  test('answers 200 with the database up', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', db: 'ok' });
  });
});

describe('Idempotency-Key', () => {
  const create = (key: string, body: object, token = f.adminToken) =>
    request(app).post('/api/v1/banks').set(bearer(token)).set('Idempotency-Key', key).send(body);

  test('a repeated POST by the same user returns the first result and creates nothing', async () => {
    const first = await create('key-1', { code: 'IDEM1', name: '幂等银行', reportRecipients: [] });
    expect(first.status).toBe(201);
    const count = await Bank.countDocuments();
    const again = await create('key-1', { code: 'IDEM1', name: '幂等银行', reportRecipients: [] });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // Even a different body with the same key is the same request: the first answer stands.
    const changed = await create('key-1', { code: 'IDEM1B', name: 'other', reportRecipients: [] });
    expect(changed.body).toEqual(first.body);
    expect(await Bank.countDocuments()).toBe(count);
    expect(await Bank.exists({ code: 'IDEM1B' })).toBeNull();
  });

  test('the same key by another user is independent', async () => {
    await makeUser(f, { email: 'admin2@test.local', role: 'admin' });
    const other = await tokenFor(app, 'admin2@test.local', 'Test-password-123');
    await create('shared-key', { code: 'IDEM2', name: 'a', reportRecipients: [] }).expect(201);
    const res = await create('shared-key', { code: 'IDEM3', name: 'b', reportRecipients: [] }, other);
    expect(res.status).toBe(201);
    expect(res.body.code).toBe('IDEM3');
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  test('the same key on another path is 409 and does nothing', async () => {
    await create('path-key', { code: 'IDEM4', name: 'a', reportRecipients: [] }).expect(201);
    const before = await Branch.countDocuments();
    const res = await request(app)
      .post(`/api/v1/banks/${bankId}/branches`)
      .set(bearer(f.adminToken))
      .set('Idempotency-Key', 'path-key')
      .send({ code: 'X', name: 'x', region: 'r' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('idempotency_key_reused');
    expect(await Branch.countDocuments()).toBe(before);
  });

  test('a failed attempt does not use up the key: the corrected retry goes through once', async () => {
    const bad = await create('retry-key', { code: 'bad code', name: 'a' });
    expect(bad.status).toBe(422);
    const dup = await create('retry-key', { code: 'GEN', name: 'a' });
    expect(dup.status).toBe(409);
    const ok = await create('retry-key', { code: 'IDEM5', name: 'a' });
    expect(ok.status).toBe(201);
    const replay = await create('retry-key', { code: 'IDEM5', name: 'a' });
    expect(replay.body).toEqual(ok.body);
    expect(await Bank.countDocuments({ code: 'IDEM5' })).toBe(1);
  });

  test('an over-long key is 422', async () => {
    const res = await create('k'.repeat(201), { code: 'IDEM6', name: 'a' });
    expect(res.status).toBe(422);
    expect(await Bank.exists({ code: 'IDEM6' })).toBeNull();
  });

  test('a POST answered without a JSON body releases its claim instead of blocking retries', async () => {
    let runs = 0;
    const mini = express();
    mini.locals.skipApiContract = true; // a test-made route, not the product's API (helpers/api-contract.ts)
    mini.use((req, _res, next) => {
      req.principal = { id: 'idem-mini-user', email: 'm@x.cn', name: 'm', role: 'admin' };
      next();
    });
    mini.use(idempotency);
    mini.post('/api/v1/ping', (_req, res) => {
      runs++;
      res.status(204).end();
    });
    mini.use(errorHandler);
    await request(mini).post('/api/v1/ping').set('Idempotency-Key', 'no-json').expect(204);
    await request(mini).post('/api/v1/ping').set('Idempotency-Key', 'no-json').expect(204);
    expect(runs).toBe(2);
    expect(await IdempotencyRecord.countDocuments({ userId: 'idem-mini-user', state: 'pending' })).toBe(0);
  });

  test('GET and requests without a key are not affected', async () => {
    const a = await request(app).get('/api/v1/banks').set(bearer(f.adminToken)).set('Idempotency-Key', 'get-key');
    const b = await request(app).get('/api/v1/banks').set(bearer(f.adminToken)).set('Idempotency-Key', 'get-key');
    expect(a.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await IdempotencyRecord.exists({ key: 'get-key' })).toBeNull();
  });
});

describe('hostile input is a 4xx, never a 500 or a stored record', () => {
  test('query operators in a body are 422', async () => {
    const before = await Bank.countDocuments();
    const cases: [string, string, object][] = [
      ['post', '/api/v1/banks', { code: { $gt: '' }, name: 'x' }],
      ['post', '/api/v1/banks', { code: 'OPS', name: { $ne: null } }],
      ['post', '/api/v1/banks', { code: 'OPS', name: 'x', reportRecipients: { $in: ['a@b.cn'] } }],
      ['patch', `/api/v1/banks/${bankId}`, { $set: { code: 'HACKED' } }],
      ['post', `/api/v1/banks/${bankId}/branches`, { code: 'OPS', name: 'x', region: { $exists: true } }],
      ['post', '/api/v1/users', { email: { $gt: '' }, password: 'Long-enough-pass-1', name: 'x', role: 'admin' }],
      ['post', '/api/v1/auth/token', { email: { $ne: 'x' }, password: { $ne: 'x' } }],
    ];
    for (const [method, path, body] of cases) {
      const res = await request(app)[method as 'post'](path).set(bearer(f.adminToken)).send(body);
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 422 });
    }
    expect(await Bank.countDocuments()).toBe(before);
    expect(await Bank.exists({ code: 'HACKED' })).toBeNull();
    expect(await Branch.exists({ code: 'OPS' })).toBeNull();
  });

  test('query operators in a query string are 400', async () => {
    for (const q of ['region[$ne]=x', 'region=a&region=b', 'region[]=x']) {
      const res = await request(app).get(`/api/v1/banks/${bankId}/branches?${q}`).set(bearer(f.adminToken));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_query');
    }
  });

  test('prototype-pollution keys are rejected and pollute nothing', async () => {
    const before = await User.countDocuments();
    const bodies = [
      '{"code":"PP1","name":"x","__proto__":{"polluted":true}}',
      '{"code":"PP2","name":"x","constructor":{"prototype":{"polluted":true}}}',
      '{"code":"PP3","name":"x","reportRecipients":[],"language":"zh","__proto__":{"role":"admin"}}',
    ];
    for (const body of bodies) {
      const res = await request(app)
        .post('/api/v1/banks')
        .set(bearer(f.adminToken))
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBe(422);
    }
    const user = await request(app)
      .post('/api/v1/users')
      .set(bearer(f.adminToken))
      .set('Content-Type', 'application/json')
      .send(
        '{"email":"pp@x.cn","password":"Long-enough-pass-1","name":"x","role":"auditor","__proto__":{"role":"admin","bankId":"x"}}',
      );
    expect(user.status).toBe(422);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    expect(await Bank.exists({ code: { $in: ['PP1', 'PP2', 'PP3'] } })).toBeNull();
    expect(await User.countDocuments()).toBe(before);
    // The app still answers normally afterwards.
    expect((await request(app).get('/api/v1/banks').set(bearer(f.adminToken))).status).toBe(200);
  });

  test('malformed requests of every kind are 4xx with the error model', async () => {
    const t = bearer(f.adminToken);
    const json = (r: request.Test) => r.set(t).set('Content-Type', 'application/json');
    const responses: [string, request.Response][] = [
      ['bad percent-encoding', await request(app).get('/api/v1/banks/%E0%A4%A').set(t)],
      [
        'latin1 charset',
        await json(request(app).post('/api/v1/banks'))
          .set('Content-Type', 'application/json; charset=latin1')
          .send('{"code":"X"}'),
      ],
      [
        'garbage gzip',
        await json(request(app).post('/api/v1/banks')).set('Content-Encoding', 'gzip').send('not gzip at all'),
      ],
      ['unknown encoding', await json(request(app).post('/api/v1/banks')).set('Content-Encoding', 'snappy').send('{}')],
      [
        'too large',
        await json(request(app).post('/api/v1/banks')).send(JSON.stringify({ code: 'BIG', name: 'x'.repeat(300_000) })),
      ],
      [
        'deep nesting',
        await json(request(app).post('/api/v1/banks')).send(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
      ],
      ['null fields', await json(request(app).patch(`/api/v1/banks/${bankId}`)).send('{"name":null,"timezone":null}')],
      ['unicode garbage', await json(request(app).post('/api/v1/banks')).send('{"code":"\\ud800","name":"\\u0000"}')],
      ['bad token characters', await request(app).get('/api/v1/banks').set('Authorization', 'Bearer \u00e9\u00e9')],
    ];
    for (const [label, res] of responses) {
      expect({ label, ok: res.status >= 400 && res.status < 500 }).toEqual({ label, ok: true });
      expect(res.body.error).toEqual({
        code: expect.any(String),
        message: expect.any(String),
        details: expect.any(Array),
      });
    }
  });
});

describe('error mapping and configuration', () => {
  test('client mistakes map to 4xx, unknown failures to a bare 500', () => {
    expect(
      toAppError(
        new mongoose.mongo.BSON.BSONError('input must be a 24 character hex string, 12 byte Uint8Array, or an integer'),
      ).status,
    ).toBe(404);
    expect(toAppError(new mongoose.mongo.BSON.BSONError('Document is larger than the maximum size')).status).toBe(500);
    expect(toAppError(new Error('Unexpected end of form'))).toMatchObject({ status: 400, code: 'bad_upload' });
    expect(toAppError(new Error('Multipart: Boundary not found')).status).toBe(400);
    expect(toAppError(Object.assign(new Error('E11000'), { code: 11000, keyValue: { code: 'X' } }))).toMatchObject({
      status: 409,
      details: [{ field: 'code', message: 'already exists' }],
    });
    const internal = toAppError(new Error('Unexpected end of the world: secret detail'));
    expect(internal).toMatchObject({ status: 500, code: 'internal_error', message: 'Internal error' });
    expect(toAppError(new TypeError('Unexpected end of form')).status).toBe(500);
  });

  test('every way the driver says the database is unreachable or hung is a 503 with the database code', () => {
    // The pool's errors for queued operations after a failed heartbeat (not exported by the driver).
    class MongoPoolClearedError extends mongoose.mongo.MongoNetworkError {
      override get name(): string {
        return 'MongoPoolClearedError';
      }
    }
    const down = [
      new MongoPoolClearedError('Connection pool for 127.0.0.1:27017 was cleared because another operation failed'),
      new mongoose.mongo.MongoNetworkError('connection closed'),
      Object.assign(new Error('Timed out while checking out a connection from connection pool'), {
        name: 'MongoWaitQueueTimeoutError',
      }),
      new mongoose.mongo.MongoNotConnectedError('not connected'),
    ];
    for (const e of down) expect(toAppError(e)).toMatchObject({ status: 503, code: 'database_unavailable' });
  });

  test('an empty environment variable counts as unset', () => {
    const c = loadConfig({ MONGODB_URI: '', PORT: '', ADMIN_EMAIL: '', LOG_LEVEL: '' });
    expect(c.MONGODB_URI).toBeUndefined();
    expect(c.PORT).toBe(3000);
    expect(c.LOG_LEVEL).toBe('info');
    expect(() => loadConfig({ MONGODB_URI: 'http://x' })).toThrow(/MONGODB_URI/);
  });
});
