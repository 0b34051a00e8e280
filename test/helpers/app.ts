import type { Express } from 'express';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp } from '../../server/app';
import { startServices, stopServices } from '../../server/bootstrap';
import { config } from '../../server/platform/config';

export const ADMIN = { email: 'admin@test.local', password: 'Admin-test-pass-1' };

/** Starts the real app on this file's own, freshly emptied database. Call in beforeAll. */
export async function startTestApp(): Promise<Express> {
  await mongoose.connect(`${config().MONGODB_URI}`, { dbName: config().DB_NAME });
  await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
  await startServices();
  return createApp();
}

export async function stopTestApp(): Promise<void> {
  await stopServices();
}

/** Like a process restart: stops the services and starts them again on the same database (nothing dropped). */
export async function restartTestApp(): Promise<Express> {
  await stopServices();
  await startServices();
  return createApp();
}

export async function tokenFor(app: Express, email: string, password: string): Promise<string> {
  const res = await request(app).post('/api/v1/auth/token').send({ email, password });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
