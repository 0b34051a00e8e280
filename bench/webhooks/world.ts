import { Types } from 'mongoose';
import { visitBody } from '../visits/settings';
import { demoAnswers } from './answers';
import { BRANCHES, EVENTS, PASSWORD, SECRET, VIOLATED_ITEM } from './settings';
import type { Receiver } from './receivers';

/**
 * The data of one run, set up through the app's services as an administrator would: a bank with an
 * alert recipient, BENCH_BRANCHES branches, the demo questionnaire, auditors, a reviewer and a bank
 * manager with API tokens; the three endpoints (two of the bank, one of the audit firm) pointing at
 * the receivers; and, ready to be approved, EVENTS/5 submitted visits each with a compliance
 * violation. Only the changes made later (approve, dispute, overturn) are what is measured.
 */
export interface WebhookWorld {
  bankId: string;
  reviewerToken: string;
  managerToken: string;
  /** Submitted visits, each to be approved, disputed and overturned: 5 events each. */
  toApprove: string[];
  /** Auditors' tokens and assignments for the stream of submissions that runs alongside. */
  submitters: { token: string; assignments: string[] }[];
}

/** The environment both this process and the app's process run with. */
export function appEnv(uri: string, dbName: string): Record<string, string> {
  return {
    MONGODB_URI: uri,
    DB_NAME: dbName,
    NODE_ENV: 'development',
    SESSION_SECRET: SECRET,
    WEBHOOK_SECRET_KEY: SECRET,
    // The reviewer and the bank manager call the API with tokens; a second factor is a sign-in matter.
    MFA_REQUIRED_ROLES: 'none',
    // Every token, session and hash is made once at set-up; a cheaper hash only shortens that.
    PASSWORD_HASH_LOG_N: '12',
  };
}

const CONCURRENCY = 8;
/** The staff a visit names: described, not by employee id (the visits go round many branches). */
export const STAFF = [{ description: '大堂经理，女，约30岁' }];

async function inParallel<T>(items: T[], work: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

export async function prepareWorld(
  uri: string,
  dbName: string,
  receivers: Receiver[],
  submissions: number,
): Promise<WebhookWorld> {
  const { loadConfig, setConfig } = await import('../../server/platform/config');
  setConfig(loadConfig({ ...process.env, ...appEnv(uri, dbName), LOG_LEVEL: 'silent' }));
  const { startServices, stopServices } = await import('../../server/bootstrap');
  const { createBank, createBranch } = await import('../../server/banks/service');
  const { createUser } = await import('../../server/users/service');
  const { issueToken } = await import('../../server/auth/service');
  const { Assignment } = await import('../../server/assignments/model');
  const { seedQuestionnaire } = await import('../../seed/questionnaire');
  const { createEndpoint } = await import('../../server/webhooks/service');
  const { createVisit, submitVisit } = await import('../../server/visits/service');
  await startServices();
  try {
    const admin = {
      id: new Types.ObjectId().toHexString(),
      email: 'admin@bench.local',
      name: 'a',
      role: 'admin' as const,
    };
    const bank = await createBank({
      code: 'BNK',
      name: '基准银行',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      reportRecipients: [],
      alertRecipients: ['compliance@bnk.bench'],
    });
    const branches = Array.from({ length: BRANCHES }, (_, i) => ({
      code: `B${String(i + 1).padStart(4, '0')}`,
      region: `区域${Math.floor(i / 50) + 1}`,
    }));
    await inParallel(branches, async (b, i) => {
      await createBranch(admin, bank.id, { code: b.code, name: `支行${i + 1}`, region: b.region, city: '上海' });
    });
    const q = await seedQuestionnaire(admin, bank.id);
    const user = async (email: string, role: 'auditor' | 'reviewer' | 'bank_manager') => {
      const u = await createUser({
        email,
        password: PASSWORD,
        name: email.split('@')[0],
        role,
        ...(role === 'bank_manager' ? { bankId: bank.id, scope: { type: 'bank' as const } } : {}),
      });
      return { id: u.id, token: (await issueToken(email, PASSWORD)).token };
    };
    const reviewer = await user('reviewer@bench.local', 'reviewer');
    const manager = await user('manager@bnk.bench', 'bank_manager');
    const auditors: { id: string; token: string }[] = [];
    for (let i = 0; i < 4; i++) auditors.push(await user(`auditor${i}@bench.local`, 'auditor'));
    for (const [i, r] of receivers.entries()) {
      const firm = i === receivers.length - 1;
      const e = await createEndpoint(admin, {
        url: r.url,
        ...(firm ? {} : { bankId: bank.id }),
        events: ['visit.approved', 'visit.disputed', 'dispute.resolved', 'alert.violation', 'alert.withdrawn'],
        description: firm ? 'audit firm' : `bank system ${i + 1}`,
      });
      r.secret = e.secret;
    }
    const now = Date.now();
    const assignment = (auditorId: string, i: number) => ({
      _id: new Types.ObjectId(),
      bankId: bank.id,
      branchCode: branches[i % branches.length].code,
      region: branches[i % branches.length].region,
      auditorId,
      questionnaireId: q.id,
      quarter: '2026-Q4',
      windowStart: new Date(now - 20 * 86400_000),
      windowEnd: new Date(now + 20 * 86400_000),
      scenario: '咨询并购买一款R2级理财产品',
    });
    const changed = Array.from({ length: Math.ceil(EVENTS / 5) }, (_, i) => assignment(auditors[i % 4].id, i));
    const streamed = Array.from({ length: submissions }, (_, i) => assignment(auditors[i % 4].id, i));
    const all = [...changed, ...streamed];
    for (let i = 0; i < all.length; i += 500) await Assignment.insertMany(all.slice(i, i + 500));

    const violating = demoAnswers(VIOLATED_ITEM);
    const toApprove: string[] = [];
    await inParallel(changed, async (a) => {
      const auditor = auditors.find((x) => x.id === a.auditorId)!;
      const p = { id: auditor.id, email: 'x@bench.local', name: 'x', role: 'auditor' as const };
      const body = { ...visitBody(String(a._id), violating), staff: STAFF } as Parameters<typeof createVisit>[1];
      const v = await createVisit(p, body);
      await submitVisit(p, v.id);
      toApprove.push(v.id);
    });
    const submitters = auditors.map((x) => ({
      token: x.token,
      assignments: streamed.filter((a) => a.auditorId === x.id).map((a) => String(a._id)),
    }));
    return { bankId: bank.id, reviewerToken: reviewer.token, managerToken: manager.token, toApprove, submitters };
  } finally {
    await stopServices();
  }
}
