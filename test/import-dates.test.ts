import ExcelJS from 'exceljs';
import type { Express } from 'express';
import request from 'supertest';
import { Assignment } from '../server/assignments/model';
import { readTabular } from '../server/platform/tabular';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { insertQuestionnaire, VisitWorld } from './helpers/visits';

/**
 * Date cells of an XLSX assignment import (SECURITY REVIEW defect 6). A spreadsheet date cell holds a
 * wall time with no zone: "1 July 2026 09:00" typed by the bank's planner means 09:00 at the bank.
 * It used to be read as 09:00 UTC — eight hours late for a bank in Asia/Shanghai, so assignment
 * windows (and the plausibility flags that use them) were wrong. Times that do not exist in the
 * bank's zone, or exist twice, are refused rather than guessed.
 */
let app: Express;
let w: VisitWorld;

const HEADER = ['branchCode', 'auditorEmail', 'quarter', 'windowStart', 'windowEnd', 'scenario'];
/** A Date that ExcelJS writes as a date cell showing exactly this wall time. */
const cellTime = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(Date.UTC(y, mo - 1, d, h, mi));

async function xlsx(rows: unknown[][], numFmt = 'yyyy-mm-dd hh:mm'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('assignments');
  ws.addRow(HEADER);
  for (const r of rows) ws.addRow(r);
  ws.getColumn(4).numFmt = numFmt;
  ws.getColumn(5).numFmt = numFmt;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function importFor(bankId: string, questionnaireId: string, file: Buffer) {
  return request(app)
    .post(`/api/v1/assignments/import?bankId=${bankId}&questionnaireId=${questionnaireId}`)
    .set(bearer(w.adminToken))
    .attach('file', file, 'round.xlsx');
}

let shanghai: { bankId: string; questionnaireId: string };
let berlin: { bankId: string; questionnaireId: string };

beforeAll(async () => {
  app = await startTestApp();
  w = await VisitWorld.create(app);
  const sh = await w.bank('XDS');
  await w.branch(sh, 'P1', '华东区');
  shanghai = { bankId: sh, questionnaireId: await insertQuestionnaire(sh) };
  const be = await w.bank('XDB', 'Europe/Berlin');
  await w.branch(be, 'B1', 'Mitte');
  berlin = { bankId: be, questionnaireId: await insertQuestionnaire(be) };
  await w.user('dates-auditor@firm.test', 'auditor');
});
afterAll(stopTestApp);

test("date cells are read as wall times in the bank's zone", async () => {
  const file = await xlsx([
    ['P1', 'dates-auditor@firm.test', '2026-Q3', cellTime(2026, 7, 1, 9), cellTime(2026, 7, 31, 18, 30), 'xlsx-dates'],
  ]);
  const res = await importFor(shanghai.bankId, shanghai.questionnaireId, file);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ created: 1, errors: [] });
  const a = await Assignment.findOne({ bankId: shanghai.bankId, scenario: 'xlsx-dates' }).lean();
  // 09:00 and 18:30 in Shanghai (UTC+8).
  expect(a?.windowStart.toISOString()).toBe('2026-07-01T01:00:00.000Z');
  expect(a?.windowEnd.toISOString()).toBe('2026-07-31T10:30:00.000Z');
  const listed = await request(app)
    .get(`/api/v1/assignments/${String(a?._id)}`)
    .set(bearer(w.adminToken));
  expect(listed.body.windowStart).toBe('2026-07-01T01:00:00.000Z');
});

test('a bank in a zone with summer time gets the offset of that date', async () => {
  const file = await xlsx([
    ['B1', 'dates-auditor@firm.test', '2026-Q1', cellTime(2026, 1, 12, 9), cellTime(2026, 1, 12, 17), 'winter'],
    ['B1', 'dates-auditor@firm.test', '2026-Q3', cellTime(2026, 7, 13, 9), cellTime(2026, 7, 13, 17), 'summer'],
  ]);
  const res = await importFor(berlin.bankId, berlin.questionnaireId, file);
  expect(res.body).toMatchObject({ created: 2, errors: [] });
  const winter = await Assignment.findOne({ bankId: berlin.bankId, scenario: 'winter' }).lean();
  const summer = await Assignment.findOne({ bankId: berlin.bankId, scenario: 'summer' }).lean();
  expect(winter?.windowStart.toISOString()).toBe('2026-01-12T08:00:00.000Z'); // UTC+1
  expect(summer?.windowStart.toISOString()).toBe('2026-07-13T07:00:00.000Z'); // UTC+2
});

test('a time the clocks skip or repeat is refused with the row and the column, and nothing is created', async () => {
  const before = await Assignment.countDocuments({ bankId: berlin.bankId });
  const file = await xlsx([
    ['B1', 'dates-auditor@firm.test', '2026-Q1', cellTime(2026, 3, 29, 2, 30), cellTime(2026, 3, 29, 17), 'gap'],
    ['B1', 'dates-auditor@firm.test', '2026-Q4', cellTime(2026, 10, 24, 9), cellTime(2026, 10, 25, 2, 30), 'overlap'],
    ['B1', 'dates-auditor@firm.test', '2026-Q2', cellTime(2026, 4, 1, 9), cellTime(2026, 4, 1, 17), 'fine'],
  ]);
  const res = await importFor(berlin.bankId, berlin.questionnaireId, file);
  expect(res.status).toBe(200);
  expect(res.body.created).toBe(0);
  expect(res.body.errors).toEqual([
    { row: 2, message: expect.stringMatching(/^windowStart: 2026-03-29 02:30:00 does not exist in Europe\/Berlin/) },
    { row: 3, message: expect.stringMatching(/^windowEnd: 2026-10-25 02:30:00 happens twice in Europe\/Berlin/) },
  ]);
  expect(await Assignment.countDocuments({ bankId: berlin.bankId })).toBe(before);
});

test('times written as text keep their own offset, whatever the zone', async () => {
  const file = await xlsx([
    ['P1', 'dates-auditor@firm.test', '2026-Q3', '2026-07-02T09:00:00+08:00', '2026-07-02T10:00:00Z', 'text-times'],
  ]);
  expect((await importFor(shanghai.bankId, shanghai.questionnaireId, file)).body).toMatchObject({ created: 1 });
  const a = await Assignment.findOne({ bankId: shanghai.bankId, scenario: 'text-times' }).lean();
  expect(a?.windowStart.toISOString()).toBe('2026-07-02T01:00:00.000Z');
  expect(a?.windowEnd.toISOString()).toBe('2026-07-02T10:00:00.000Z');
});

test('without a zone a date cell is its bare wall time, never presented as UTC', async () => {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('s');
  ws.addRow(['code', 'opened']);
  ws.addRow(['A1', cellTime(2026, 7, 1, 9, 15)]);
  ws.addRow(['A2', new Date(Date.UTC(2026, 6, 1))]);
  ws.getColumn(2).numFmt = 'yyyy-mm-dd hh:mm';
  const rows = await readTabular(
    Buffer.from(await wb.xlsx.writeBuffer()),
    { required: ['code'], optional: ['opened'] },
    10,
  );
  expect(rows.map((r) => r.values.opened)).toEqual(['2026-07-01 09:15:00', '2026-07-01']);
});
