import type { Express } from 'express';
import request from 'supertest';
import { User } from '../server/users/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeBank, makeBranch, makeUser, PASSWORD, type Fixture } from './helpers/foundation';

let app: Express;
let f: Fixture;
let bankA: string;
let bankB: string;
const MISSING = '0123456789abcdef01234567';

const fieldsOf = (res: request.Response): string[] =>
  [...new Set<string>((res.body.error?.details ?? []).map((d: { field: string }) => d.field))].sort();
const createUser = (body: Record<string, unknown>, token = f.adminToken) =>
  request(app)
    .post('/api/v1/users')
    .set(bearer(token))
    .send({ name: '测试用户', password: PASSWORD, ...body });

beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  bankA = await makeBank(f, 'UA');
  bankB = await makeBank(f, 'UB');
  await makeBranch(f, bankA, 'A1', '华北');
  await makeBranch(f, bankA, 'A2', '华南');
  await makeBranch(f, bankB, 'B1', '西部');
});
afterAll(stopTestApp);

describe('creating users', () => {
  test.each([
    ['admin', {}],
    ['auditor', {}],
    ['reviewer', {}],
  ])('a firm role (%s) has no bank and no scope', async (role, extra) => {
    const res = await createUser({ email: `${role}-new@firm.cn`, role, ...extra });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^[a-f0-9]{24}$/),
      email: `${role}-new@firm.cn`,
      role,
      bankId: null,
      scope: null,
      active: true,
    });
    expect(
      (
        await request(app)
          .post('/api/v1/auth/token')
          .send({ email: `${role}-new@firm.cn`, password: PASSWORD })
      ).status,
    ).toBe(200);
  });

  test('bank_manager with each kind of scope', async () => {
    const scopes = [
      { type: 'bank' },
      { type: 'region', region: '华北' },
      { type: 'branches', branchCodes: ['A1', 'A2'] },
    ];
    for (const [i, scope] of scopes.entries()) {
      const res = await createUser({ email: `bm${i}@a.cn`, role: 'bank_manager', bankId: bankA, scope });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ email: `bm${i}@a.cn`, role: 'bank_manager', bankId: bankA, scope });
    }
  });

  test('hr needs a bank; its scope defaults to the whole bank', async () => {
    const res = await createUser({ email: 'hr@a.cn', role: 'hr', bankId: bankA });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ role: 'hr', bankId: bankA, scope: { type: 'bank' } });
  });

  test('e-mail is normalised and unique regardless of case: 409', async () => {
    expect((await createUser({ email: '  Mixed.Case@Firm.CN ', role: 'reviewer' })).body.email).toBe(
      'mixed.case@firm.cn',
    );
    const before = await User.countDocuments();
    const dup = await createUser({ email: 'MIXED.case@firm.cn', role: 'auditor' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toEqual([{ field: 'email', message: expect.any(String) }]);
    expect(await User.countDocuments()).toBe(before);
  });

  test('auditors get a unique pseudonymous auditorCode; other roles none', async () => {
    const a = await createUser({ email: 'shopper1@firm.cn', role: 'auditor', name: '张三' });
    const b = await createUser({ email: 'shopper2@firm.cn', role: 'auditor', name: '李四' });
    expect(a.body.auditorCode).toMatch(/^A-[0-9A-F]{6}$/);
    expect(b.body.auditorCode).toMatch(/^A-[0-9A-F]{6}$/);
    expect(a.body.auditorCode).not.toBe(b.body.auditorCode);
    expect(a.body.auditorCode).not.toContain('张');
    expect((await User.findById(a.body.id).lean())?.auditorCode).toBe(a.body.auditorCode);
    const r = await createUser({ email: 'rev-nocode@firm.cn', role: 'reviewer' });
    expect(r.body.auditorCode).toBeUndefined();
  });
});

describe('role rules are 422 with the field named', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['bank_manager without bankId and scope', { role: 'bank_manager' }, ['bankId', 'scope']],
    ['bank_manager without scope', { role: 'bank_manager', bankId: 'BANK_A' }, ['scope']],
    ['hr without bankId', { role: 'hr' }, ['bankId']],
    ['auditor with bankId', { role: 'auditor', bankId: 'BANK_A' }, ['bankId']],
    ['reviewer with scope', { role: 'reviewer', scope: { type: 'bank' } }, ['scope']],
    ['admin with bankId and scope', { role: 'admin', bankId: 'BANK_A', scope: { type: 'bank' } }, ['bankId', 'scope']],
    ['an unknown bank', { role: 'hr', bankId: MISSING }, ['bankId']],
    ['a malformed bankId', { role: 'hr', bankId: 'bank-a' }, ['bankId']],
    [
      'a region not in the bank',
      { role: 'bank_manager', bankId: 'BANK_A', scope: { type: 'region', region: '西部' } },
      ['scope.region'],
    ],
    [
      'branch codes not in the bank',
      { role: 'bank_manager', bankId: 'BANK_A', scope: { type: 'branches', branchCodes: ['A1', 'B1'] } },
      ['scope.branchCodes'],
    ],
    [
      'an empty branch list',
      { role: 'bank_manager', bankId: 'BANK_A', scope: { type: 'branches', branchCodes: [] } },
      ['scope.branchCodes'],
    ],
    [
      'an unknown scope type',
      { role: 'bank_manager', bankId: 'BANK_A', scope: { type: 'city', city: 'x' } },
      ['scope.type'],
    ],
    [
      'a region scope with branch codes',
      { role: 'bank_manager', bankId: 'BANK_A', scope: { type: 'region', region: '华北', branchCodes: ['A1'] } },
      ['scope'],
    ],
    ['an unknown role', { role: 'superuser' }, ['role']],
    [
      'a short password and a bad e-mail',
      { role: 'reviewer', password: 'short', email: 'not-an-email' },
      ['email', 'password'],
    ],
    ['a bad e-mail together with a role rule', { role: 'bank_manager', email: 'nope' }, ['bankId', 'email', 'scope']],
    ['an unknown field', { role: 'reviewer', isAdmin: true }, ['(root)']],
  ];

  test.each(cases)('%s', async (_label, body, fields) => {
    const before = await User.countDocuments();
    const withBank = JSON.parse(JSON.stringify(body).replace(/BANK_A/g, bankA)) as Record<string, unknown>;
    const res = await createUser({ email: `rule-${Math.random().toString(36).slice(2)}@x.cn`, ...withBank });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(fieldsOf(res)).toEqual(fields);
    expect(await User.countDocuments()).toBe(before);
  });

  test('a body that is not a JSON object is 400', async () => {
    const res = await request(app)
      .post('/api/v1/users')
      .set(bearer(f.adminToken))
      .set('Content-Type', 'application/json')
      .send('[]');
    expect(res.status).toBe(400);
  });
});

describe('reading and changing users', () => {
  test('no response ever carries a password or its hash', async () => {
    const created = await createUser({ email: 'nohash@firm.cn', role: 'auditor' });
    const token = await tokenFor(app, 'nohash@firm.cn', PASSWORD);
    const responses = [
      created,
      await request(app).get('/api/v1/users').set(bearer(f.adminToken)),
      await request(app).get(`/api/v1/users/${created.body.id}`).set(bearer(f.adminToken)),
      await request(app).get('/api/v1/me').set(bearer(token)),
      await request(app)
        .patch(`/api/v1/users/${created.body.id}`)
        .set(bearer(f.adminToken))
        .send({ name: '新名字', password: 'Changed-pass-123' }),
      await request(app).post('/api/v1/auth/token').send({ email: 'nohash@firm.cn', password: 'Changed-pass-123' }),
    ];
    for (const r of responses) {
      expect(r.status).toBeLessThan(300);
      expect(JSON.stringify(r.body)).not.toMatch(/password|scrypt|Changed-pass|Test-password/i);
    }
  });

  test('GET /users filters by role and bank', async () => {
    const auditors = await request(app).get('/api/v1/users?role=auditor').set(bearer(f.adminToken));
    expect(auditors.status).toBe(200);
    expect(auditors.body.length).toBeGreaterThan(0);
    expect(auditors.body.every((u: { role: string }) => u.role === 'auditor')).toBe(true);
    const ofA = await request(app).get(`/api/v1/users?bankId=${bankA}`).set(bearer(f.adminToken));
    expect(ofA.body.length).toBeGreaterThan(0);
    expect(ofA.body.every((u: { bankId: string }) => u.bankId === bankA)).toBe(true);
    expect((await request(app).get('/api/v1/users?role=king').set(bearer(f.adminToken))).status).toBe(400);
    expect((await request(app).get('/api/v1/users?bankId=xyz').set(bearer(f.adminToken))).status).toBe(400);
  });

  test('an unknown or malformed user id is 404', async () => {
    for (const id of [MISSING, 'nope', '1']) {
      expect((await request(app).get(`/api/v1/users/${id}`).set(bearer(f.adminToken))).status).toBe(404);
      expect(
        (await request(app).patch(`/api/v1/users/${id}`).set(bearer(f.adminToken)).send({ name: 'x' })).status,
      ).toBe(404);
    }
  });

  test('changing a scope is checked against the bank and takes effect at once', async () => {
    const u = await makeUser(f, {
      email: 'mover@a.cn',
      role: 'bank_manager',
      bankId: bankA,
      scope: { type: 'region', region: '华北' },
    });
    const list = () => request(app).get(`/api/v1/banks/${bankA}/branches`).set(bearer(u.token));
    expect((await list()).body.map((b: { code: string }) => b.code)).toEqual(['A1']);
    const bad = await request(app)
      .patch(`/api/v1/users/${u.id}`)
      .set(bearer(f.adminToken))
      .send({ scope: { type: 'branches', branchCodes: ['B1'] } });
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad)).toEqual(['scope.branchCodes']);
    const ok = await request(app)
      .patch(`/api/v1/users/${u.id}`)
      .set(bearer(f.adminToken))
      .send({ scope: { type: 'branches', branchCodes: ['A2'] } });
    expect(ok.status).toBe(200);
    expect(ok.body.scope).toEqual({ type: 'branches', branchCodes: ['A2'] });
    expect((await list()).body.map((b: { code: string }) => b.code)).toEqual(['A2']);
  });

  test('a firm user cannot be given a scope or moved to a bank', async () => {
    const r = await createUser({ email: 'firm-scope@firm.cn', role: 'reviewer' });
    const scope = await request(app)
      .patch(`/api/v1/users/${r.body.id}`)
      .set(bearer(f.adminToken))
      .send({ scope: { type: 'bank' } });
    expect(scope.status).toBe(422);
    expect(fieldsOf(scope)).toEqual(['scope']);
    const bank = await request(app)
      .patch(`/api/v1/users/${r.body.id}`)
      .set(bearer(f.adminToken))
      .send({ bankId: bankA, role: 'admin' });
    expect(bank.status).toBe(422);
    expect((await User.findById(r.body.id).lean())?.role).toBe('reviewer');
  });

  test('only admins manage users: 403 for every other role, 401 without a token', async () => {
    const tokens = [
      (await makeUser(f, { email: 'x-aud@firm.cn', role: 'auditor' })).token,
      (await makeUser(f, { email: 'x-rev@firm.cn', role: 'reviewer' })).token,
      (await makeUser(f, { email: 'x-bm@a.cn', role: 'bank_manager', bankId: bankA, scope: { type: 'bank' } })).token,
      (await makeUser(f, { email: 'x-hr@a.cn', role: 'hr', bankId: bankA })).token,
    ];
    const me = await request(app).get('/api/v1/me').set(bearer(tokens[0]));
    const before = await User.countDocuments();
    for (const t of tokens) {
      expect((await request(app).get('/api/v1/users').set(bearer(t))).status).toBe(403);
      expect((await request(app).get(`/api/v1/users/${me.body.id}`).set(bearer(t))).status).toBe(403);
      expect((await createUser({ email: 'sneaky@x.cn', role: 'admin' }, t)).status).toBe(403);
      expect(
        (await request(app).patch(`/api/v1/users/${me.body.id}`).set(bearer(t)).send({ active: false })).status,
      ).toBe(403);
    }
    expect((await request(app).get('/api/v1/users')).status).toBe(401);
    expect((await request(app).post('/api/v1/users').send({})).status).toBe(401);
    expect(await User.countDocuments()).toBe(before);
    expect((await request(app).get('/api/v1/me').set(bearer(tokens[0]))).status).toBe(200);
  });

  test('every signed-in role can read itself at /me', async () => {
    const hr = await makeUser(f, { email: 'me-hr@a.cn', role: 'hr', bankId: bankB });
    const res = await request(app).get('/api/v1/me').set(bearer(hr.token));
    expect(res.body).toMatchObject({
      id: hr.id,
      email: 'me-hr@a.cn',
      role: 'hr',
      bankId: bankB,
      scope: { type: 'bank' },
    });
  });
});
