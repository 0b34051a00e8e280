import type { Express } from 'express';
import request from 'supertest';
import { Bank, Branch, Staff } from '../server/banks/model';
import { getBranch } from '../server/banks/service';
import { canSeeBranch, scopeFilter, type Principal, type Scope } from '../server/platform/access';
import { NotFoundError } from '../server/platform/errors';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeBank, makeBranch, makeStaff, makeUser, type Fixture } from './helpers/foundation';

let app: Express;
let f: Fixture;
let bankA: string;
let bankB: string;
const tokens: Record<string, string> = {};
const MISSING = '0123456789abcdef01234567';

const fieldsOf = (res: request.Response): string[] =>
  [...new Set<string>((res.body.error?.details ?? []).map((d: { field: string }) => d.field))].sort();
const codesOf = (res: request.Response): string[] =>
  (res.body as { code?: string; employeeId?: string }[]).map((r) => r.code ?? r.employeeId ?? '').sort();

beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  tokens.admin = f.adminToken;
  bankA = await makeBank(f, 'BANKA');
  bankB = await makeBank(f, 'BANKB');
  await makeBranch(f, bankA, 'A1', '华北');
  await makeBranch(f, bankA, 'A2', '华北');
  await makeBranch(f, bankA, 'A3', '华南');
  await makeBranch(f, bankB, 'B1', '华东');
  await makeStaff(f, bankA, 'E1', 'A1');
  await makeStaff(f, bankA, 'E2', 'A2');
  await makeStaff(f, bankA, 'E3', 'A3');
  await makeStaff(f, bankB, 'F1', 'B1');
  tokens.auditor = (await makeUser(f, { email: 'aud@firm.cn', role: 'auditor' })).token;
  tokens.reviewer = (await makeUser(f, { email: 'rev@firm.cn', role: 'reviewer' })).token;
  tokens.bank_manager = (
    await makeUser(f, { email: 'bm@a.cn', role: 'bank_manager', bankId: bankA, scope: { type: 'bank' } })
  ).token;
  tokens.hr = (await makeUser(f, { email: 'hr@a.cn', role: 'hr', bankId: bankA })).token;
  tokens.north = (
    await makeUser(f, {
      email: 'north@a.cn',
      role: 'bank_manager',
      bankId: bankA,
      scope: { type: 'region', region: '华北' },
    })
  ).token;
  tokens.a3 = (
    await makeUser(f, {
      email: 'a3@a.cn',
      role: 'bank_manager',
      bankId: bankA,
      scope: { type: 'branches', branchCodes: ['A3'] },
    })
  ).token;
});
afterAll(stopTestApp);

const get = (path: string, who: string) => request(app).get(path).set(bearer(tokens[who]));
const post = (path: string, who: string, body: unknown) =>
  request(app)
    .post(path)
    .set(bearer(tokens[who]))
    .send(body as object);
const patch = (path: string, who: string, body: unknown) =>
  request(app)
    .patch(path)
    .set(bearer(tokens[who]))
    .send(body as object);

describe('banks', () => {
  test('POST /banks creates a bank with the contract fields and defaults', async () => {
    const res = await post('/api/v1/banks', 'admin', {
      code: 'NEW1',
      name: '新银行',
      reportRecipients: ['Boss@Bank.cn'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^[a-f0-9]{24}$/),
      code: 'NEW1',
      name: '新银行',
      timezone: 'Asia/Shanghai',
      reportRecipients: ['boss@bank.cn'],
    });
    const tz = await post('/api/v1/banks', 'admin', {
      code: 'NEW2',
      name: 'HK',
      timezone: 'Asia/Hong_Kong',
      reportRecipients: [],
    });
    expect(tz.body.timezone).toBe('Asia/Hong_Kong');
  });

  test('a repeated bank code is 409 and nothing new is stored', async () => {
    const before = await Bank.countDocuments();
    const res = await post('/api/v1/banks', 'admin', { code: 'BANKA', name: 'again', reportRecipients: [] });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'duplicate',
      details: [{ field: 'code', message: expect.any(String) }],
    });
    expect(await Bank.countDocuments()).toBe(before);
  });

  test('a bad body is 400 when malformed, 422 per field when it breaks a rule', async () => {
    const malformed = await request(app)
      .post('/api/v1/banks')
      .set(bearer(tokens.admin))
      .set('Content-Type', 'application/json')
      .send('{"code": "X",');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const notObject = await request(app)
      .post('/api/v1/banks')
      .set(bearer(tokens.admin))
      .set('Content-Type', 'application/json')
      .send('["code"]');
    expect(notObject.status).toBe(400);

    const res = await post('/api/v1/banks', 'admin', {
      code: 'has space',
      name: '',
      timezone: 'Mars/Base',
      language: 'fr',
      reportRecipients: ['not-an-email'],
      color: 'red',
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(fieldsOf(res)).toEqual(['(root)', 'code', 'language', 'name', 'reportRecipients.0', 'timezone']);
    expect(
      res.body.error.details.every((d: { message: string }) => typeof d.message === 'string' && d.message.length > 0),
    ).toBe(true);
    const missing = await post('/api/v1/banks', 'admin', {});
    expect(fieldsOf(missing)).toEqual(['code', 'name']);
    expect(await Bank.exists({ code: 'has space' })).toBeNull();
  });

  test('GET /banks lists what the caller may see; bank users only their own bank', async () => {
    expect(codesOf(await get('/api/v1/banks', 'admin'))).toEqual(expect.arrayContaining(['BANKA', 'BANKB']));
    expect(codesOf(await get('/api/v1/banks', 'reviewer'))).toEqual(expect.arrayContaining(['BANKA', 'BANKB']));
    expect(codesOf(await get('/api/v1/banks', 'bank_manager'))).toEqual(['BANKA']);
    expect(codesOf(await get('/api/v1/banks', 'hr'))).toEqual(['BANKA']);
    expect((await get('/api/v1/banks', 'auditor')).status).toBe(403);
    expect((await request(app).get('/api/v1/banks')).status).toBe(401);
  });

  test('GET /banks/:id; another bank, a missing bank and a malformed id are all the same 404', async () => {
    const own = await get(`/api/v1/banks/${bankA}`, 'bank_manager');
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: bankA, code: 'BANKA' });
    const other = await get(`/api/v1/banks/${bankB}`, 'bank_manager');
    const missing = await get(`/api/v1/banks/${MISSING}`, 'bank_manager');
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body).toEqual(missing.body);
    for (const bad of ['not-an-id', '123', 'zzzzzzzzzzzzzzzzzzzzzzzz', 'aaaaaaaaaaaa', '%7B%22%24gt%22%3A%22%22%7D']) {
      const res = await get(`/api/v1/banks/${bad}`, 'admin');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await get(`/api/v1/banks/${bankB}`, 'hr')).status).toBe(404);
    expect((await get(`/api/v1/banks/${bankA}`, 'auditor')).status).toBe(403);
  });

  test('PATCH /banks/:id changes only the given fields; code cannot change', async () => {
    const res = await patch(`/api/v1/banks/${bankB}`, 'admin', { name: '乙银行' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 'BANKB', name: '乙银行', timezone: 'Asia/Shanghai' });
    const rec = await patch(`/api/v1/banks/${bankB}`, 'admin', { reportRecipients: ['r@b.cn'] });
    expect(rec.body).toMatchObject({ name: '乙银行', reportRecipients: ['r@b.cn'] });
    const again = await patch(`/api/v1/banks/${bankB}`, 'admin', { name: '乙银行二' });
    expect(again.body.reportRecipients).toEqual(['r@b.cn']);
    expect((await patch(`/api/v1/banks/${bankB}`, 'admin', {})).status).toBe(200);
    const code = await patch(`/api/v1/banks/${bankB}`, 'admin', { code: 'X' });
    expect(code.status).toBe(422);
    const tz = await patch(`/api/v1/banks/${bankB}`, 'admin', { timezone: 'Nowhere/City' });
    expect(fieldsOf(tz)).toEqual(['timezone']);
    expect((await patch(`/api/v1/banks/${MISSING}`, 'admin', { name: 'x' })).status).toBe(404);
    expect((await patch('/api/v1/banks/nope', 'admin', { name: 'x' })).status).toBe(404);
    expect((await Bank.findById(bankB).lean())?.code).toBe('BANKB');
  });
});

describe('branches', () => {
  test('POST creates a branch with the contract fields', async () => {
    const res = await post(`/api/v1/banks/${bankB}/branches`, 'admin', {
      code: 'B2',
      name: '东城支行',
      region: '华东',
      city: '上海',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      code: 'B2',
      name: '东城支行',
      region: '华东',
      city: '上海',
      bankId: bankB,
    });
  });

  test('a repeated code in the same bank is 409; the same code in another bank is fine', async () => {
    const before = await Branch.countDocuments({ bankId: bankA });
    const dup = await post(`/api/v1/banks/${bankA}/branches`, 'admin', { code: 'A1', name: 'again', region: '华北' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toEqual([{ field: 'code', message: expect.any(String) }]);
    expect(await Branch.countDocuments({ bankId: bankA })).toBe(before);
    expect(
      (await post(`/api/v1/banks/${bankB}/branches`, 'admin', { code: 'A1', name: 'other bank', region: '华东' }))
        .status,
    ).toBe(201);
  });

  test('bad bodies: 400 when malformed, 422 per field', async () => {
    const p = `/api/v1/banks/${bankA}/branches`;
    expect(
      (await request(app).post(p).set(bearer(tokens.admin)).set('Content-Type', 'application/json').send('"A9"'))
        .status,
    ).toBe(400);
    expect(
      (await request(app).post(p).set(bearer(tokens.admin)).set('Content-Type', 'application/json').send('{bad json}'))
        .status,
    ).toBe(400);
    const res = await post(p, 'admin', { code: '-bad', name: ' ', region: '', city: 5 });
    expect(res.status).toBe(422);
    expect(fieldsOf(res)).toEqual(['city', 'code', 'name', 'region']);
    expect(fieldsOf(await post(p, 'admin', { code: 'A9', name: 'x', region: 'r', bankId: bankB }))).toEqual(['(root)']);
  });

  test('bank users list only the branches of their scope', async () => {
    const p = `/api/v1/banks/${bankA}/branches`;
    expect(codesOf(await get(p, 'admin'))).toEqual(['A1', 'A2', 'A3']);
    expect(codesOf(await get(p, 'reviewer'))).toEqual(['A1', 'A2', 'A3']);
    expect(codesOf(await get(p, 'bank_manager'))).toEqual(['A1', 'A2', 'A3']);
    expect(codesOf(await get(p, 'hr'))).toEqual(['A1', 'A2', 'A3']);
    expect(codesOf(await get(p, 'north'))).toEqual(['A1', 'A2']);
    expect(codesOf(await get(p, 'a3'))).toEqual(['A3']);
    expect(codesOf(await get(`${p}?region=${encodeURIComponent('华南')}`, 'admin'))).toEqual(['A3']);
    // A filter narrows the scope; it never widens it.
    expect(codesOf(await get(`${p}?region=${encodeURIComponent('华南')}`, 'north'))).toEqual([]);
    expect(codesOf(await get(`${p}?region=${encodeURIComponent('华北')}`, 'a3'))).toEqual([]);
    expect((await get(p, 'auditor')).status).toBe(403);
    expect((await request(app).get(p)).status).toBe(401);
    expect((await get(`${p}?region=a&region=b`, 'admin')).status).toBe(400);
    expect((await get(`${p}?sort=code`, 'admin')).status).toBe(400);
  });

  test("another bank's branches are 404 for bank users", async () => {
    for (const who of ['bank_manager', 'hr', 'north', 'a3']) {
      const res = await get(`/api/v1/banks/${bankB}/branches`, who);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await get(`/api/v1/banks/${MISSING}/branches`, 'admin')).status).toBe(404);
    expect((await get('/api/v1/banks/xyz/branches', 'admin')).status).toBe(404);
    expect((await post('/api/v1/banks/xyz/branches', 'admin', { code: 'Q1', name: 'q', region: 'r' })).status).toBe(
      404,
    );
    expect(
      (await post(`/api/v1/banks/${MISSING}/branches`, 'admin', { code: 'Q1', name: 'q', region: 'r' })).status,
    ).toBe(404);
  });
});

describe('staff', () => {
  test('POST creates a staff member, taking the region from the branch', async () => {
    const res = await post(`/api/v1/banks/${bankA}/staff`, 'admin', {
      employeeId: 'E9',
      name: '王小明',
      branchCode: 'A3',
      position: '柜员',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      employeeId: 'E9',
      name: '王小明',
      branchCode: 'A3',
      region: '华南',
      position: '柜员',
      bankId: bankA,
    });
  });

  test('a repeated employeeId is 409; an unknown branchCode is 422; nothing is stored', async () => {
    const before = await Staff.countDocuments();
    const dup = await post(`/api/v1/banks/${bankA}/staff`, 'admin', {
      employeeId: 'E1',
      name: 'again',
      branchCode: 'A2',
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toEqual([{ field: 'employeeId', message: expect.any(String) }]);
    const unknown = await post(`/api/v1/banks/${bankA}/staff`, 'admin', {
      employeeId: 'E10',
      name: 'x',
      branchCode: 'B1',
    });
    expect(unknown.status).toBe(422);
    expect(fieldsOf(unknown)).toEqual(['branchCode']);
    expect(await Staff.countDocuments()).toBe(before);
    // The same employeeId in another bank is another person.
    expect(
      (await post(`/api/v1/banks/${bankB}/staff`, 'admin', { employeeId: 'E1', name: 'x', branchCode: 'B1' })).status,
    ).toBe(201);
  });

  test('bad bodies: 400 when malformed, 422 per field', async () => {
    const p = `/api/v1/banks/${bankA}/staff`;
    expect(
      (await request(app).post(p).set(bearer(tokens.admin)).set('Content-Type', 'application/json').send('null'))
        .status,
    ).toBe(400);
    const res = await post(p, 'admin', { employeeId: '', name: 3, branchCode: 'a b', position: 'x'.repeat(101) });
    expect(res.status).toBe(422);
    expect(fieldsOf(res)).toEqual(['branchCode', 'employeeId', 'name', 'position']);
  });

  test('bank users list only the staff of their scope', async () => {
    const p = `/api/v1/banks/${bankA}/staff`;
    expect(codesOf(await get(p, 'admin'))).toEqual(['E1', 'E2', 'E3', 'E9']);
    expect(codesOf(await get(p, 'hr'))).toEqual(['E1', 'E2', 'E3', 'E9']);
    expect(codesOf(await get(p, 'north'))).toEqual(['E1', 'E2']);
    expect(codesOf(await get(p, 'a3'))).toEqual(['E3', 'E9']);
    expect(codesOf(await get(`${p}?branchCode=A2`, 'admin'))).toEqual(['E2']);
    expect(codesOf(await get(`${p}?branchCode=A3`, 'north'))).toEqual([]);
    expect(codesOf(await get(`${p}?region=${encodeURIComponent('华北')}`, 'admin'))).toEqual(['E1', 'E2']);
    expect(codesOf(await get(`${p}?region=${encodeURIComponent('华北')}`, 'a3'))).toEqual([]);
    expect((await get(p, 'auditor')).status).toBe(403);
    expect((await request(app).get(p)).status).toBe(401);
  });

  test("another bank's staff are 404 for bank users", async () => {
    for (const who of ['bank_manager', 'hr', 'north', 'a3'])
      expect((await get(`/api/v1/banks/${bankB}/staff`, who)).status).toBe(404);
    expect((await get('/api/v1/banks/1/staff', 'admin')).status).toBe(404);
    expect(
      (await post(`/api/v1/banks/${MISSING}/staff`, 'admin', { employeeId: 'Z', name: 'z', branchCode: 'A1' })).status,
    ).toBe(404);
  });
});

describe('authorization matrix of the admin routes', () => {
  const adminRoutes = (): [string, string, unknown][] => [
    ['post', '/api/v1/banks', { code: 'NOPE', name: 'n', reportRecipients: [] }],
    ['patch', `/api/v1/banks/${bankA}`, { name: 'hijacked' }],
    ['post', `/api/v1/banks/${bankA}/branches`, { code: 'NOPE', name: 'n', region: 'r' }],
    ['post', `/api/v1/banks/${bankA}/staff`, { employeeId: 'NOPE', name: 'n', branchCode: 'A1' }],
  ];

  test('every non-admin role gets 403 and nothing changes; no token gets 401', async () => {
    const counts = async () => [
      await Bank.countDocuments(),
      await Branch.countDocuments(),
      await Staff.countDocuments(),
    ];
    const before = await counts();
    for (const [method, path, body] of adminRoutes()) {
      for (const who of ['auditor', 'reviewer', 'bank_manager', 'hr', 'north', 'a3']) {
        const res = await request(app)
          [method as 'post'](path)
          .set(bearer(tokens[who]))
          .send(body as object);
        expect({ who, path, status: res.status }).toEqual({ who, path, status: 403 });
        expect(res.body.error.code).toBe('forbidden');
      }
      expect(
        (
          await request(app)
            [method as 'post'](path)
            .send(body as object)
        ).status,
      ).toBe(401);
    }
    expect(await counts()).toEqual(before);
    expect((await Bank.findById(bankA).lean())?.name).not.toBe('hijacked');
  });

  test('every bank route needs a token: 401 with the error model, also on a missing bank', async () => {
    const routes: [string, string][] = [
      ['get', '/api/v1/banks'],
      ['post', '/api/v1/banks'],
      ['get', `/api/v1/banks/${bankA}`],
      ['patch', `/api/v1/banks/${bankA}`],
      ['get', `/api/v1/banks/${bankA}/branches`],
      ['post', `/api/v1/banks/${bankA}/branches`],
      ['post', `/api/v1/banks/${bankA}/branches/import`],
      ['get', `/api/v1/banks/${bankA}/staff`],
      ['post', `/api/v1/banks/${bankA}/staff`],
      ['post', `/api/v1/banks/${bankA}/staff/import`],
      ['get', `/api/v1/banks/${MISSING}`],
      ['get', '/api/v1/banks/not-an-id/staff'],
    ];
    for (const [method, path] of routes) {
      const res = await request(app)[method as 'get'](path);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  test('PATCH with a body that is not a JSON object is 400', async () => {
    const res = await request(app)
      .patch(`/api/v1/banks/${bankA}`)
      .set(bearer(tokens.admin))
      .set('Content-Type', 'application/json')
      .send('"name"');
    expect(res.status).toBe(400);
    expect(
      (
        await request(app)
          .patch(`/api/v1/banks/${bankA}`)
          .set(bearer(tokens.admin))
          .set('Content-Type', 'application/json')
          .send('{name:')
      ).status,
    ).toBe(400);
  });

  test('the role check comes before the body check: a wrong role with a bad body is still 403', async () => {
    expect((await post('/api/v1/banks', 'hr', { code: '' })).status).toBe(403);
  });
});

describe('scope helpers used by services and pages', () => {
  const bm = (scope?: Scope): Principal => ({
    id: 'u',
    email: 'u@a.cn',
    name: 'u',
    role: 'bank_manager',
    bankId: bankA,
    scope,
  });

  test('getBranch finds the asked branch only inside the scope', async () => {
    const a3 = bm({ type: 'branches', branchCodes: ['A3'] });
    expect((await getBranch(a3, bankA, 'A3')).code).toBe('A3');
    await expect(getBranch(a3, bankA, 'A1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(getBranch(a3, bankA, '')).rejects.toBeInstanceOf(NotFoundError);
    const north = bm({ type: 'region', region: '华北' });
    expect((await getBranch(north, bankA, 'A2')).code).toBe('A2');
    await expect(getBranch(north, bankA, 'A3')).rejects.toBeInstanceOf(NotFoundError);
    await expect(getBranch(bm({ type: 'bank' }), bankB, 'B1')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a bank user without a scope sees no branch, by either helper', () => {
    const ref = { bankId: bankA, code: 'A1', region: '华北' };
    expect(canSeeBranch(bm(), ref)).toBe(false);
    expect(scopeFilter(bm())).toEqual({ bankId: bankA, branchCode: { $in: [] } });
    expect(canSeeBranch(bm({ type: 'bank' }), ref)).toBe(true);
    expect(canSeeBranch(bm({ type: 'bank' }), { ...ref, bankId: bankB })).toBe(false);
    expect(canSeeBranch({ id: 'r', email: 'r@f.cn', name: 'r', role: 'reviewer' }, ref)).toBe(true);
  });
});

describe('long branch and staff lists come in pages', () => {
  /** Follows X-Next-Cursor to the end; every page is the bare array, and Link names the same next page. */
  async function allPages(path: string, who: string, limit: number): Promise<{ keys: string[]; pages: number }> {
    const keys: string[] = [];
    let pages = 0;
    let url: string | undefined = `${path}${path.includes('?') ? '&' : '?'}limit=${limit}`;
    while (url) {
      const res = await get(url, who);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body.length).toBeLessThanOrEqual(limit);
      keys.push(...(res.body as { code?: string; employeeId?: string }[]).map((r) => r.code ?? r.employeeId ?? ''));
      pages++;
      const next = res.headers['x-next-cursor'] as string | undefined;
      if (next) expect(res.headers.link).toContain(`cursor=${next}`);
      url = next ? `${path}${path.includes('?') ? '&' : '?'}limit=${limit}&cursor=${next}` : undefined;
    }
    return { keys, pages };
  }

  let bankC: string;
  beforeAll(async () => {
    bankC = await makeBank(f, 'BANKC');
    // Two regions whose branch codes interleave, so the order (region, then code) differs from the codes' order.
    const branches = Array.from({ length: 12 }, (_, i) => ({
      bankId: bankC,
      code: `C${String(i).padStart(2, '0')}`,
      name: `支行${i}`,
      region: i % 2 ? '华南' : '华北',
      active: true,
    }));
    await Branch.insertMany(branches);
    await Staff.insertMany(
      branches.flatMap((b) =>
        ['1', '2', '3'].map((n) => ({
          bankId: bankC,
          employeeId: `${b.code}-${n}`,
          name: `员工${n}`,
          branchCode: b.code,
          region: b.region,
          active: true,
        })),
      ),
    );
    tokens.cNorth = (
      await makeUser(f, {
        email: 'cnorth@c.cn',
        role: 'bank_manager',
        bankId: bankC,
        scope: { type: 'region', region: '华北' },
      })
    ).token;
  });

  test('branches: every one exactly once, by region then code, page after page', async () => {
    const paged = await allPages(`/api/v1/banks/${bankC}/branches`, 'admin', 5);
    const unpaged = (await get(`/api/v1/banks/${bankC}/branches`, 'admin')).body as { code: string; region: string }[];
    expect(unpaged.map((b) => b.region)).toEqual([...Array(6).fill('华北'), ...Array(6).fill('华南')]);
    expect(paged.keys).toEqual(unpaged.map((b) => b.code));
    expect(paged.pages).toBe(3);
  });

  test('staff: every one exactly once, by branch then employee id; a region filter pages within the region', async () => {
    const paged = await allPages(`/api/v1/banks/${bankC}/staff`, 'admin', 7);
    expect(paged.keys).toHaveLength(36);
    expect(paged.keys).toEqual([...paged.keys].sort());
    expect(new Set(paged.keys).size).toBe(36);
    const south = await allPages(`/api/v1/banks/${bankC}/staff?region=${encodeURIComponent('华南')}`, 'admin', 4);
    expect(south.keys).toHaveLength(18);
    expect(south.keys.every((k) => Number(k.slice(1, 3)) % 2 === 1)).toBe(true);
  });

  test('a cursor never widens the scope: a region manager pages through their region only', async () => {
    const north = await allPages(`/api/v1/banks/${bankC}/staff`, 'cNorth', 5);
    expect(north.keys).toHaveLength(18);
    expect(north.keys.every((k) => Number(k.slice(1, 3)) % 2 === 0)).toBe(true);
    // A cursor from the admin's walk that points into the other region shows the manager nothing of it.
    const admin = await get(`/api/v1/banks/${bankC}/branches?limit=6`, 'admin');
    const cursor = admin.headers['x-next-cursor'] as string;
    expect(cursor).toBeTruthy();
    const after = await get(`/api/v1/banks/${bankC}/branches?cursor=${cursor}`, 'cNorth');
    expect(after.status).toBe(200);
    expect(after.body).toEqual([]);
    // And another bank's list stays 404 whatever the cursor.
    expect((await get(`/api/v1/banks/${bankC}/staff?cursor=${cursor}`, 'north')).status).toBe(404);
  });

  test('bad limits and cursors are 400 with the field named', async () => {
    for (const q of [
      'limit=0',
      'limit=1001',
      'limit=x',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('[1,2]').toString('base64url')}`,
    ]) {
      const res = await get(`/api/v1/banks/${bankC}/staff?${q}`, 'admin');
      expect(res.status).toBe(400);
      expect(fieldsOf(res)).toEqual([q.split('=')[0]]);
    }
  });
});
