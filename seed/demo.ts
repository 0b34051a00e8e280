import type { Principal } from '../server/platform/access';
import { config } from '../server/platform/config';
import { ConflictError } from '../server/platform/errors';
import { ScheduleMark } from '../server/platform/jobs/model';
import { anyBankExists, createBank, createBranch, createStaff } from '../server/banks/service';
import { claimedAt, tryClaim } from '../server/platform/db/write-claims';
import { createUser, firstAdmin } from '../server/users/service';
import type { CreateUserInput } from '../server/users/schema';
import { countVisitsByQuarterAndStatus } from '../server/visits/service';
import { harbourBranches, harbourStaff, jiangnanBranches, jiangnanStaff, type SeedBranch, type SeedStaff } from './org';
import { demoQuestionnaireBody, seedQuestionnaire } from './questionnaire';
import { seedCalibration } from './calibration';
import { seedVisits, type BankRound } from './visits';

/** Every demo user shares this password; it is printed by the seed and listed in the README. */
export const DEMO_PASSWORD = 'Demo-pass-2026';

const SYSTEM: Principal = { id: '000000000000000000000000', email: 'seed@system', name: 'seed', role: 'admin' };

export interface SeededOrg {
  jiangnanId: string;
  harbourId: string;
  users: { id: string; email: string; name: string; role: string; note: string }[];
}

async function seedBank(
  code: string,
  name: string,
  timezone: string,
  language: 'zh' | 'en',
  recipients: string[],
  branches: SeedBranch[],
  staff: SeedStaff[],
): Promise<string> {
  const bank = await createBank({ code, name, timezone, language, reportRecipients: recipients });
  for (const b of branches) await createBranch(SYSTEM, bank.id, b);
  for (const s of staff) await createStaff(SYSTEM, bank.id, s);
  return bank.id;
}

export async function seedOrganisation(): Promise<SeededOrg> {
  const jnBranches = jiangnanBranches();
  const jiangnanId = await seedBank(
    'JNCB',
    '江南商业银行',
    'Asia/Shanghai',
    'zh',
    ['report@jiangnan.demo', 'audit-office@jiangnan.demo'],
    jnBranches,
    jiangnanStaff(jnBranches),
  );
  const hbBranches = harbourBranches();
  const harbourId = await seedBank(
    'HBK',
    'Harbour Bank',
    'Asia/Hong_Kong',
    'en',
    ['quality@harbour.demo'],
    hbBranches,
    harbourStaff(hbBranches),
  );

  const users: (CreateUserInput & { note: string })[] = [
    { email: 'auditor1@demo.local', name: '张晓明', role: 'auditor', password: DEMO_PASSWORD, note: 'mystery shopper' },
    { email: 'auditor2@demo.local', name: 'Li Na', role: 'auditor', password: DEMO_PASSWORD, note: 'mystery shopper' },
    {
      email: 'auditor3@demo.local',
      name: '孙严',
      role: 'auditor',
      password: DEMO_PASSWORD,
      note: 'mystery shopper who scores harshly (flagged on /calibration)',
    },
    {
      email: 'auditor4@demo.local',
      name: '周宽',
      role: 'auditor',
      password: DEMO_PASSWORD,
      note: 'mystery shopper who scores leniently (flagged on /calibration)',
    },
    {
      email: 'reviewer@demo.local',
      name: '王审核',
      role: 'reviewer',
      password: DEMO_PASSWORD,
      note: 'quality control',
    },
    {
      email: 'manager@jiangnan.demo',
      name: '陈行长',
      role: 'bank_manager',
      bankId: jiangnanId,
      scope: { type: 'bank' },
      password: DEMO_PASSWORD,
      note: '江南商业银行 head office (whole bank)',
    },
    {
      email: 'east@jiangnan.demo',
      name: '刘经理',
      role: 'bank_manager',
      bankId: jiangnanId,
      scope: { type: 'region', region: '华东区' },
      password: DEMO_PASSWORD,
      note: '江南商业银行 华东区 region manager',
    },
    {
      email: 'branch@jiangnan.demo',
      name: '周主任',
      role: 'bank_manager',
      bankId: jiangnanId,
      scope: { type: 'branches', branchCodes: [jnBranches[0].code] },
      password: DEMO_PASSWORD,
      note: `江南商业银行 ${jnBranches[0].name} branch manager`,
    },
    {
      email: 'hr@jiangnan.demo',
      name: '赵人事',
      role: 'hr',
      bankId: jiangnanId,
      scope: { type: 'bank' },
      password: DEMO_PASSWORD,
      note: '江南商业银行 HR',
    },
    {
      email: 'manager@harbour.demo',
      name: 'Grace Ho',
      role: 'bank_manager',
      bankId: harbourId,
      scope: { type: 'bank' },
      password: DEMO_PASSWORD,
      note: 'Harbour Bank head office',
      locale: 'en',
    },
    {
      email: 'hr@harbour.demo',
      name: 'Ken Lau',
      role: 'hr',
      bankId: harbourId,
      scope: { type: 'bank' },
      password: DEMO_PASSWORD,
      note: 'Harbour Bank HR',
      locale: 'en',
    },
  ];
  const created: SeededOrg['users'] = [];
  for (const { note, ...u } of users) {
    const view = await createUser(u);
    created.push({ id: view.id, email: u.email, name: u.name, role: u.role, note });
  }
  return { jiangnanId, harbourId, users: created };
}

function principal(org: SeededOrg, email: string): Principal {
  const u = org.users.find((x) => x.email === email);
  if (!u) throw new Error(`demo user ${email} is missing`);
  return { id: u.id, email: u.email, name: u.name, role: u.role as Principal['role'] };
}

/** The audit firm's admin (created at start-up from ADMIN_EMAIL), who plans the rounds. */
async function firmAdmin(): Promise<Principal> {
  const admin = await firstAdmin();
  return admin ? { id: admin.id, email: admin.email, name: admin.name, role: 'admin' } : SYSTEM;
}

/** Two rounds a quarter: JNCB's 40 branches in Chinese (two shoppers by region), Harbour Bank's six in English. */
async function seedRounds(org: SeededOrg): Promise<string> {
  const admin = await firmAdmin();
  const [jnQ, hbQ] = [
    await seedQuestionnaire(admin, org.jiangnanId),
    await seedQuestionnaire(admin, org.harbourId, 'Branch mystery shopping — wealth products'),
  ];
  const zhang = principal(org, 'auditor1@demo.local');
  const liNa = principal(org, 'auditor2@demo.local');
  const harsh = principal(org, 'auditor3@demo.local');
  const lenient = principal(org, 'auditor4@demo.local');
  // Outside 华南区 a branch's second visit of a quarter goes to the harsh or the lenient auditor
  // (every other branch), so the field leniency of SPEC §12 has colleagues to compare with, and
  // 张晓明, who meets each of them equally often, comes out fair.
  const LEAN = new Map([
    [harsh.id, -0.16],
    [lenient.id, 0.35],
  ]);
  const odd = (code: string) => Number(code.slice(-1)) % 2 === 1;
  const rounds: BankRound[] = [
    {
      bankId: org.jiangnanId,
      lang: 'zh',
      timezone: 'Asia/Shanghai',
      questionnaireId: jnQ.id,
      sections: demoQuestionnaireBody(org.jiangnanId).sections,
      branches: jiangnanBranches(),
      auditorFor: (b, visit) => (b.region === '华南区' ? liNa : visit === 1 ? zhang : odd(b.code) ? harsh : lenient),
      leanOf: (id) => LEAN.get(id) ?? 0,
      coverage: 0.8,
      visitsPerBranch: [2, 2],
      seed: 2026,
    },
    {
      bankId: org.harbourId,
      lang: 'en',
      timezone: 'Asia/Hong_Kong',
      questionnaireId: hbQ.id,
      sections: demoQuestionnaireBody(org.harbourId).sections,
      branches: harbourBranches(),
      auditorFor: () => liNa,
      coverage: 1,
      visitsPerBranch: [1, 2],
      seed: 852,
    },
  ];
  const reviewer = principal(org, 'reviewer@demo.local');
  const result = await seedVisits(rounds, admin, reviewer);
  const calibration = await seedCalibration(admin, reviewer, jnQ.id, { fair: zhang, fair2: liNa, harsh, lenient });
  return `${await visitSummary(result.assignments, result.attachments)}\n${calibration}`;
}

/** Counted from the database, so the summary says what is really there. */
async function visitSummary(assignments: number, attachments: number): Promise<string> {
  const byQuarter = await countVisitsByQuarterAndStatus();
  const total = [...byQuarter.values()].reduce((n, q) => n + [...q.values()].reduce((a, b) => a + b, 0), 0);
  const lines = [...byQuarter.keys()].sort().map((q) => {
    const counts = [...(byQuarter.get(q) as Map<string, number>)].sort().map(([status, n]) => `${n} ${status}`);
    return `  ${q}: ${counts.join(', ')}`;
  });
  return [
    `Visits: ${total} on ${assignments} assignments (${assignments - total} still open), ${attachments} evidence photos:`,
    ...lines,
  ].join('\n');
}

/** Written when a demo seed has finished, so that an interrupted one is not mistaken for demo data. */
const SEED_DONE = 'seed:demo-complete';

/**
 * The demo accounts' passwords are published (README, the seed's own output): in production they
 * would let anyone in. So a production database gets them only when the operator asks for it in so
 * many words (`seed --allow-production`, `scripts/up.sh --demo`), e.g. for a demonstration system.
 */
export function demoSeedRefusal(env: { NODE_ENV: string }, allowProduction: boolean): string | undefined {
  if (env.NODE_ENV !== 'production' || allowProduction) return undefined;
  return [
    'Not loading the demo data: NODE_ENV=production, and the demo accounts have published passwords.',
    'The first admin of a production system comes from ADMIN_EMAIL and ADMIN_PASSWORD.',
    'To load the demo data into this database anyway (a demonstration system), run: node dist/server/cli.js seed --allow-production',
  ].join('\n');
}

export async function seedDemo(opts: { ifEmpty: boolean; allowProduction?: boolean }): Promise<string> {
  const refusal = demoSeedRefusal(config(), opts.allowProduction ?? false);
  if (refusal) throw new ConflictError(refusal, 'demo_seed_refused');
  if (opts.ifEmpty && (await anyBankExists())) {
    if ((await claimedAt(SEED_DONE)) || (await ScheduleMark.exists({ _id: SEED_DONE })))
      return 'Demo data already present; nothing seeded.';
    // Never wiped automatically: the database may hold real work. The operator decides.
    return [
      'Data already present, but no record that a demo seed finished: if an earlier seed was interrupted,',
      `the demo data is incomplete. To start again, stop the app, delete ${config().DATA_DIR} and run the first command again.`,
    ].join('\n');
  }
  const org = await seedOrganisation();
  const visits = await seedRounds(org);
  // A permanent claim: the record that the demo seed finished.
  await tryClaim(SEED_DONE);
  const lines = [
    'Demo data loaded: 江南商业银行 (JNCB, 3 regions, 40 branches, 200 staff) and Harbour Bank (HBK, 6 branches, 30 staff),',
    'one questionnaire per bank, and four quarters of mystery-shopping visits (past quarters approved; the current one in every state).',
    visits,
    '',
    'Sign in at the app with:',
    `  ${String(config().ADMIN_EMAIL).padEnd(26)} ${String(config().ADMIN_PASSWORD).padEnd(16)} admin (audit-firm operations; from ADMIN_EMAIL/ADMIN_PASSWORD)`,
    ...org.users.map((u) => `  ${u.email.padEnd(26)} ${DEMO_PASSWORD.padEnd(16)} ${u.role} — ${u.note}`),
  ];
  return lines.join('\n');
}
