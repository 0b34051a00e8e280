import type { Principal } from '../server/core/access';
import { config } from '../server/core/config';
import { Bank } from '../server/banks/model';
import { createBank, createBranch, createStaff } from '../server/banks/service';
import { createUser } from '../server/users/service';
import type { CreateUserInput } from '../server/users/schema';
import { harbourBranches, harbourStaff, jiangnanBranches, jiangnanStaff, type SeedBranch, type SeedStaff } from './org';

/** Every demo user shares this password; it is printed by the seed and listed in the README. */
export const DEMO_PASSWORD = 'Demo-pass-2026';

const SYSTEM: Principal = { id: '000000000000000000000000', email: 'seed@system', name: 'seed', role: 'admin' };

export interface SeededOrg {
  jiangnanId: string;
  harbourId: string;
  users: { email: string; role: string; note: string }[];
}

async function seedBank(code: string, name: string, timezone: string, language: 'zh' | 'en', recipients: string[], branches: SeedBranch[], staff: SeedStaff[]): Promise<string> {
  const bank = await createBank({ code, name, timezone, language, reportRecipients: recipients });
  for (const b of branches) await createBranch(SYSTEM, bank.id, b);
  for (const s of staff) await createStaff(SYSTEM, bank.id, s);
  return bank.id;
}

export async function seedOrganisation(): Promise<SeededOrg> {
  const jnBranches = jiangnanBranches();
  const jiangnanId = await seedBank('JNCB', '江南商业银行', 'Asia/Shanghai', 'zh', ['report@jiangnan.demo', 'audit-office@jiangnan.demo'], jnBranches, jiangnanStaff(jnBranches));
  const hbBranches = harbourBranches();
  const harbourId = await seedBank('HBK', 'Harbour Bank', 'Asia/Hong_Kong', 'en', ['quality@harbour.demo'], hbBranches, harbourStaff(hbBranches));

  const users: (CreateUserInput & { note: string })[] = [
    { email: 'auditor1@demo.local', name: '张晓明', role: 'auditor', password: DEMO_PASSWORD, note: 'mystery shopper' },
    { email: 'auditor2@demo.local', name: 'Li Na', role: 'auditor', password: DEMO_PASSWORD, note: 'mystery shopper' },
    { email: 'reviewer@demo.local', name: '王审核', role: 'reviewer', password: DEMO_PASSWORD, note: 'quality control' },
    { email: 'manager@jiangnan.demo', name: '陈行长', role: 'bank_manager', bankId: jiangnanId, scope: { type: 'bank' }, password: DEMO_PASSWORD, note: '江南商业银行 head office (whole bank)' },
    { email: 'east@jiangnan.demo', name: '刘经理', role: 'bank_manager', bankId: jiangnanId, scope: { type: 'region', region: '华东区' }, password: DEMO_PASSWORD, note: '江南商业银行 华东区 region manager' },
    { email: 'branch@jiangnan.demo', name: '周主任', role: 'bank_manager', bankId: jiangnanId, scope: { type: 'branches', branchCodes: [jnBranches[0].code] }, password: DEMO_PASSWORD, note: `江南商业银行 ${jnBranches[0].name} branch manager` },
    { email: 'hr@jiangnan.demo', name: '赵人事', role: 'hr', bankId: jiangnanId, scope: { type: 'bank' }, password: DEMO_PASSWORD, note: '江南商业银行 HR' },
    { email: 'manager@harbour.demo', name: 'Grace Ho', role: 'bank_manager', bankId: harbourId, scope: { type: 'bank' }, password: DEMO_PASSWORD, note: 'Harbour Bank head office', locale: 'en' },
    { email: 'hr@harbour.demo', name: 'Ken Lau', role: 'hr', bankId: harbourId, scope: { type: 'bank' }, password: DEMO_PASSWORD, note: 'Harbour Bank HR', locale: 'en' },
  ];
  for (const { note: _note, ...u } of users) await createUser(u);
  return { jiangnanId, harbourId, users: users.map((u) => ({ email: u.email, role: u.role, note: u.note })) };
}

export async function seedDemo(opts: { ifEmpty: boolean }): Promise<string> {
  if (opts.ifEmpty && (await Bank.exists({}))) return 'Demo data already present; nothing seeded.';
  const org = await seedOrganisation();
  const lines = [
    'Demo data loaded: 江南商业银行 (JNCB, 3 regions, 40 branches, 200 staff) and Harbour Bank (HBK, 6 branches, 30 staff).',
    '',
    'Sign in at the app with:',
    `  ${String(config().ADMIN_EMAIL).padEnd(26)} ${String(config().ADMIN_PASSWORD).padEnd(16)} admin (audit-firm operations; from ADMIN_EMAIL/ADMIN_PASSWORD)`,
    ...org.users.map((u) => `  ${u.email.padEnd(26)} ${DEMO_PASSWORD.padEnd(16)} ${u.role} — ${u.note}`),
  ];
  return lines.join('\n');
}
