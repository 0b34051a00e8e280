import type { Express } from 'express';
import request from 'supertest';
import { demoQuestionnaireBody } from '../seed/questionnaire';
import { Assignment } from '../server/assignments/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { createBank, createQuestionnaire, smallQuestionnaire, userWithToken } from './helpers/questionnaires';

let app: Express;
let admin: string;
let bankA: string;
let bankB: string;
let users: Record<'auditor' | 'reviewer' | 'managerA' | 'hrA', { id: string; token: string }>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  bankA = await createBank(app, admin, 'QA');
  bankB = await createBank(app, admin, 'QB');
  users = {
    auditor: await userWithToken(app, admin, { email: 'aud@q.test', role: 'auditor' }),
    reviewer: await userWithToken(app, admin, { email: 'rev@q.test', role: 'reviewer' }),
    managerA: await userWithToken(app, admin, {
      email: 'mgr@q.test',
      role: 'bank_manager',
      bankId: bankA,
      scope: { type: 'bank' },
    }),
    hrA: await userWithToken(app, admin, { email: 'hr@q.test', role: 'hr', bankId: bankA, scope: { type: 'bank' } }),
  };
});
afterAll(stopTestApp);

const post = (body: unknown, token = admin) =>
  request(app)
    .post('/api/v1/questionnaires')
    .set(bearer(token))
    .send(body as object);
const put = (id: string, body: unknown, token = admin) =>
  request(app)
    .put(`/api/v1/questionnaires/${id}`)
    .set(bearer(token))
    .send(body as object);
const get = (path: string, token = admin) => request(app).get(`/api/v1/questionnaires${path}`).set(bearer(token));
const fieldsOf = (res: request.Response): string[] =>
  (res.body.error.details as { field: string }[]).map((d) => d.field);
const countAll = async (): Promise<number> => (await get('')).body.length as number;

describe('create', () => {
  test('201 {id, version: 1}; sections come back in canonical order with defaults applied', async () => {
    const body = smallQuestionnaire(bankA, '网点暗访问卷');
    body.sections.reverse();
    body.sections[0].weight = 10; // follow_up, sent first
    const res = await post(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[a-f0-9]{24}$/), version: 1 });

    const q = await get(`/${res.body.id}`);
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({
      id: res.body.id,
      bankId: bankA,
      name: '网点暗访问卷',
      version: 1,
      latestVersion: 1,
    });
    expect(q.body.sections.map((s: { key: string }) => s.key)).toEqual([
      'greeting',
      'product_knowledge',
      'sales_compliance',
      'follow_up',
    ]);
    expect(q.body.sections.map((s: { weight: number }) => s.weight)).toEqual([25, 25, 25, 10]);
    expect(q.body.sections[0].items[0]).toEqual({
      key: 'g_greet',
      text: { zh: '问题 g_greet', en: 'Question g_greet' },
      type: 'yes_no',
      weight: 1,
      critical: false,
      allowNA: false,
      required: true,
      evidenceOnFail: false,
    });
    expect(q.body.sections[1].items[1].weight).toBe(2);
    expect(q.body.sections[2].items[0].critical).toBe(true);
    expect(q.body.sections[2].items[1].allowNA).toBe(true);
    expect(q.body.sections[3].items[1].required).toBe(false);
  });

  test('the seed questionnaire is accepted: 24+ items, every type, N/A items, the critical compliance items, a condition chain', async () => {
    const res = await post(demoQuestionnaireBody(bankA));
    expect(res.status).toBe(201);
    const q = (await get(`/${res.body.id}`)).body;
    type I = { key: string; type: string; critical: boolean; allowNA: boolean };
    const items: I[] = q.sections.flatMap((s: { items: I[] }) => s.items);
    expect(items.length).toBeGreaterThanOrEqual(24);
    expect(new Set(items.map((i) => i.type))).toEqual(
      new Set(['yes_no', 'scale', 'number', 'choice', 'multi', 'text']),
    );
    // Suitability before recommendation: risk match ← assessment done ← an investment product recommended.
    const byKey = new Map(items.map((i) => [i.key, i as I & { showIf?: { item: string; in: unknown[] } }]));
    expect(byKey.get('c_risk_match')?.showIf).toEqual({ item: 'c_suitability', in: ['yes'] });
    expect(byKey.get('c_suitability')?.showIf).toEqual({ item: 'p_product', in: ['wealth', 'fund', 'insurance'] });
    expect(items.some((i) => i.allowNA)).toBe(true);
    const compliance = q.sections.find((s: { key: string }) => s.key === 'sales_compliance').items as I[];
    expect(compliance.filter((i) => i.critical).map((i) => i.key)).toEqual(
      expect.arrayContaining([
        'c_risk_disclosure',
        'c_suitability',
        'c_no_guarantee',
        'c_id_check',
        'c_dual_recording',
      ]),
    );
    expect(q.sections.every((s: { items: I[] }) => s.items.length >= 5)).toBe(true);
  });

  test('the routes are in the OpenAPI document', async () => {
    const doc = await request(app).get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/questionnaires',
        '/api/v1/questionnaires/{id}',
        '/api/v1/questionnaires/{id}/versions/{version}',
      ]),
    );
  });

  test('a body that is not a JSON object is 400', async () => {
    const res = await request(app)
      .post('/api/v1/questionnaires')
      .set(bearer(admin))
      .set('Content-Type', 'application/json')
      .send('[1,2]');
    expect(res.status).toBe(400);
  });
});

describe('422 rules, each reported with its field path, nothing written', () => {
  type Body = ReturnType<typeof smallQuestionnaire>;
  const cases: [string, (b: Body) => unknown, string[]][] = [
    ['a missing section', (b) => ({ ...b, sections: b.sections.slice(0, 3) }), ['sections']],
    [
      'a repeated section',
      (b) => ({ ...b, sections: [...b.sections, { key: 'greeting', items: [] }] }),
      ['sections.4.key'],
    ],
    // the unknown key is wrong, and product_knowledge (which it replaced) is missing
    [
      'an unknown section key',
      (b) => {
        b.sections[1].key = 'ambience';
        return b;
      },
      ['sections', 'sections.1.key'],
    ],
    [
      'item weight 0',
      (b) => {
        b.sections[2].items[0].weight = 0;
        return b;
      },
      ['sections.2.items.0.weight'],
    ],
    [
      'negative item weight',
      (b) => {
        b.sections[0].items[1].weight = -1;
        return b;
      },
      ['sections.0.items.1.weight'],
    ],
    [
      'section weight 0',
      (b) => {
        b.sections[1].weight = 0;
        return b;
      },
      ['sections.1.weight'],
    ],
    [
      'negative section weight',
      (b) => {
        b.sections[3].weight = -25;
        return b;
      },
      ['sections.3.weight'],
    ],
    [
      'an item key used twice across sections',
      (b) => {
        b.sections[3].items[0].key = 'g_greet';
        return b;
      },
      ['sections.3.items.0.key'],
    ],
    [
      'an item key with a leading $',
      (b) => {
        b.sections[0].items[0].key = '$where';
        return b;
      },
      ['sections.0.items.0.key'],
    ],
    [
      'an item key with a space',
      (b) => {
        b.sections[0].items[0].key = 'a b';
        return b;
      },
      ['sections.0.items.0.key'],
    ],
    [
      'an item key with a $ inside',
      (b) => {
        b.sections[0].items[0].key = 'a.$b';
        return b;
      },
      ['sections.0.items.0.key'],
    ],
    [
      'an unknown item type',
      (b) => {
        (b.sections[1].items[0] as { type: string }).type = 'stars';
        return b;
      },
      ['sections.1.items.0.type'],
    ],
    [
      'a missing English text',
      (b) => {
        b.sections[0].items[0].text = { zh: '问候', en: '' };
        return b;
      },
      ['sections.0.items.0.text.en'],
    ],
    [
      'a non-boolean flag',
      (b) => {
        (b.sections[2].items[0] as { critical: unknown }).critical = 'yes';
        return b;
      },
      ['sections.2.items.0.critical'],
    ],
    ['an unknown field', (b) => ({ ...b, colour: 'red' }), ['(root)']],
    ['a malformed bankId', (b) => ({ ...b, bankId: 'nope' }), ['bankId']],
    ['a bank that does not exist', (b) => ({ ...b, bankId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }), ['bankId']],
    ['a missing name', (b) => ({ ...b, name: '' }), ['name']],
    ['no items at all', (b) => ({ ...b, sections: b.sections.map((s) => ({ ...s, items: [] })) }), ['sections']],
  ];

  test.each(cases)('%s', async (_label, mutate, expected) => {
    const before = await countAll();
    const res = await post(mutate(smallQuestionnaire(bankA)));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(fieldsOf(res)).toEqual(expected);
    expect(await countAll()).toBe(before);
  });

  test('several broken rules are all listed in one answer, even beside a wrongly typed field', async () => {
    const b = smallQuestionnaire(bankA);
    b.sections[2].items[0].weight = 0;
    b.sections[1].weight = -1;
    b.sections[3].items[0].key = 'p_fees';
    (b.sections[0].items[1] as { weight: unknown }).weight = 'heavy';
    const res = await post(b);
    expect(res.status).toBe(422);
    expect(fieldsOf(res).sort()).toEqual([
      'sections.0.items.1.weight',
      'sections.1.weight',
      'sections.2.items.0.weight',
      'sections.3.items.0.key',
    ]);
  });
});

describe('who may create', () => {
  test('401 without a token', async () => {
    const res = await request(app).post('/api/v1/questionnaires').send(smallQuestionnaire(bankA));
    expect(res.status).toBe(401);
  });

  test.each(['auditor', 'reviewer', 'managerA', 'hrA'] as const)('403 for %s (create and edit)', async (who) => {
    const before = await countAll();
    expect((await post(smallQuestionnaire(bankA), users[who].token)).status).toBe(403);
    const id = await createQuestionnaire(app, admin, bankA);
    const { bankId: _b, ...edit } = smallQuestionnaire(bankA, 'x');
    expect((await put(id, edit, users[who].token)).status).toBe(403);
    expect((await get(`/${id}`)).body.version).toBe(1);
    expect(await countAll()).toBe(before + 1);
  });
});

describe('who may read', () => {
  let qa: string;
  let qb: string;
  beforeAll(async () => {
    qa = await createQuestionnaire(app, admin, bankA, 'A 问卷');
    qb = await createQuestionnaire(app, admin, bankB, 'B 问卷');
  });

  test("bank users read their own bank only: another bank's questionnaire is 404", async () => {
    for (const who of ['managerA', 'hrA'] as const) {
      const t = users[who].token;
      expect((await get(`/${qa}`, t)).status).toBe(200);
      expect((await get(`/${qa}/versions/1`, t)).status).toBe(200);
      expect((await get(`/${qb}`, t)).status).toBe(404);
      expect((await get(`/${qb}/versions/1`, t)).status).toBe(404);
      expect((await get(`/${qb}/versions`, t)).status).toBe(404);
      const list = await get('', t);
      expect(list.status).toBe(200);
      expect(list.body.length).toBeGreaterThan(0);
      expect(list.body.every((q: { bankId: string }) => q.bankId === bankA)).toBe(true);
      expect((await get(`?bankId=${bankB}`, t)).status).toBe(404);
    }
  });

  test('admin and reviewer read every bank, and may filter by bank', async () => {
    for (const t of [admin, users.reviewer.token]) {
      expect((await get(`/${qb}`, t)).status).toBe(200);
      const ids = (await get('', t)).body.map((q: { id: string }) => q.id);
      expect(ids).toEqual(expect.arrayContaining([qa, qb]));
      const onlyB = (await get(`?bankId=${bankB}`, t)).body;
      expect(onlyB.map((q: { id: string }) => q.id)).toEqual([qb]);
    }
  });

  test('an auditor reads only the questionnaires of their own assignments', async () => {
    const t = users.auditor.token;
    expect((await get(`/${qb}`, t)).status).toBe(404);
    expect((await get('', t)).body).toEqual([]);
    await Assignment.create({
      bankId: bankB,
      branchCode: 'B01',
      region: '华东',
      auditorId: users.auditor.id,
      questionnaireId: qb,
      quarter: '2026-Q3',
      windowStart: new Date('2026-07-01'),
      windowEnd: new Date('2026-07-31'),
      scenario: '理财咨询',
    });
    expect((await get(`/${qb}`, t)).status).toBe(200);
    expect((await get(`/${qb}/versions/1`, t)).status).toBe(200);
    expect((await get(`/${qa}`, t)).status).toBe(404);
    expect((await get('', t)).body.map((q: { id: string }) => q.id)).toEqual([qb]);
  });

  test('unknown ids and versions are 404', async () => {
    expect((await get('/aaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await get('/not-an-id')).status).toBe(404);
    expect((await get(`/${qa}/versions/99`)).status).toBe(404);
    expect((await get(`/${qa}/versions/abc`)).status).toBe(404);
    expect(
      (await put('aaaaaaaaaaaaaaaaaaaaaaaa', { name: 'x', sections: smallQuestionnaire(bankA).sections })).status,
    ).toBe(404);
  });
});

describe('edits make new versions', () => {
  test('edit → version 2; version 1 stays readable and unchanged', async () => {
    const id = await createQuestionnaire(app, admin, bankA, '旧名称');
    const v1 = (await get(`/${id}/versions/1`)).body;

    const { bankId: _b, ...body } = smallQuestionnaire(bankA, '新名称');
    body.sections[0].items.push({ key: 'g_new', text: { zh: '新问题', en: 'New item' }, type: 'scale', weight: 3 });
    const res = await put(id, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, version: 2 });

    const latest = (await get(`/${id}`)).body;
    expect(latest).toMatchObject({ version: 2, latestVersion: 2, name: '新名称' });
    expect(latest.sections[0].items.map((i: { key: string }) => i.key)).toEqual(['g_greet', 'g_wait', 'g_new']);

    const again = (await get(`/${id}/versions/1`)).body;
    expect({ ...again, latestVersion: undefined }).toEqual({ ...v1, latestVersion: undefined });
    expect(again.name).toBe('旧名称');
    expect(again.sections[0].items).toHaveLength(2);

    const versions = (await get(`/${id}/versions`)).body;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const listed = (await get(`?bankId=${bankA}`)).body.find((q: { id: string }) => q.id === id);
    expect(listed).toMatchObject({ latestVersion: 2, name: '新名称' });
  });

  test('an invalid edit is 422 and makes no version; bankId cannot be changed', async () => {
    const id = await createQuestionnaire(app, admin, bankA);
    const { bankId: _b, ...body } = smallQuestionnaire(bankA);
    body.sections[2].items[0].weight = 0;
    const bad = await put(id, body);
    expect(bad.status).toBe(422);
    expect(fieldsOf(bad)).toEqual(['sections.2.items.0.weight']);
    const moved = await put(id, { ...smallQuestionnaire(bankB) });
    expect(moved.status).toBe(422);
    expect((await get(`/${id}/versions`)).body).toHaveLength(1);
  });

  test('five concurrent edits take versions 2..6, each exactly once', async () => {
    const id = await createQuestionnaire(app, admin, bankA, 'v1');
    const { bankId: _b, sections } = smallQuestionnaire(bankA);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => put(id, { name: `edit ${n}`, sections })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const versions = (await get(`/${id}/versions`)).body.map((v: { version: number }) => v.version);
    expect(versions).toEqual([6, 5, 4, 3, 2, 1]);
    const latest = (await get(`/${id}`)).body;
    expect(latest.version).toBe(6);
    // The name shown is the one saved as version 6, not whichever request finished last.
    const sixth = results.findIndex((r) => r.body.version === 6);
    expect(latest.name).toBe(`edit ${sixth + 1}`);
    const listed = (await get(`?bankId=${bankA}`)).body.find((q: { id: string }) => q.id === id);
    expect(listed).toMatchObject({ latestVersion: 6, name: `edit ${sixth + 1}` });
  });
});
