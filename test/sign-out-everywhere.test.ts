import type { Express } from 'express';
import request from 'supertest';
import { SessionRecord } from '../server/platform/db/session-store';
import { ensureFirstAdmin } from '../server/users/service';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { makeUser, signIn } from './helpers/web';

let app: Express;
let adminToken: string;
beforeAll(async () => {
  app = await startTestApp();
  adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
});
afterAll(stopTestApp);

describe('ending sessions on password reset and deactivation', () => {
  test("a password reset ends the user's web session even if the session record is written again", async () => {
    const u = await makeUser(app, adminToken, { email: 'reviewer.epoch@test.local', role: 'reviewer' });
    const agent = await signIn(app, 'reviewer.epoch@test.local', 'Passw0rd-long-enough');
    expect((await agent.get('/')).status).toBe(200);
    const saved = await SessionRecord.find({ userId: u.id }).lean();
    expect(saved.length).toBe(1);

    const r = await request(app)
      .patch(`/api/v1/users/${u.id}`)
      .set(bearer(adminToken))
      .send({ password: 'Another-passw0rd-1' });
    expect(r.status).toBe(200);
    // A request that was in flight during the reset re-saves the old session: it must still not sign anyone in.
    await SessionRecord.insertMany(saved);
    const after = await agent.get('/');
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
  });

  test('deactivation ends the session; reactivation does not revive it', async () => {
    const u = await makeUser(app, adminToken, { email: 'hr.epoch@test.local', role: 'reviewer' });
    const agent = await signIn(app, 'hr.epoch@test.local', 'Passw0rd-long-enough');
    await request(app).patch(`/api/v1/users/${u.id}`).set(bearer(adminToken)).send({ active: false }).expect(200);
    await request(app).patch(`/api/v1/users/${u.id}`).set(bearer(adminToken)).send({ active: true }).expect(200);
    expect((await agent.get('/')).status).toBe(303);
  });
});

describe('first admin', () => {
  test('ADMIN_EMAIL that belongs to a non-admin user is a clear error, not a crash with a stack', async () => {
    await makeUser(app, adminToken, { email: 'taken@test.local', role: 'auditor' });
    // Simulate a database with no admin: the check looks for any admin user first.
    const { User } = await import('../server/users/model');
    await User.updateMany({ role: 'admin' }, { $set: { role: 'reviewer' } });
    try {
      await expect(ensureFirstAdmin('taken@test.local', 'Whatever-pass-1')).rejects.toMatchObject({
        code: 'admin_email_taken',
      });
    } finally {
      await User.updateMany({ email: ADMIN.email }, { $set: { role: 'admin' } });
    }
  });
});
