import type { Express } from 'express';
import request from 'supertest';
import { ADMIN, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import {
  apiGet,
  csrfFrom,
  csrfOf,
  makeBank,
  makeBranch,
  makeUser,
  postForm,
  signIn,
  type Agent,
  unmarked,
} from './helpers/web';

let app: Express;
let token: string;
/** The admin's browser, in English so that assertions read naturally. */
let admin: Agent;
let bank: { id: string; code: string };

const csv = (text: string) => Buffer.from(`\uFEFF${text}`, 'utf8');
type Branch = { code: string; region: string; name: string };
type Staff = { employeeId: string; branchCode: string };
type User = { id: string; email: string; name: string; role: string; active: boolean; scope: unknown };

beforeAll(async () => {
  app = await startTestApp();
  token = await tokenFor(app, ADMIN.email, ADMIN.password);
  admin = await signIn(app, ADMIN.email, ADMIN.password, 'en');
  bank = await makeBank(app, token, 'HB', '华北银行');
  await makeBranch(app, token, bank.id, 'HB-E1', 'East', '东城支行');
  await makeBranch(app, token, bank.id, 'HB-W1', 'West', '西城支行');
});
afterAll(() => stopTestApp());

async function upload(agent: Agent, pagePath: string, action: string, file: Buffer, name = 'rows.csv') {
  const csrf = await csrfOf(agent, pagePath);
  return agent.post(`${action}?_csrf=${csrf}`).attach('file', file, name);
}

describe('banks', () => {
  test('the list renders with the banks, in Chinese by default', async () => {
    const zhAgent = await signIn(app, ADMIN.email, ADMIN.password);
    const res = await zhAgent.get('/admin/banks');
    expect(res.status).toBe(200);
    expect(res.text).toContain('华北银行');
    expect(res.text).toContain(`href="/admin/banks/${bank.id}"`);
    expect(res.text).toContain('report@hb.example.cn');
    expect(res.text).toContain('新建银行');
    const en = await admin.get('/admin/banks');
    expect(en.text).toContain('New bank');
    expect(en.text).toContain('Report recipients');
  });

  test('creating a bank redirects with a flash message, and it shows up in the list', async () => {
    const res = await postForm(admin, '/admin/banks', '/admin/banks', {
      code: 'WEB1',
      name: '网页银行',
      timezone: 'Asia/Hong_Kong',
      language: 'en',
      reportRecipients: 'a@web1.cn, b@web1.cn\nc@web1.cn；d@web1.cn',
    });
    expect(res.status).toBe(303);
    const id = /^\/admin\/banks\/([a-f0-9]{24})$/.exec(res.headers.location)?.[1] as string;
    expect(id).toBeDefined();
    const page = await admin.get(res.headers.location);
    expect(page.text).toContain('Bank WEB1 created.');
    expect((await admin.get(res.headers.location)).text).not.toContain('Bank WEB1 created.');
    expect((await admin.get('/admin/banks')).text).toContain('网页银行');
    const saved = await apiGet<{ timezone: string; language: string; reportRecipients: string[] }>(
      app,
      token,
      `/banks/${id}`,
    );
    expect(saved).toMatchObject({
      timezone: 'Asia/Hong_Kong',
      language: 'en',
      reportRecipients: ['a@web1.cn', 'b@web1.cn', 'c@web1.cn', 'd@web1.cn'],
    });
  });

  test('a bad bank form is shown again with an error next to each field and creates nothing', async () => {
    const before = (await apiGet<unknown[]>(app, token, '/banks')).length;
    const res = await postForm(admin, '/admin/banks', '/admin/banks', {
      code: 'bad code!',
      name: '',
      timezone: 'Mars/Olympus',
      language: 'zh',
      reportRecipients: 'ok@x.cn, not-an-email',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Please correct the highlighted fields.');
    expect(res.text).toContain('Letters, digits, _ . - only.');
    expect(res.text).toContain('Required.');
    expect(res.text).toContain('Must be an IANA time zone');
    expect(res.text).toContain('not-an-email: Not a valid e-mail address.');
    expect(res.text).toContain('aria-invalid="true"');
    // What was typed is kept, so nothing has to be typed again.
    expect(res.text).toContain('value="bad code!"');
    expect(res.text).toContain('ok@x.cn, not-an-email');
    expect((await apiGet<unknown[]>(app, token, '/banks')).length).toBe(before);
  });

  test('a repeated bank code is shown next to the code field (409)', async () => {
    const res = await postForm(admin, '/admin/banks', '/admin/banks', {
      code: 'HB',
      name: 'Again',
      language: 'zh',
      reportRecipients: '',
    });
    expect(res.status).toBe(409);
    expect(res.text).toMatch(/name="code" value="HB"[^>]*aria-invalid="true"/);
    expect(res.text).toContain('Already exists.');
  });

  test('editing a bank saves it; an empty name is refused', async () => {
    const path = `/admin/banks/${bank.id}`;
    const bad = await postForm(admin, path, path, {
      name: '',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      reportRecipients: '',
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Required.');
    expect(bad.text).toMatch(/<details class="card" open>/);
    const ok = await postForm(admin, path, path, {
      name: '华北银行股份',
      timezone: 'Asia/Shanghai',
      language: 'en',
      reportRecipients: 'hq@hb.cn\nrisk@hb.cn',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(path);
    expect((await admin.get(path)).text).toContain('Bank HB saved.');
    expect(await apiGet(app, token, `/banks/${bank.id}`)).toMatchObject({
      name: '华北银行股份',
      language: 'en',
      reportRecipients: ['hq@hb.cn', 'risk@hb.cn'],
    });
  });

  test('an unknown bank is the 404 page', async () => {
    const res = await admin.get('/admin/banks/0123456789abcdef01234567');
    expect(res.status).toBe(404);
    expect((await admin.get('/admin/banks/not-an-id')).status).toBe(404);
  });
});

describe("a bank's branches and staff", () => {
  let other: { id: string };
  const page = () => `/admin/banks/${other.id}`;
  beforeAll(async () => {
    other = await makeBank(app, token, 'NJ', '南京银行');
  });

  test('adding a branch lists it under its region', async () => {
    const res = await postForm(admin, page(), `${page()}/branches`, {
      code: 'NJ-01',
      name: '鼓楼支行',
      region: 'Gulou',
      city: 'Nanjing',
    });
    expect(res.status).toBe(303);
    const html = (await admin.get(page())).text;
    expect(html).toContain('Branch NJ-01 added.');
    expect(html).toMatch(/<h3 class="region">Gulou[\s\S]*NJ-01[\s\S]*鼓楼支行/);
  });

  test('a bad or repeated branch shows the errors next to the fields', async () => {
    const missing = await postForm(admin, page(), `${page()}/branches`, {
      code: 'NJ-02',
      name: '新街口支行',
      region: '',
    });
    expect(missing.status).toBe(422);
    expect(missing.text).toMatch(/name="region"[^>]*aria-invalid="true"/);
    const repeated = await postForm(admin, page(), `${page()}/branches`, {
      code: 'NJ-01',
      name: 'dup',
      region: 'Gulou',
    });
    expect(repeated.status).toBe(409);
    expect(repeated.text).toContain('Already exists.');
    expect((await apiGet<Branch[]>(app, token, `/banks/${other.id}/branches`)).map((b) => b.code)).toEqual(['NJ-01']);
  });

  test('adding a staff member lists them; an unknown branch code is refused', async () => {
    const ok = await postForm(admin, page(), `${page()}/staff`, {
      employeeId: 'E100',
      name: '王芳',
      branchCode: 'NJ-01',
      position: 'Teller',
    });
    expect(ok.status).toBe(303);
    const html = unmarked((await admin.get(page())).text);
    expect(html).toContain('Staff member E100 added.');
    expect(html).toMatch(/<td>E100<\/td><td>王芳<\/td><td>NJ-01<\/td><td>Gulou<\/td><td>Teller<\/td>/);
    const bad = await postForm(admin, page(), `${page()}/staff`, {
      employeeId: 'E101',
      name: '李雷',
      branchCode: 'NJ-99',
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('No branch &quot;NJ-99&quot; in this bank.');
    expect(bad.text).toContain('value="李雷"');
  });

  test('importing branches shows the counts; the page groups them by region and filters by region', async () => {
    const res = await upload(
      admin,
      page(),
      `${page()}/branches/import`,
      csv(
        'code,name,region,city\nNJ-01,鼓楼中心支行,Gulou,Nanjing\nNJ-10,江宁支行,Jiangning,Nanjing\nNJ-11,秣陵支行,Jiangning,\n',
      ),
    );
    expect(res.status).toBe(303);
    const html = (await admin.get(page())).text;
    expect(html).toContain('Import finished: 2 created, 1 updated.');
    expect(html).toMatch(/<h3 class="region">Gulou/);
    expect(html).toMatch(/<h3 class="region">Jiangning <span class="muted">· 2 branches/);
    const filtered = (await admin.get(`${page()}?region=Jiangning`)).text;
    expect(filtered).toContain('NJ-10');
    expect(filtered).not.toContain('鼓楼中心支行');
    expect(filtered).not.toContain('<td>E100</td>');
    expect(filtered).toMatch(/<option value="Jiangning" selected>/);
  });

  test('a branch file with bad rows shows each row number and writes nothing', async () => {
    const before = await apiGet<Branch[]>(app, token, `/banks/${other.id}/branches`);
    const res = await upload(
      admin,
      page(),
      `${page()}/branches/import`,
      csv('code,name,region\nNJ-20,好支行,Gulou\nNJ-21,,Gulou\nNJ-20,重复,Gulou\nNJ-01,改名,Moved\n'),
    );
    expect(res.status).toBe(422);
    expect(res.text).toContain('nothing was written');
    expect(res.text).toMatch(/Row 3<\/strong>: name: Required\./);
    expect(res.text).toMatch(/Row 4<\/strong>: Repeats row 2 \(NJ-20\)/);
    expect(res.text).not.toContain('Row 2</strong>');
    expect(await apiGet<Branch[]>(app, token, `/banks/${other.id}/branches`)).toEqual(before);
  });

  test('a file with the wrong columns, an empty file or no file is explained on the page', async () => {
    const columns = await upload(admin, page(), `${page()}/branches/import`, csv('id,title\n1,x\n'));
    expect(columns.status).toBe(422);
    expect(columns.text).toContain('The header row does not match the expected columns.');
    expect(columns.text).toContain('region: required column is missing');
    const empty = await upload(admin, page(), `${page()}/staff/import`, Buffer.alloc(0));
    expect(empty.status).toBe(415);
    expect(empty.text).toContain('The file is empty.');
    const csrf = await csrfOf(admin, page());
    const none = await admin.post(`${page()}/staff/import?_csrf=${csrf}`).field('note', 'x');
    expect(none.status).toBe(400);
    expect(none.text).toContain('Choose a file to import.');
  });

  test('importing staff shows the counts, or the bad rows and writes nothing', async () => {
    const bad = await upload(
      admin,
      page(),
      `${page()}/staff/import`,
      csv('employeeId,name,branchCode,position\nE200,赵敏,NJ-10,Manager\nE201,钱进,NJ-404,\n'),
    );
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('nothing was written');
    expect(bad.text).toMatch(/Row 3<\/strong>: branchCode: No branch &quot;NJ-404&quot; in this bank\./);
    expect((await apiGet<Staff[]>(app, token, `/banks/${other.id}/staff`)).map((s) => s.employeeId)).toEqual(['E100']);
    const ok = await upload(
      admin,
      page(),
      `${page()}/staff/import`,
      csv('employeeId,name,branchCode,position\nE200,赵敏,NJ-10,Manager\nE100,王芳,NJ-11,\n'),
    );
    expect(ok.status).toBe(303);
    expect((await admin.get(page())).text).toContain('Import finished: 1 created, 1 updated.');
    const staff = await apiGet<Staff[]>(app, token, `/banks/${other.id}/staff`);
    expect(staff.map((s) => `${s.employeeId}@${s.branchCode}`).sort()).toEqual(['E100@NJ-11', 'E200@NJ-10']);
  });
});

describe('users', () => {
  let manager: { id: string; email: string };
  beforeAll(async () => {
    manager = await makeUser(app, token, {
      email: 'mgr@hb.cn',
      name: '张经理',
      role: 'bank_manager',
      bankId: bank.id,
      scope: { type: 'region', region: 'East' },
    });
    await makeUser(app, token, { email: 'aud@firm.cn', name: 'Auditor One', role: 'auditor' });
  });

  test('the list shows users with role, bank and scope, and filters by role and bank', async () => {
    const all = unmarked((await admin.get('/admin/users')).text);
    expect(all).toContain('mgr@hb.cn');
    expect(all).toContain('aud@firm.cn');
    expect(all).toMatch(
      /mgr@hb\.cn<\/td>\s*<td>张经理<\/td>\s*<td>Bank manager<\/td>\s*<td>HB<\/td>\s*<td>Region: East<\/td>/,
    );
    const auditors = (await admin.get('/admin/users?role=auditor')).text;
    expect(auditors).toContain('aud@firm.cn');
    expect(auditors).not.toContain('mgr@hb.cn');
    const ofBank = (await admin.get(`/admin/users?bankId=${bank.id}&role=`)).text;
    expect(ofBank).toContain('mgr@hb.cn');
    expect(ofBank).not.toContain('aud@firm.cn');
    expect(ofBank).not.toContain(ADMIN.email);
  });

  test('creating a bank user with a list of branches shows up in the list', async () => {
    const res = await postForm(admin, '/admin/users', '/admin/users', {
      email: 'HR@hb.cn',
      name: '人事',
      password: 'Hr-password-2026',
      role: 'hr',
      bankId: bank.id,
      scopeType: 'branches',
      scopeBranchCodes: 'HB-E1，HB-W1',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/users');
    const html = (await admin.get('/admin/users')).text;
    expect(html).toContain('User hr@hb.cn created.');
    expect(html).toContain('Branches: HB-E1, HB-W1');
    await expect(signIn(app, 'hr@hb.cn', 'Hr-password-2026')).resolves.toBeDefined();
  });

  test('creating an audit-firm user ignores the scope boxes', async () => {
    const res = await postForm(admin, '/admin/users', '/admin/users', {
      email: 'rev@firm.cn',
      name: 'Reviewer',
      password: 'Reviewer-pass-1',
      role: 'reviewer',
      bankId: '',
      scopeType: 'region',
      scopeRegion: 'East',
    });
    expect(res.status).toBe(303);
    const users = await apiGet<User[]>(app, token, '/users?role=reviewer');
    expect(users.find((u) => u.email === 'rev@firm.cn')).toMatchObject({ scope: null });
  });

  test('a bad user form shows the errors next to the fields, never echoes the password, and creates nothing', async () => {
    const before = (await apiGet<User[]>(app, token, '/users')).length;
    const res = await postForm(admin, '/admin/users', '/admin/users', {
      email: 'not-mail',
      name: 'X',
      password: 'short',
      role: 'bank_manager',
      bankId: '',
      scopeType: 'bank',
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Not a valid e-mail address.');
    expect(res.text).toContain('At least 12 characters.');
    expect(res.text).toMatch(/name="bankId"[\s\S]*Required for this role\./);
    expect(res.text).not.toContain('value="short"');
    expect(res.text).toContain('value="not-mail"');
    const region = await postForm(admin, '/admin/users', '/admin/users', {
      email: 'x@hb.cn',
      name: 'X',
      password: 'Long-enough-pass',
      role: 'bank_manager',
      bankId: bank.id,
      scopeType: 'region',
      scopeRegion: 'Nowhere',
    });
    expect(region.status).toBe(422);
    expect(region.text).toMatch(/name="scopeRegion" value="Nowhere"[^>]*aria-invalid="true"/);
    expect(region.text).toContain('No branch of this bank is in region &quot;Nowhere&quot;.');
    const dup = await postForm(admin, '/admin/users', '/admin/users', {
      email: 'mgr@hb.cn',
      name: 'X',
      password: 'Long-enough-pass',
      role: 'auditor',
    });
    expect(dup.status).toBe(409);
    expect(dup.text).toMatch(/name="email" value="mgr@hb.cn"[^>]*aria-invalid="true"/);
    expect((await apiGet<User[]>(app, token, '/users')).length).toBe(before);
  });

  test('editing a user changes the name and scope; a bad scope is refused', async () => {
    const path = `/admin/users/${manager.id}`;
    const page = await admin.get(path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="张经理"');
    expect(page.text).toMatch(/<option value="region" selected>/);
    const bad = await postForm(admin, path, path, {
      name: '张经理',
      active: '1',
      scopeType: 'branches',
      scopeBranchCodes: 'HB-E1 NOPE',
    });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('No branch &quot;NOPE&quot; in this bank.');
    const ok = await postForm(admin, path, path, {
      name: '张总',
      active: '1',
      scopeType: 'branches',
      scopeBranchCodes: 'HB-E1 HB-W1',
    });
    expect(ok.status).toBe(303);
    expect((await admin.get(path)).text).toContain('User mgr@hb.cn saved.');
    expect(await apiGet(app, token, `/users/${manager.id}`)).toMatchObject({
      name: '张总',
      active: true,
      scope: { type: 'branches', branchCodes: ['HB-E1', 'HB-W1'] },
    });
  });

  test('resetting a password: too short is refused; then only the new password signs in', async () => {
    const path = `/admin/users/${manager.id}`;
    const short = await postForm(admin, path, `${path}/password`, { password: 'short' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('At least 12 characters.');
    const ok = await postForm(admin, path, `${path}/password`, { password: 'Brand-new-pass-77' });
    expect(ok.status).toBe(303);
    expect((await admin.get(path)).text).toContain('The password of mgr@hb.cn was reset');
    await expect(signIn(app, 'mgr@hb.cn', 'Passw0rd-long-enough')).rejects.toThrow(/401/);
    await expect(signIn(app, 'mgr@hb.cn', 'Brand-new-pass-77')).resolves.toBeDefined();
  });

  test('deactivating a user ends their session; an admin cannot deactivate themselves', async () => {
    const victim = await makeUser(app, token, { email: 'gone@firm.cn', role: 'reviewer' });
    const theirs = await signIn(app, 'gone@firm.cn', 'Passw0rd-long-enough');
    expect((await theirs.get('/')).status).toBe(200);
    const path = `/admin/users/${victim.id}`;
    const res = await postForm(admin, path, path, { name: 'Gone' });
    expect(res.status).toBe(303);
    expect((await admin.get('/admin/users')).text).toMatch(/<tr class="inactive">\s*<td>gone@firm\.cn/);
    expect((await theirs.get('/')).status).toBe(303);
    const me = (await apiGet<{ id: string }>(app, token, '/me')).id;
    const self = await postForm(admin, `/admin/users/${me}`, `/admin/users/${me}`, { name: 'Administrator' });
    expect(self.status).toBe(409);
    expect(self.text).toContain('You cannot deactivate yourself.');
  });
});

describe('access', () => {
  const pages = () => ['/admin/banks', `/admin/banks/${bank.id}`, '/admin/users'];

  test('a bank manager gets the 403 page on every admin page and form', async () => {
    await makeUser(app, token, { email: 'boss@hb.cn', role: 'bank_manager', bankId: bank.id, scope: { type: 'bank' } });
    const agent = await signIn(app, 'boss@hb.cn', 'Passw0rd-long-enough', 'en');
    for (const path of pages()) {
      const res = await agent.get(path);
      expect(res.status).toBe(403);
      expect(res.text).toContain('Your role may not open this page.');
    }
    const csrf = csrfFrom((await agent.get('/')).text);
    const posted = await agent
      .post('/admin/banks')
      .type('form')
      .send({ _csrf: csrf, code: 'EVIL', name: 'Evil', language: 'zh' });
    expect(posted.status).toBe(403);
    const imported = await agent
      .post(`/admin/banks/${bank.id}/branches/import?_csrf=${csrf}`)
      .attach('file', csv('code,name,region\nX1,x,y\n'), 'a.csv');
    expect(imported.status).toBe(403);
    expect((await apiGet<Branch[]>(app, token, `/banks/${bank.id}/branches`)).some((b) => b.code === 'X1')).toBe(false);
    expect((await apiGet<{ code: string }[]>(app, token, '/banks')).some((b) => b.code === 'EVIL')).toBe(false);
  });

  test('anonymous visitors are sent to sign in, and come back afterwards', async () => {
    for (const path of pages()) {
      const res = await request(app).get(path);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    const agent = request.agent(app);
    const csrf = await csrfOf(agent, '/login?next=/admin/users');
    const post = await agent.post('/admin/banks').type('form').send({ _csrf: csrf, code: 'ANON', name: 'x' });
    expect(post.status).toBe(303);
    expect(post.headers.location).toMatch(/^\/login\?next=/);
    expect(await apiGet<{ code: string }[]>(app, token, '/banks')).not.toContainEqual(
      expect.objectContaining({ code: 'ANON' }),
    );
    const login = await agent.get('/login?next=%2Fadmin%2Fusers');
    expect(login.text).toContain('name="next" value="/admin/users"');
    const back = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email: ADMIN.email, password: ADMIN.password, next: '/admin/users' });
    expect(back.headers.location).toBe('/admin/users');
    expect((await agent.get('/admin/users')).status).toBe(200);
  });
});

describe('CSRF on the admin forms', () => {
  const forms = () => [
    { action: '/admin/banks', fields: { code: 'CSRF1', name: 'x', language: 'zh' } },
    { action: `/admin/banks/${bank.id}`, fields: { name: 'Hacked', language: 'zh' } },
    { action: `/admin/banks/${bank.id}/branches`, fields: { code: 'CSRF-B', name: 'x', region: 'East' } },
    { action: `/admin/banks/${bank.id}/staff`, fields: { employeeId: 'CSRF-S', name: 'x', branchCode: 'HB-E1' } },
    {
      action: '/admin/users',
      fields: { email: 'csrf@x.cn', name: 'x', password: 'Long-enough-pass', role: 'auditor' },
    },
  ];

  test('each form without or with a wrong token gets the 403 page and changes nothing', async () => {
    await admin.get('/admin/banks');
    for (const { action, fields } of forms()) {
      const none = await admin.post(action).type('form').send(fields);
      expect([action, none.status]).toEqual([action, 403]);
      expect(none.text).toContain('The form expired.');
      const wrong = await admin
        .post(action)
        .type('form')
        .send({ ...fields, _csrf: 'x'.repeat(32) });
      expect([action, wrong.status]).toEqual([action, 403]);
    }
    const users = await apiGet<User[]>(app, token, '/users');
    const target = users.find((u) => u.role === 'auditor') as User;
    for (const action of [`/admin/users/${target.id}`, `/admin/users/${target.id}/password`]) {
      expect((await admin.post(action).type('form').send({ name: 'Hacked', password: 'Hacked-pass-123' })).status).toBe(
        403,
      );
    }
    for (const action of [`/admin/banks/${bank.id}/branches/import`, `/admin/banks/${bank.id}/staff/import`]) {
      const file = csv('code,name,region\nCSRF-I,x,East\n');
      expect((await admin.post(action).attach('file', file, 'a.csv')).status).toBe(403);
      expect((await admin.post(`${action}?_csrf=wrong`).attach('file', file, 'a.csv')).status).toBe(403);
    }
    const banks = await apiGet<{ code: string; name: string }[]>(app, token, '/banks');
    expect(banks.some((b) => b.code === 'CSRF1' || b.name === 'Hacked')).toBe(false);
    const branches = await apiGet<Branch[]>(app, token, `/banks/${bank.id}/branches`);
    expect(branches.some((b) => b.code.startsWith('CSRF'))).toBe(false);
    expect((await apiGet<Staff[]>(app, token, `/banks/${bank.id}/staff`)).length).toBe(0);
    expect(
      (await apiGet<User[]>(app, token, '/users')).some((u) => u.email === 'csrf@x.cn' || u.name === 'Hacked'),
    ).toBe(false);
  });

  test('with the token the same forms work', async () => {
    const res = await postForm(admin, '/admin/banks', '/admin/banks', {
      code: 'CSRF-OK',
      name: 'ok',
      language: 'zh',
      reportRecipients: '',
    });
    expect(res.status).toBe(303);
    const imported = await upload(
      admin,
      `/admin/banks/${bank.id}`,
      `/admin/banks/${bank.id}/staff/import`,
      csv('employeeId,name,branchCode\nS1,甲,HB-E1\n'),
    );
    expect(imported.status).toBe(303);
  });
});

describe("a bank's staff list on its page", () => {
  test('comes 500 at a time, with a link to the next page and back to the first', async () => {
    const { Branch: BranchModel, Staff: StaffModel } = await import('../server/banks/model');
    const big = await makeBank(app, token, 'BIG', '大银行');
    await makeBranch(app, token, big.id, 'BG1', 'North', '一号支行');
    await StaffModel.insertMany(
      Array.from({ length: 501 }, (_, i) => ({
        bankId: big.id,
        employeeId: `S${String(i).padStart(4, '0')}`,
        name: `员工${i}`,
        branchCode: 'BG1',
        region: 'North',
        active: true,
      })),
    );
    expect(await BranchModel.countDocuments({ bankId: big.id })).toBe(1);
    const rows = (html: string) => [...html.matchAll(/<tr><td>(S\d{4})<\/td>/g)].map((m) => m[1]);
    const first = await admin.get(`/admin/banks/${big.id}`);
    expect(first.status).toBe(200);
    expect(rows(first.text)).toHaveLength(500);
    expect(rows(first.text)[0]).toBe('S0000');
    const next = /<a href="([^"]+)" rel="next">Next page of staff<\/a>/.exec(first.text);
    expect(next).not.toBeNull();
    expect(first.text).not.toContain('Back to the first page of staff');
    const second = await admin.get(next![1].replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
    expect(second.status).toBe(200);
    expect(rows(second.text)).toEqual(['S0500']);
    expect(second.text).toContain('Back to the first page of staff');
    expect(second.text).not.toContain('rel="next"');
    // A forged cursor is refused as bad input, not a server error.
    expect((await admin.get(`/admin/banks/${big.id}?staffCursor=nonsense`)).status).toBe(400);
  });
});
