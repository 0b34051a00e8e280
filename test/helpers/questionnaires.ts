import type { Express } from 'express';
import request from 'supertest';
import { bearer, tokenFor } from './app';

/** Fixture builders for tests that need a bank, users of each role, or a questionnaire. */

export interface ItemBody {
  key: string;
  text: { zh: string; en: string };
  type: 'yes_no' | 'scale';
  weight?: number;
  critical?: boolean;
  allowNA?: boolean;
  required?: boolean;
}
export interface SectionBody {
  key: string;
  weight?: number;
  items: ItemBody[];
}

const item = (key: string, type: 'yes_no' | 'scale' = 'yes_no', extra: Partial<ItemBody> = {}): ItemBody => ({
  key,
  text: { zh: `问题 ${key}`, en: `Question ${key}` },
  type,
  ...extra,
});

/** A small valid body: two items per section, one of them a critical compliance item. */
export function smallQuestionnaire(
  bankId: string,
  name = '标准问卷',
): { bankId: string; name: string; sections: SectionBody[] } {
  return {
    bankId,
    name,
    sections: [
      { key: 'greeting', items: [item('g_greet'), item('g_wait', 'scale')] },
      { key: 'product_knowledge', items: [item('p_features'), item('p_fees', 'scale', { weight: 2 })] },
      {
        key: 'sales_compliance',
        items: [item('c_risk', 'yes_no', { critical: true }), item('c_record', 'yes_no', { allowNA: true })],
      },
      { key: 'follow_up', items: [item('f_contact'), item('f_call', 'yes_no', { required: false })] },
    ],
  };
}

export async function createBank(app: Express, adminToken: string, code: string): Promise<string> {
  const res = await request(app)
    .post('/api/v1/banks')
    .set(bearer(adminToken))
    .send({ code, name: `银行 ${code}`, reportRecipients: [] });
  if (res.status !== 201) throw new Error(`bank ${code}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

export const USER_PASSWORD = 'User-test-pass-1';

/** Creates a user and returns their token and id. */
export async function userWithToken(
  app: Express,
  adminToken: string,
  u: { email: string; role: string; bankId?: string; scope?: unknown },
): Promise<{ id: string; token: string }> {
  const res = await request(app)
    .post('/api/v1/users')
    .set(bearer(adminToken))
    .send({ name: u.email.split('@')[0], password: USER_PASSWORD, ...u });
  if (res.status !== 201) throw new Error(`user ${u.email}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, token: await tokenFor(app, u.email, USER_PASSWORD) };
}

export async function createQuestionnaire(
  app: Express,
  adminToken: string,
  bankId: string,
  name?: string,
): Promise<string> {
  const res = await request(app)
    .post('/api/v1/questionnaires')
    .set(bearer(adminToken))
    .send(smallQuestionnaire(bankId, name));
  if (res.status !== 201) throw new Error(`questionnaire: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
