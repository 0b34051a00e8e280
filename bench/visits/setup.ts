import { Types } from 'mongoose';
import { CLIENTS, PASSWORD, PER_CLIENT, SOLO_S, WARMUP_S } from './settings';

/** The data of one run of the app: set up through the services, as an administrator would. */

export interface AppWorld {
  bankId: string;
  questionnaireId: string;
  clients: { token: string; auditorId: string; assignments: string[] }[];
}

/** A bank, one branch with staff, the demo questionnaire, one auditor per client with a token, assignments. */
export async function prepareApp(uri: string, dbName: string): Promise<AppWorld> {
  const { loadConfig, setConfig } = await import('../../server/platform/config');
  setConfig(
    loadConfig({
      ...process.env,
      MONGODB_URI: uri,
      DB_NAME: dbName,
      LOG_LEVEL: 'silent',
      ADMIN_EMAIL: 'admin@bench.local',
      ADMIN_PASSWORD: PASSWORD,
    }),
  );
  const { startServices, stopServices } = await import('../../server/bootstrap');
  const { createBank, createBranch, createStaff } = await import('../../server/banks/service');
  const { createUser } = await import('../../server/users/service');
  const { issueToken } = await import('../../server/auth/service');
  const { Assignment } = await import('../../server/assignments/model');
  const { seedQuestionnaire } = await import('../../seed/questionnaire');
  await startServices();
  try {
    const admin = {
      id: new Types.ObjectId().toHexString(),
      email: 'admin@bench.local',
      name: 'bench',
      role: 'admin' as const,
    };
    const bank = await createBank({
      code: 'BNK',
      name: '基准银行',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      reportRecipients: [],
    });
    await createBranch(admin, bank.id, { code: 'B001', name: '上海浦东支行', region: '华东区', city: '上海' });
    for (let i = 1; i <= 5; i++)
      await createStaff(admin, bank.id, {
        employeeId: `BE000${i}`,
        name: `员工${i}`,
        branchCode: 'B001',
        position: '理财经理',
      });
    const q = await seedQuestionnaire(admin, bank.id);
    const clients: AppWorld['clients'] = [];
    // One more auditor than clients: the last one submits alone, for the latency without contention.
    for (let i = 0; i <= CLIENTS; i++) {
      const email = `auditor${i}@bench.local`;
      const user = await createUser({ email, password: PASSWORD, name: `Auditor ${i}`, role: 'auditor' });
      clients.push({ token: (await issueToken(email, PASSWORD)).token, auditorId: user.id, assignments: [] });
    }
    // Assignments are set-up data here (the API to create them one by one is not what is measured).
    const now = Date.now();
    // The lone client runs back to back without contention, through warm-up and measurement: give it enough.
    const docs = clients.flatMap((c, i) =>
      Array.from({ length: i === CLIENTS ? Math.max(PER_CLIENT, 120 * (WARMUP_S + SOLO_S)) : PER_CLIENT }, () => {
        const _id = new Types.ObjectId();
        c.assignments.push(String(_id));
        return {
          _id,
          bankId: bank.id,
          branchCode: 'B001',
          region: '华东区',
          auditorId: c.auditorId,
          questionnaireId: q.id,
          quarter: '2026-Q4',
          windowStart: new Date(now - 20 * 86400_000),
          windowEnd: new Date(now + 20 * 86400_000),
          scenario: '咨询并购买一款R2级理财产品',
        };
      }),
    );
    for (let i = 0; i < docs.length; i += 500) await Assignment.insertMany(docs.slice(i, i + 500));
    return { bankId: bank.id, questionnaireId: q.id, clients };
  } finally {
    await stopServices();
  }
}
