import type { Express } from 'express';
import request from 'supertest';
import { bearer, tokenFor } from './app';

/** Fixture builders for the set-up API (banks, branches, staff, users), all through the real routes. */

export interface Fixture {
  app: Express;
  adminToken: string;
}

async function expectCreated(res: request.Response, what: string): Promise<Record<string, unknown>> {
  if (res.status !== 201) throw new Error(`creating ${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

export async function makeBank(f: Fixture, code: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await request(f.app)
    .post('/api/v1/banks')
    .set(bearer(f.adminToken))
    .send({ code, name: `银行 ${code}`, reportRecipients: [], ...extra });
  return (await expectCreated(res, `bank ${code}`)).id as string;
}

export async function makeBranch(
  f: Fixture,
  bankId: string,
  code: string,
  region: string,
  name = `支行 ${code}`,
): Promise<string> {
  const res = await request(f.app)
    .post(`/api/v1/banks/${bankId}/branches`)
    .set(bearer(f.adminToken))
    .send({ code, name, region });
  return (await expectCreated(res, `branch ${code}`)).id as string;
}

export async function makeStaff(
  f: Fixture,
  bankId: string,
  employeeId: string,
  branchCode: string,
  name = `员工 ${employeeId}`,
): Promise<string> {
  const res = await request(f.app)
    .post(`/api/v1/banks/${bankId}/staff`)
    .set(bearer(f.adminToken))
    .send({ employeeId, name, branchCode });
  return (await expectCreated(res, `staff ${employeeId}`)).id as string;
}

export const PASSWORD = 'Test-password-123';

/** Creates a user through the API and returns its id and a bearer token for it. */
export async function makeUser(
  f: Fixture,
  body: { email: string; role: string; bankId?: string; scope?: unknown; name?: string },
): Promise<{ id: string; token: string }> {
  const res = await request(f.app)
    .post('/api/v1/users')
    .set(bearer(f.adminToken))
    .send({ name: body.email.split('@')[0], password: PASSWORD, ...body });
  const id = (await expectCreated(res, `user ${body.email}`)).id as string;
  return { id, token: await tokenFor(f.app, body.email, PASSWORD) };
}

/** A valid UTF-8 CSV as a spreadsheet program writes it: BOM first, CRLF line ends. */
export function csv(lines: string[]): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}
