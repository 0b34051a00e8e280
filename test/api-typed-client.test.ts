import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import createClient from 'openapi-fetch';
import { ADMIN, startTestApp, stopTestApp } from './helpers/app';
import type { paths } from './client/api-types';

/**
 * The API used the way an integrator would: through a client whose types are generated from
 * /api/v1/openapi.json (openapi-typescript → test/client/api-types.ts) and openapi-fetch, over HTTP.
 * If the document named a field or a path wrongly, this file would not compile.
 */
let server: Server;
let client: ReturnType<typeof createClient<paths>>;

beforeAll(async () => {
  const app = await startTestApp();
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  client = createClient<paths>({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await stopTestApp();
});

test('sign in, set up a bank with a branch, read them back, and get a typed error', async () => {
  const signIn = await client.POST('/api/v1/auth/token', { body: { email: ADMIN.email, password: ADMIN.password } });
  if (!signIn.data) throw new Error(`sign-in failed: ${JSON.stringify(signIn.error)}`);
  expect(signIn.data.user.role).toBe('admin');
  const headers = { Authorization: `Bearer ${signIn.data.token}` };

  const bank = await client.POST('/api/v1/banks', {
    headers,
    body: { code: 'TYPED', name: '类型银行', timezone: 'Asia/Shanghai', reportRecipients: ['head@typed.example'] },
  });
  if (!bank.data) throw new Error(JSON.stringify(bank.error));
  expect(bank.response.status).toBe(201);
  const bankId: string = bank.data.id;

  const branch = await client.POST('/api/v1/banks/{bankId}/branches', {
    headers,
    params: { path: { bankId } },
    body: { code: 'TY1', name: '类型支行', region: '华东区' },
  });
  expect(branch.data?.region).toBe('华东区');

  const listed = await client.GET('/api/v1/banks/{bankId}/branches', {
    headers,
    params: { path: { bankId }, query: { limit: 10 } },
  });
  expect(listed.data?.map((b) => b.code)).toEqual(['TY1']);

  const again = await client.POST('/api/v1/banks/{bankId}/branches', {
    headers,
    params: { path: { bankId } },
    body: { code: 'TY1', name: '重复', region: '华东区' },
  });
  expect(again.response.status).toBe(409);
  expect(again.error?.error.code).toBe('duplicate');

  const me = await client.GET('/api/v1/me', { headers });
  expect(me.data?.email).toBe(ADMIN.email);
});
