import type { Express } from 'express';
import request from 'supertest';
import { bankTimezone, branchNames } from '../server/banks/lookups';
import { Bank, Branch } from '../server/banks/model';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeBank, makeBranch, type Fixture } from './helpers/foundation';

/**
 * Branch names and bank time zones are kept briefly in memory (FerretDB scans for anything but {_id}).
 * A change made through this instance shows at once; one made elsewhere (another instance) within the TTL.
 */
let app: Express;
let f: Fixture;

beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
});
afterAll(stopTestApp);

test('a branch renamed by import shows its new name at once; a rename made elsewhere waits for the TTL', async () => {
  const bankId = await makeBank(f, 'LK1');
  await makeBranch(f, bankId, 'B1', 'East', '旧名支行');
  expect((await branchNames([{ bankId, code: 'B1' }])).get(`${bankId}|B1`)).toBe('旧名支行');

  const csv = 'code,name,region\nB1,新名支行,East\n';
  const res = await request(app)
    .post(`/api/v1/banks/${bankId}/branches/import`)
    .set(bearer(f.adminToken))
    .attach('file', Buffer.from(csv), 'b.csv');
  expect(res.status).toBe(200);
  expect((await branchNames([{ bankId, code: 'B1' }])).get(`${bankId}|B1`)).toBe('新名支行');

  await Branch.updateOne({ bankId, code: 'B1' }, { $set: { name: '别处改名' } });
  expect((await branchNames([{ bankId, code: 'B1' }])).get(`${bankId}|B1`)).toBe('新名支行');
  // A branch not in the database is absent, and not remembered as absent.
  expect((await branchNames([{ bankId, code: 'B2' }])).has(`${bankId}|B2`)).toBe(false);
  await makeBranch(f, bankId, 'B2', 'East', '新开支行');
  expect((await branchNames([{ bankId, code: 'B2' }])).get(`${bankId}|B2`)).toBe('新开支行');
});

test('a bank time zone changed through the app is used at once', async () => {
  const bankId = await makeBank(f, 'LK2', { timezone: 'Asia/Shanghai' });
  expect(await bankTimezone(bankId)).toBe('Asia/Shanghai');
  await request(app)
    .patch(`/api/v1/banks/${bankId}`)
    .set(bearer(f.adminToken))
    .send({ timezone: 'Europe/London' })
    .expect(200);
  expect(await bankTimezone(bankId)).toBe('Europe/London');
  await Bank.updateOne({ _id: bankId }, { $set: { timezone: 'Asia/Tokyo' } });
  expect(await bankTimezone(bankId)).toBe('Europe/London');
});
