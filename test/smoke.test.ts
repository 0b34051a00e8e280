import request from 'supertest';
import type { Express } from 'express';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';

let app: Express;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(stopTestApp);

test('healthz and token', async () => {
  const h = await request(app).get('/healthz');
  expect(h.status).toBe(200);
  const token = await tokenFor(app, ADMIN.email, ADMIN.password);
  const b = await request(app)
    .post('/api/v1/banks')
    .set(bearer(token))
    .send({ code: 'B1', name: '测试银行', reportRecipients: ['a@b.cn'] });
  expect(b.status).toBe(201);
  const l = await request(app).get('/login');
  expect(l.status).toBe(200);
});
