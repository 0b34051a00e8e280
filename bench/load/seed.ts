import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { answersFor, type BenchAnswer } from '../visits/answers';
import { DB_NAME, LOAD_USERS, log, quarterLabel, ROOT } from './settings';

export interface LoadWorld {
  jiangnanId: string;
  quarter: string;
  prevQuarter: string;
  answers: BenchAnswer[];
  pool: { assignmentId: string; user: number }[];
  auditorEmails: string[];
  visitsBefore: number;
}

/** The demo seed, plus auditor accounts and open assignments for the auditors to work through. */
export async function seed(uri: string, assignments: number): Promise<LoadWorld> {
  const { loadConfig, setConfig } = await import('../../server/platform/config');
  const { FAULT_ADMIN } = await import('../../test/helpers/faults');
  setConfig(
    loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      MONGODB_URI: uri,
      DB_NAME,
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_LOG_N: '12',
      ADMIN_EMAIL: FAULT_ADMIN.email,
      ADMIN_PASSWORD: FAULT_ADMIN.password,
    }),
  );
  const { startServices, stopServices } = await import('../../server/bootstrap');
  const { seedDemo, DEMO_PASSWORD } = await import('../../seed/demo');
  const { jiangnanBranches } = await import('../../seed/org');
  const { demoQuestionnaireBody } = await import('../../seed/questionnaire');
  const { createUser } = await import('../../server/users/service');
  const { Bank } = await import('../../server/banks/model');
  const { Questionnaire } = await import('../../server/questionnaires/model');
  const { Assignment } = await import('../../server/assignments/model');
  const { Visit } = await import('../../server/visits/model');
  await startServices();
  try {
    const t0 = Date.now();
    await seedDemo({ ifEmpty: false });
    log(`demo seed loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const bank = await Bank.findOne({ code: 'JNCB' }).lean();
    if (!bank) throw new Error('the seed has no JNCB');
    const q = await Questionnaire.findOne({ bankId: bank._id }).lean();
    if (!q) throw new Error('the seed has no JNCB questionnaire');
    const auditorEmails: string[] = [];
    const ids: Types.ObjectId[] = [];
    for (let i = 0; i < LOAD_USERS; i++) {
      const email = `load-auditor${i + 1}@demo.local`;
      const u = await createUser({ email, password: DEMO_PASSWORD, name: `压测暗访员${i + 1}`, role: 'auditor' });
      auditorEmails.push(email);
      ids.push(new Types.ObjectId(u.id));
    }
    const branches = jiangnanBranches();
    const now = Date.now();
    const docs = Array.from({ length: assignments }, (_, n) => {
      const b = branches[n % branches.length];
      return {
        _id: new Types.ObjectId(),
        bankId: bank._id,
        branchCode: b.code,
        region: b.region,
        auditorId: ids[n % LOAD_USERS],
        questionnaireId: q._id,
        quarter: quarterLabel(new Date()),
        windowStart: new Date(now - 10 * 86400_000),
        windowEnd: new Date(now + 10 * 86400_000),
        scenario: '理财产品咨询（压测）',
        createdAt: new Date(),
        updatedAt: new Date(),
      };
    });
    for (let i = 0; i < docs.length; i += 500) await Assignment.collection.insertMany(docs.slice(i, i + 500));
    const answers = answersFor(demoQuestionnaireBody(String(bank._id)));
    return {
      jiangnanId: String(bank._id),
      quarter: quarterLabel(new Date()),
      prevQuarter: quarterLabel(new Date(), -1),
      answers,
      pool: docs.map((d, n) => ({ assignmentId: String(d._id), user: n % LOAD_USERS })),
      auditorEmails,
      visitsBefore: await Visit.countDocuments({}),
    };
  } finally {
    await stopServices();
  }
}

/** Where a seeded database is kept: one per seed source (and this builder's), model definitions, quarter and size (LOAD_RESEED=1 after a service change that alters seeded data). */
export function seedCache(assignments: number): string {
  const h = crypto.createHash('sha1');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
      );
  // This file and the answer builder too: a world kept with answers that no longer fit is not reused.
  const builders = ['bench/load/seed.ts', 'bench/visits/answers.ts'];
  for (const f of [...files('seed'), ...files('server').filter((x) => /model\.ts$/.test(x)), ...builders].sort())
    h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  h.update(`${quarterLabel(new Date())}|${assignments}|${LOAD_USERS}`);
  return path.join(os.tmpdir(), `msa-load-seed-${h.digest('hex').slice(0, 12)}`);
}
