import type { Express } from 'express';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { WriteClaim } from '../server/platform/db/write-claims';
import { Job } from '../server/platform/jobs/model';
import { startAppWorkers } from '../server/jobs';
import { Report } from '../server/publishing/model';
import { closeDueQuarters, endOfPreviousQuarter } from '../server/publishing/schedule';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';

/** The optional schedule: a quarter is closed automatically N days after it ends, once, across instances. */
let app: Express;
let shanghai: string;
let london: string;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await tokenFor(app, ADMIN.email, ADMIN.password);
  shanghai = (
    await request(app)
      .post('/api/v1/banks')
      .set(bearer(admin))
      .send({ code: 'SH', name: '上海银行', timezone: 'Asia/Shanghai' })
  ).body.id;
  london = (
    await request(app)
      .post('/api/v1/banks')
      .set(bearer(admin))
      .send({ code: 'LDN', name: 'London Bank', timezone: 'Europe/London', language: 'en' })
  ).body.id;
});
afterAll(stopTestApp);

test("the end of the previous quarter is midnight in the bank's time zone", () => {
  expect(endOfPreviousQuarter(new Date('2026-10-03T00:00:00Z'), 'Asia/Shanghai')).toEqual({
    quarter: '2026-Q3',
    end: new Date('2026-09-30T16:00:00Z'),
  });
  expect(endOfPreviousQuarter(new Date('2026-01-02T00:00:00Z'), 'Europe/London')).toEqual({
    quarter: '2025-Q4',
    end: new Date('2026-01-01T00:00:00Z'),
  });
});

test('due banks are closed once, however often and by however many instances it runs', async () => {
  // 5 days after 2026-Q3: due in Shanghai (ended 2026-09-30 16:00 UTC), not yet in London (ended 23:00 UTC).
  const at = new Date('2026-10-05T18:00:00Z');
  expect(await closeDueQuarters(new Date('2026-10-05T15:00:00Z'), 5)).toEqual([]);
  const [first, second] = await Promise.all([closeDueQuarters(at, 5), closeDueQuarters(at, 5)]);
  expect([...first, ...second]).toHaveLength(1);
  expect(await closeDueQuarters(at, 5)).toEqual([]);
  expect(await Report.find({ bankId: shanghai }).lean()).toHaveLength(1);
  expect(await Report.countDocuments({ bankId: london })).toBe(0);
  // A quarter closed by hand before it was due is not closed again automatically.
  await request(app)
    .post(`/api/v1/banks/${london}/quarters/2026-Q3/close`)
    .set(bearer(await tokenFor(app, ADMIN.email, ADMIN.password)))
    .expect(202);
  expect(await closeDueQuarters(new Date('2026-10-07T00:00:00Z'), 5)).toEqual([]);
  expect(await Report.countDocuments({ bankId: london })).toBe(1);
});

test('the worker runs the schedule only when AUTO_CLOSE_DAYS is set', async () => {
  await Job.deleteMany({});
  await Report.deleteMany({});
  await WriteClaim.deleteMany({ _id: /^autoclose:/ }); // the schedule's marks
  const off = startAppWorkers({ pollMs: 20, mail: false, jobLeaseMs: 60_000 });
  await new Promise((r) => setTimeout(r, 200));
  await off.stop();
  expect(await Report.countDocuments({})).toBe(0);
  const before = config();
  setConfig({ ...before, AUTO_CLOSE_DAYS: 0 });
  try {
    const on = startAppWorkers({ pollMs: 20, mail: false, jobs: true });
    await new Promise((r) => setTimeout(r, 300));
    await on.stop();
  } finally {
    setConfig(before);
  }
  // With 0 days, the quarter before today's is due for both banks: one close each.
  const reports = await Report.find({}, { bankId: 1, quarter: 1 }).lean();
  expect(reports.map((r) => [String(r.bankId), r.quarter]).sort()).toEqual(
    [
      [london, endOfPreviousQuarter(new Date(), 'Europe/London').quarter],
      [shanghai, endOfPreviousQuarter(new Date(), 'Asia/Shanghai').quarter],
    ].sort(),
  );
});
