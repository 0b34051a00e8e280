import crypto from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { Assignment } from '../server/assignments/model';
import { Bank, Staff } from '../server/banks/model';
import { setClock } from '../server/platform/clock';
import { config } from '../server/platform/config';
import { WriteClaim } from '../server/platform/db/write-claims';
import { getVersion, toScoringSections } from '../server/questionnaires/service';
import { scoreVisit } from '../server/rules/scoring';
import { Visit } from '../server/visits/model';
import type { StoredVisit } from '../server/visits/service';
import { seedDemo } from '../seed/demo';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';

/**
 * The demo seed, run into this file's own database with the business clock fixed at 2026-11-27
 * (so the current quarter is 2026-Q4 whatever the day the test runs).
 */
const TODAY = new Date('2026-11-27T02:00:00Z');
const QUARTERS = ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4'];
const CJK = /[\u4e00-\u9fff]/;

let app: Express;
let summary: string;
let visits: StoredVisit[];
let banks: Map<string, string>;

beforeAll(async () => {
  app = await startTestApp();
  setClock(TODAY);
  summary = await seedDemo({ ifEmpty: true });
  visits = await Visit.find({}).lean<StoredVisit[]>();
  banks = new Map((await Bank.find({}, { code: 1 }).lean()).map((b) => [String(b._id), b.code]));
}, 900_000);

afterAll(async () => {
  setClock(null);
  await stopTestApp();
});

const count = (filter: (v: StoredVisit) => boolean) => visits.filter(filter).length;
const bankOf = (v: StoredVisit) => banks.get(String(v.bankId));

describe('visits per quarter and state', () => {
  test('four quarters; the past ones approved only, with several visits at most JNCB branches', () => {
    expect([...new Set(visits.map((v) => v.quarter))].sort()).toEqual(QUARTERS);
    for (const q of QUARTERS.slice(0, 3)) {
      const jn = visits.filter((v) => v.quarter === q && bankOf(v) === 'JNCB');
      expect(jn.every((v) => v.status === 'approved')).toBe(true);
      const perBranch = new Map<string, number>();
      for (const v of jn) perBranch.set(v.branchCode, (perBranch.get(v.branchCode) ?? 0) + 1);
      expect(perBranch.size).toBeGreaterThanOrEqual(28);
      expect([...perBranch.values()].every((n) => n >= 2)).toBe(true);
      expect(count((v) => v.quarter === q && bankOf(v) === 'HBK' && v.status === 'approved')).toBeGreaterThanOrEqual(4);
    }
  });

  test('the current quarter has every state at both banks, and assignments still open', async () => {
    for (const bank of ['JNCB', 'HBK']) {
      for (const status of ['draft', 'submitted', 'returned', 'approved']) {
        const n = count((v) => v.quarter === '2026-Q4' && bankOf(v) === bank && v.status === status);
        expect(n > 0 ? 'present' : `no ${status} visit at ${bank}`).toBe('present');
      }
    }
    expect(visits.some((v) => v.status === 'disputed')).toBe(false);
    const started = new Set(visits.map((v) => String(v.assignmentId)));
    const open = (await Assignment.find({ quarter: '2026-Q4' }, { _id: 1 }).lean()).filter(
      (a) => !started.has(String(a._id)),
    );
    expect(open.length).toBeGreaterThanOrEqual(1);
  });

  test('returned visits carry the reviewer note, in their history too', () => {
    const returned = visits.filter((v) => v.status === 'returned');
    for (const v of returned) {
      expect(v.reviewNote).toBeTruthy();
      expect(v.history.find((h) => h.action === 'returned')?.note).toBe(v.reviewNote);
    }
    // Some approved visits went through a return and a correction first.
    expect(visits.some((v) => v.status === 'approved' && v.history.some((h) => h.action === 'returned'))).toBe(true);
  });

  test('the printed summary states the counts that are in the database', () => {
    for (const q of QUARTERS) {
      const line = summary.split('\n').find((l) => l.trim().startsWith(`${q}:`)) as string;
      expect(line).toBeDefined();
      for (const [, n, status] of line.matchAll(/(\d+) (\w+)/g))
        expect({ q, status, n: Number(n) }).toEqual({
          q,
          status,
          n: count((v) => v.quarter === q && v.status === status),
        });
    }
    expect(summary).toContain(`Visits: ${visits.length} on`);
  });
});

describe('visit content', () => {
  test("every visit's scores and violations are scoreVisit of its answers on its own questionnaire version", async () => {
    const sections = new Map<string, ReturnType<typeof toScoringSections>>();
    for (const v of visits) {
      const key = `${String(v.questionnaireId)}@${v.questionnaireVersion}`;
      if (!sections.has(key))
        sections.set(key, toScoringSections(await getVersion(String(v.questionnaireId), v.questionnaireVersion)));
      const expected = scoreVisit(
        sections.get(key) as ReturnType<typeof toScoringSections>,
        v.answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
      );
      expect({
        id: String(v._id),
        sections: v.scores.sections,
        total: v.scores.total,
        violations: v.violations.map((x) => x.itemKey),
      }).toEqual({
        id: String(v._id),
        sections: expected.sections,
        total: expected.total,
        violations: expected.violations.map((x) => x.itemKey),
      });
    }
  });

  test("answers look real: mostly good, weaker branches, a few critical failures, some N/A, comments in the bank's language", () => {
    const approved = visits.filter((v) => v.status === 'approved' && v.scores.total !== null);
    const totals = approved.map((v) => v.scores.total as number).sort((a, b) => a - b);
    expect(totals[Math.floor(totals.length / 2)]).toBeGreaterThan(70);
    expect(totals[0]).toBeLessThan(60);
    const violating = visits.filter((v) => v.violations.length > 0).length;
    expect(violating).toBeGreaterThanOrEqual(3);
    expect(violating).toBeLessThan(visits.length * 0.15);
    expect(visits.some((v) => v.answers.some((a) => a.value === 'na'))).toBe(true);
    const comments = (bank: string) =>
      visits.filter((v) => bankOf(v) === bank).flatMap((v) => v.answers.flatMap((a) => (a.comment ? [a.comment] : [])));
    expect(comments('JNCB').length).toBeGreaterThan(50);
    expect(comments('JNCB').every((c) => CJK.test(c))).toBe(true);
    expect(comments('HBK').length).toBeGreaterThan(5);
    expect(comments('HBK').some((c) => CJK.test(c))).toBe(false);
  });

  test('identified staff work at the visited branch', async () => {
    const staff = await Staff.find({}, { bankId: 1, employeeId: 1, branchCode: 1 }).lean();
    const home = new Map(staff.map((s) => [`${String(s.bankId)}|${s.employeeId}`, s.branchCode]));
    const identified = visits.flatMap((v) =>
      v.staffIds.map((id) => ({ branch: v.branchCode, home: home.get(`${String(v.bankId)}|${id}`) })),
    );
    expect(identified.length).toBeGreaterThan(visits.length * 0.8);
    for (const s of identified) expect(s.home).toBe(s.branch);
  });
});

describe('played at plausible times', () => {
  test('history runs forward from the visit, never after today; past visits approved within days', () => {
    for (const v of visits) {
      const times = v.history.map((h) => new Date(h.at).getTime());
      expect(times[0]).toBeGreaterThan(new Date(v.visitedAt).getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[times.length - 1]).toBeLessThanOrEqual(TODAY.getTime());
      expect(new Date(v.createdAt).getTime()).toBe(times[0]);
      if (v.status === 'approved' && v.quarter !== '2026-Q4') {
        expect((new Date(v.approvedAt as Date).getTime() - new Date(v.visitedAt).getTime()) / 86400_000).toBeLessThan(
          5,
        );
      }
    }
  });

  test('flags only where the story has them: one late submission, one visit outside its window, one reused photo on two visits', () => {
    const withFlag = (code: string) => visits.filter((v) => v.flags.some((f) => f.code === code));
    expect(withFlag('future_visit')).toHaveLength(0);
    expect(withFlag('implausible_duration')).toHaveLength(0);
    expect(withFlag('late_submission').map((v) => v.status)).toEqual(['submitted']);
    expect(withFlag('outside_window').map((v) => v.status)).toEqual(['approved']);
    const dup = withFlag('duplicate_evidence');
    expect(dup.map((v) => v.status)).toEqual(['submitted', 'submitted']);
    expect(dup[0].attachments[0].sha256).toBe(dup[1].attachments[0].sha256);
  });

  test('the evidence photos are real PNG files, stored with their SHA-256', async () => {
    const withPhotos = visits.filter((v) => v.attachments.length > 0);
    expect(withPhotos.length).toBeGreaterThanOrEqual(5);
    const reviewer = await tokenFor(app, 'reviewer@demo.local', 'Demo-pass-2026');
    const v = withPhotos[0];
    const a = v.attachments[0];
    const res = await request(app)
      .get(`/api/v1/visits/${String(v._id)}/attachments/${String(a._id)}`)
      .set(bearer(reviewer))
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
    expect(res.status).toBe(200);
    const body = res.body as Buffer;
    expect(body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(crypto.createHash('sha256').update(body).digest('hex')).toBe(a.sha256);
    expect(a.contentType).toBe('image/png');
  });
});

describe('sign-in and re-runs', () => {
  test('every user printed by the seed can sign in with the printed password', async () => {
    const users = [...summary.matchAll(/^ {2}(\S+@\S+)\s+(\S+)\s+(admin|auditor|reviewer|bank_manager|hr)\b/gm)].map(
      (m) => ({ email: m[1], password: m[2], role: m[3] }),
    );
    expect(users.length).toBeGreaterThanOrEqual(10);
    for (const u of users) {
      const res = await request(app).post('/api/v1/auth/token').send({ email: u.email, password: u.password });
      expect({ email: u.email, status: res.status, role: res.body.user?.role }).toEqual({
        email: u.email,
        status: 200,
        role: u.role,
      });
    }
  });

  test('a second run with ifEmpty changes nothing', async () => {
    const before = [await Bank.countDocuments(), await Assignment.countDocuments(), await Visit.countDocuments()];
    const out = await seedDemo({ ifEmpty: true });
    expect(out).toMatch(/^Demo data already present/);
    expect([await Bank.countDocuments(), await Assignment.countDocuments(), await Visit.countDocuments()]).toEqual(
      before,
    );
  });

  test('data without the record of a finished seed (an interrupted one) is left alone, with a way out', async () => {
    await WriteClaim.deleteOne({ _id: 'seed:demo-complete' });
    const before = [await Bank.countDocuments(), await Assignment.countDocuments(), await Visit.countDocuments()];
    const out = await seedDemo({ ifEmpty: true });
    expect(out).toMatch(/no record that a demo seed finished/);
    expect(out).toContain(config().DATA_DIR);
    expect([await Bank.countDocuments(), await Assignment.countDocuments(), await Visit.countDocuments()]).toEqual(
      before,
    );
  });
});

describe('calibration demo data (SPEC §12)', () => {
  test('a round scored by four auditors with a reference; the harsh and the lenient auditor are flagged in the field, the fair ones not', async () => {
    const admin = await tokenFor(app, ADMIN.email, ADMIN.password);
    const rounds = await request(app).get('/api/v1/calibrations').set(bearer(admin));
    expect(rounds.body).toHaveLength(1);
    const results = await request(app).get(`/api/v1/calibrations/${rounds.body[0].id}/results`).set(bearer(admin));
    expect(results.body).toMatchObject({ answered: 4, invited: 4 });
    expect(results.body.alpha).toBeGreaterThan(0);
    expect(results.body.alpha).toBeLessThan(1);
    const users = await request(app).get('/api/v1/users').set(bearer(admin));
    const idOf = (email: string) =>
      (users.body.rows ?? users.body).find((u: { email: string }) => u.email === email)?.id;
    const flaggedIn = new Map<string, boolean>();
    for (const q of ['2026-Q1', '2026-Q2', '2026-Q3']) {
      const res = await request(app).get('/api/v1/auditors/leniency').query({ quarter: q }).set(bearer(admin));
      for (const l of res.body as { auditorId: string; flagged: boolean }[])
        flaggedIn.set(l.auditorId, (flaggedIn.get(l.auditorId) ?? false) || l.flagged);
    }
    expect(flaggedIn.get(idOf('auditor3@demo.local'))).toBe(true);
    expect(flaggedIn.get(idOf('auditor4@demo.local'))).toBe(true);
    expect(flaggedIn.get(idOf('auditor1@demo.local'))).toBe(false);
    // The first reads after the seed bring the kept statistics up to date with every seeded visit.
  }, 180_000);
});
