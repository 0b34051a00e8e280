import type { Express } from 'express';
import { Types } from 'mongoose';
import request from 'supertest';
import { Questionnaire, QuestionnaireVersion } from '../../server/questionnaires/model';
import { ADMIN, bearer, tokenFor } from './app';

/**
 * Fixtures for assignments, visits and evidence. Banks, branches, staff and users go through the
 * real API; questionnaires are inserted through the models (their API is another feature's).
 */
export const PASSWORD = 'Visit-test-pass-1';

async function created(res: request.Response, what: string): Promise<Record<string, unknown>> {
  if (res.status !== 201) throw new Error(`creating ${what} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
}

export interface Actor {
  id: string;
  token: string;
}

export class VisitWorld {
  adminToken = '';
  constructor(readonly app: Express) {}

  static async create(app: Express): Promise<VisitWorld> {
    const w = new VisitWorld(app);
    w.adminToken = await tokenFor(app, ADMIN.email, ADMIN.password);
    return w;
  }

  async bank(code: string, timezone = 'Asia/Shanghai'): Promise<string> {
    const res = await request(this.app)
      .post('/api/v1/banks')
      .set(bearer(this.adminToken))
      .send({ code, name: `银行 ${code}`, timezone, reportRecipients: [] });
    return (await created(res, `bank ${code}`)).id as string;
  }

  async branch(bankId: string, code: string, region: string): Promise<void> {
    const res = await request(this.app)
      .post(`/api/v1/banks/${bankId}/branches`)
      .set(bearer(this.adminToken))
      .send({ code, name: `支行 ${code}`, region });
    await created(res, `branch ${code}`);
  }

  async staff(bankId: string, employeeId: string, branchCode: string): Promise<void> {
    const res = await request(this.app)
      .post(`/api/v1/banks/${bankId}/staff`)
      .set(bearer(this.adminToken))
      .send({ employeeId, name: `员工 ${employeeId}`, branchCode });
    await created(res, `staff ${employeeId}`);
  }

  async user(email: string, role: string, extra: { bankId?: string; scope?: unknown } = {}): Promise<Actor> {
    const res = await request(this.app)
      .post('/api/v1/users')
      .set(bearer(this.adminToken))
      .send({ email, password: PASSWORD, name: email.split('@')[0], role, ...extra });
    const id = (await created(res, `user ${email}`)).id as string;
    return { id, token: await tokenFor(this.app, email, PASSWORD) };
  }

  async assignment(body: Record<string, unknown>): Promise<string> {
    const res = await request(this.app).post('/api/v1/assignments').set(bearer(this.adminToken)).send(body);
    return (await created(res, 'assignment')).id as string;
  }
}

type RawItem = {
  key: string;
  type: 'yes_no' | 'scale';
  weight?: number;
  critical?: boolean;
  allowNA?: boolean;
  required?: boolean;
};
type RawSection = { key: string; weight?: number; items: RawItem[] };

/**
 * The test questionnaire. Hand-computed reference for ANSWERS below:
 * greeting 100·(2·1 + 1·0.75)/3 = 91.666…, product_knowledge 50 (p1 N/A), sales_compliance 50,
 * follow_up 100; total (25·91.666… + 25·50 + 30·50 + 20·100)/100 = 70.41666…
 */
export const SECTIONS: RawSection[] = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      { key: 'g1', type: 'yes_no', weight: 2 },
      { key: 'g2', type: 'scale', weight: 1 },
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      { key: 'p1', type: 'yes_no', weight: 1, allowNA: true },
      { key: 'p2', type: 'scale', weight: 1, required: false },
    ],
  },
  {
    key: 'sales_compliance',
    weight: 30,
    items: [
      { key: 'c1', type: 'yes_no', weight: 1, critical: true },
      { key: 'c2', type: 'yes_no', weight: 1 },
    ],
  },
  { key: 'follow_up', weight: 20, items: [{ key: 'f1', type: 'yes_no', weight: 1, allowNA: true }] },
];
export const ANSWERS = [
  { itemKey: 'g1', value: 'yes' },
  { itemKey: 'g2', value: 4 },
  { itemKey: 'p1', value: 'na' },
  { itemKey: 'p2', value: 3 },
  { itemKey: 'c1', value: 'yes' },
  { itemKey: 'c2', value: 'no' },
  { itemKey: 'f1', value: 'yes' },
];
export const EXPECTED = {
  greeting: (100 * 2.75) / 3,
  product_knowledge: 50,
  sales_compliance: 50,
  follow_up: 100,
  total: ((25 * (100 * 2.75)) / 3 + 25 * 50 + 30 * 50 + 20 * 100) / 100,
};

/**
 * Inserts a questionnaire and its versions through the models. Versions go in through the raw
 * collection so that omitted weights/flags really are absent and the documented defaults are tested.
 */
export async function insertQuestionnaire(
  bankId: string,
  versions: RawSection[][] = [SECTIONS],
  name = '标准问卷',
): Promise<string> {
  const q = await Questionnaire.create({ bankId, name, latestVersion: versions.length });
  await QuestionnaireVersion.collection.insertMany(
    versions.map((sections, i) => ({
      questionnaireId: q._id,
      bankId: new Types.ObjectId(bankId),
      version: i + 1,
      name,
      sections: sections.map((s) => ({
        ...s,
        items: s.items.map((it) => ({ ...it, text: { zh: `题目 ${it.key}`, en: `Item ${it.key}` } })),
      })),
      createdAt: new Date(),
      updatedAt: new Date(),
    })),
  );
  return String(q._id);
}

/** A visit time inside a window that spans "now" ± 30 days, so no time flag fires unless a test wants one. */
export function windowAroundNow(): { windowStart: string; windowEnd: string } {
  return {
    windowStart: new Date(Date.now() - 30 * 86400_000).toISOString(),
    windowEnd: new Date(Date.now() + 30 * 86400_000).toISOString(),
  };
}

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
