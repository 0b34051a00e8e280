import ExcelJS from 'exceljs';
import type { Express } from 'express';
import { Types } from 'mongoose';
import request from 'supertest';
import { createApp } from '../server/app';
import { Branch, Staff } from '../server/banks/model';
import { upsertAllOrNothing } from '../server/platform/db/bulk-import';
import { config, setConfig } from '../server/platform/config';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import { csv, makeBank, makeBranch, makeUser, type Fixture } from './helpers/foundation';

let app: Express;
let f: Fixture;
let bankA: string;
let bankB: string;
const MISSING = '0123456789abcdef01234567';

beforeAll(async () => {
  app = await startTestApp();
  f = { app, adminToken: await tokenFor(app, ADMIN.email, ADMIN.password) };
  bankA = await makeBank(f, 'IMPA');
  bankB = await makeBank(f, 'IMPB');
  await makeBranch(f, bankB, 'B1', '西部');
});
afterAll(stopTestApp);

const upload = (path: string, file: Buffer, filename = 'data.csv', a: Express = app, token = f.adminToken) =>
  request(a).post(path).set(bearer(token)).attach('file', file, filename);
const branchImport = (bankId: string) => `/api/v1/banks/${bankId}/branches/import`;
const staffImport = (bankId: string) => `/api/v1/banks/${bankId}/staff/import`;

async function xlsx(rows: (string | number | null)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('员工');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('branch import', () => {
  test('a UTF-8 CSV with BOM, CRLF and Chinese names creates every branch', async () => {
    const file = csv([
      'code,name,region,city',
      'SH01,上海浦东支行,华东,上海',
      'SH02,"上海徐汇支行, 二部",华东,',
      'BJ01,北京朝阳支行,华北,北京',
    ]);
    const res = await upload(branchImport(bankA), file, '网点.csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 3, updated: 0, errors: [] });
    const stored = await Branch.find({ bankId: bankA }).sort({ code: 1 }).lean();
    expect(stored.map((b) => [b.code, b.name, b.region, b.city ?? null])).toEqual([
      ['BJ01', '北京朝阳支行', '华北', '北京'],
      ['SH01', '上海浦东支行', '华东', '上海'],
      ['SH02', '上海徐汇支行, 二部', '华东', null],
    ]);
  });

  test('re-importing updates existing branches and counts them as updated', async () => {
    const file = csv([
      'code,name,region',
      'SH01,上海浦东分行,华东',
      'BJ01,北京朝阳支行,华北',
      'GZ01,广州天河支行,华南',
    ]);
    const res = await upload(branchImport(bankA), file);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1, updated: 2, errors: [] });
    expect((await Branch.findOne({ bankId: bankA, code: 'SH01' }).lean())?.name).toBe('上海浦东分行');
    expect(await Branch.countDocuments({ bankId: bankA })).toBe(4);
  });

  test('a file with bad rows writes nothing and lists each row (header is row 1)', async () => {
    const before = await Branch.find({ bankId: bankA }).sort({ code: 1 }).lean();
    const file = csv([
      'code,name,region',
      'NEW1,新支行,华东', // 2: fine on its own
      'NEW2,,华东', // 3: name missing
      '', // 4: blank lines are skipped but still counted
      'NEW1,重复,华东', // 5: duplicate of row 2
      'SH01,上海浦东支行改名,华东', // 6: fine (would update)
      'bad code,坏代码,华东', // 7: bad code
      'NEW3,缺地区', // 8: region missing (short row)
    ]);
    const res = await upload(branchImport(bankA), file);
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(0);
    expect(res.body.updated).toBe(0);
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([3, 5, 7, 8]);
    expect(res.body.errors[0].message).toMatch(/name/);
    expect(res.body.errors[1].message).toMatch(/duplicate.*row 2/);
    expect(res.body.errors[2].message).toMatch(/code/);
    expect(res.body.errors[3].message).toMatch(/region/);
    expect(await Branch.find({ bankId: bankA }).sort({ code: 1 }).lean()).toEqual(before);
  });

  test('a missing or unknown header column is 422 naming it', async () => {
    const missing = await upload(branchImport(bankA), csv(['code,name', 'X1,x']));
    expect(missing.status).toBe(422);
    expect(missing.body.error.code).toBe('bad_columns');
    expect(missing.body.error.details).toEqual([expect.objectContaining({ field: 'region', row: 1 })]);
    const unknown = await upload(branchImport(bankA), csv(['code,name,region,manager', 'X1,x,r,m']));
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ field: 'manager' })]);
    const twice = await upload(branchImport(bankA), csv(['code,name,region,name', 'X1,x,r,y']));
    expect(twice.status).toBe(422);
    expect(twice.body.error.details).toEqual([expect.objectContaining({ field: 'name', row: 1 })]);
    expect(await Branch.exists({ bankId: bankA, code: 'X1' })).toBeNull();
  });

  test('moving a branch to another region moves its staff along', async () => {
    await request(app)
      .post(`/api/v1/banks/${bankA}/staff`)
      .set(bearer(f.adminToken))
      .send({ employeeId: 'MV1', name: '移动', branchCode: 'GZ01' })
      .expect(201);
    const res = await upload(branchImport(bankA), csv(['code,name,region', 'GZ01,广州天河支行,华南二区']));
    expect(res.body).toMatchObject({ created: 0, updated: 1 });
    expect((await Staff.findOne({ bankId: bankA, employeeId: 'MV1' }).lean())?.region).toBe('华南二区');
  });
});

describe('staff import', () => {
  test('an XLSX workbook made with exceljs imports, numbers read as text', async () => {
    const file = await xlsx([
      ['employeeId', 'name', 'branchCode', 'position'],
      ['S001', '张伟', 'SH01', '柜员'],
      [1002, '王芳', 'BJ01', null],
      ['S003', '李娜', 'SH02', '大堂经理'],
    ]);
    const res = await upload(staffImport(bankA), file, 'staff.xlsx');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 3, updated: 0, errors: [] });
    const s = await Staff.find({ bankId: bankA, employeeId: { $in: ['S001', '1002', 'S003'] } })
      .sort({ employeeId: 1 })
      .lean();
    expect(s.map((x) => [x.employeeId, x.name, x.branchCode, x.region])).toEqual([
      ['1002', '王芳', 'BJ01', '华北'],
      ['S001', '张伟', 'SH01', '华东'],
      ['S003', '李娜', 'SH02', '华东'],
    ]);
  });

  test('a CSV with BOM and CRLF re-imports as updates', async () => {
    const res = await upload(
      staffImport(bankA),
      csv(['employeeId,name,branchCode,position', 'S001,张伟,SH02,主管', 'S004,赵敏,SH01,']),
    );
    expect(res.body).toMatchObject({ created: 1, updated: 1, errors: [] });
    expect(await Staff.findOne({ bankId: bankA, employeeId: 'S001' }).lean()).toMatchObject({
      branchCode: 'SH02',
      position: '主管',
    });
  });

  test('bad rows (missing field, duplicate id, unknown branchCode) write nothing', async () => {
    const before = await Staff.countDocuments();
    const file = await xlsx([
      ['employeeId', 'name', 'branchCode'],
      ['S100', '好人', 'SH01'], // 2
      ['S101', null, 'SH01'], // 3: name missing
      ['S100', '重复', 'SH01'], // 4: duplicate of row 2
      ['S102', '外行', 'B1'], // 5: B1 is another bank's branch
      ['S103', '无网点', 'NOPE'], // 6
    ]);
    const res = await upload(staffImport(bankA), file, 'bad.xlsx');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 0 });
    expect(res.body.errors.map((e: { row: number }) => e.row)).toEqual([3, 4, 5, 6]);
    expect(res.body.errors[2].message).toMatch(/branchCode/);
    expect(res.body.errors.every((e: { message: string }) => e.message.length > 0)).toBe(true);
    expect(await Staff.countDocuments()).toBe(before);
    expect(await Staff.exists({ employeeId: 'S100' })).toBeNull();
  });

  test('a missing header column is 422', async () => {
    const res = await upload(staffImport(bankA), csv(['employeeId,name', 'S9,x']));
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'branchCode' })]);
  });
});

describe('files that are not tables', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  const gbk = Buffer.concat([
    Buffer.from('code,name,region\r\nX1,'),
    Buffer.from([0xc3, 0xfb, 0xd7, 0xd6]),
    Buffer.from(',r\r\n'),
  ]);
  const zip = Buffer.from('504b0304140000000000', 'hex');

  test.each([
    ['a PNG named .csv', png, 'branches.csv'],
    ['a zero-byte file', Buffer.alloc(0), 'empty.csv'],
    ['random binary', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)), 'data.xlsx'],
    ['a GBK-encoded CSV', gbk, 'gbk.csv'],
    ['a ZIP that is no workbook', zip, 'data.xlsx'],
  ])('%s is 415 and writes nothing', async (_label, file, name) => {
    const before = await Branch.countDocuments();
    const res = await upload(branchImport(bankA), file, name);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toMatch(/unsupported_media_type|empty_file/);
    expect(await Branch.countDocuments()).toBe(before);
    expect((await upload(staffImport(bankA), file, name)).status).toBe(415);
  });

  test('no file, or a file in another field, is 400', async () => {
    const none = await request(app).post(branchImport(bankA)).set(bearer(f.adminToken)).field('note', 'x');
    expect(none.status).toBe(400);
    expect(none.body.error.code).toBe('file_required');
    const json = await request(app)
      .post(branchImport(bankA))
      .set(bearer(f.adminToken))
      .send({ file: 'code,name,region' });
    expect(json.status).toBe(400);
    const wrongField = await request(app)
      .post(branchImport(bankA))
      .set(bearer(f.adminToken))
      .attach('upload', csv(['code,name,region']), 'a.csv');
    expect(wrongField.status).toBe(400);
  });

  test('a broken multipart body is 400, not 500', async () => {
    const truncated = await request(app)
      .post(branchImport(bankA))
      .set(bearer(f.adminToken))
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\ncode,na');
    expect(truncated.status).toBe(400);
    const noBoundary = await request(app)
      .post(branchImport(bankA))
      .set(bearer(f.adminToken))
      .set('Content-Type', 'multipart/form-data')
      .send('garbage');
    expect(noBoundary.status).toBe(400);
  });
});

describe('limits', () => {
  let small: Express;
  beforeAll(() => {
    const saved = config();
    setConfig({ ...saved, IMPORT_MAX_BYTES: 2048 });
    small = createApp();
    setConfig(saved);
  });

  test('a file over IMPORT_MAX_BYTES is 413 and writes nothing', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => `BIG${i},大文件支行${i},华东`);
    const file = csv(['code,name,region', ...rows]);
    expect(file.length).toBeGreaterThan(2048);
    const res = await upload(branchImport(bankA), file, 'big.csv', small);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('file_too_large');
    expect(await Branch.exists({ code: 'BIG0' })).toBeNull();
  });

  test('more rows than IMPORT_MAX_ROWS is 422', async () => {
    const file = csv(['code,name,region', ...Array.from({ length: 6 }, (_, i) => `R${i},r,r`)]);
    const saved = config();
    setConfig({ ...saved, IMPORT_MAX_ROWS: 5 });
    const res = await Promise.resolve(upload(branchImport(bankA), file, 'rows.csv')).finally(() => setConfig(saved));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('too_many_rows');
    expect(await Branch.exists({ code: 'R0' })).toBeNull();
  });
});

describe('who may import', () => {
  test('every non-admin role is 403 before the file is read; no token is 401', async () => {
    const bm = await makeUser(f, {
      email: 'imp-bm@a.cn',
      role: 'bank_manager',
      bankId: bankA,
      scope: { type: 'bank' },
    });
    const hr = await makeUser(f, { email: 'imp-hr@a.cn', role: 'hr', bankId: bankA });
    const rev = await makeUser(f, { email: 'imp-rev@firm.cn', role: 'reviewer' });
    const aud = await makeUser(f, { email: 'imp-aud@firm.cn', role: 'auditor' });
    const file = csv(['code,name,region', 'ROLE1,x,r']);
    for (const t of [bm.token, hr.token, rev.token, aud.token]) {
      expect((await upload(branchImport(bankA), file, 'a.csv', app, t)).status).toBe(403);
      expect(
        (await upload(staffImport(bankA), csv(['employeeId,name,branchCode', 'Z1,z,SH01']), 'a.csv', app, t)).status,
      ).toBe(403);
    }
    expect((await request(app).post(branchImport(bankA)).attach('file', file, 'a.csv')).status).toBe(401);
    expect(await Branch.exists({ code: 'ROLE1' })).toBeNull();
  });

  test('an unknown or malformed bank is 404', async () => {
    const file = csv(['code,name,region', 'NB1,x,r']);
    expect((await upload(branchImport(MISSING), file)).status).toBe(404);
    expect((await upload(branchImport('not-a-bank'), file)).status).toBe(404);
    expect((await upload(staffImport(MISSING), csv(['employeeId,name,branchCode', 'Z1,z,B1']))).status).toBe(404);
    expect(await Branch.exists({ code: 'NB1' })).toBeNull();
  });

  test("a bank's import never touches another bank's records with the same codes", async () => {
    const res = await upload(branchImport(bankB), csv(['code,name,region', 'SH01,乙行上海,东部']));
    expect(res.body).toMatchObject({ created: 1, updated: 0 });
    expect((await Branch.findOne({ bankId: bankA, code: 'SH01' }).lean())?.name).toBe('上海浦东分行');
  });
});

describe('all or nothing', () => {
  test('a write that fails half-way is rolled back: inserts removed, updates restored', async () => {
    const bank = new Types.ObjectId(bankB);
    const before = await Branch.findOne({ bankId: bank, code: 'B1' }).lean();
    const docs: { filter: Record<string, unknown>; set: Record<string, unknown> }[] = [
      { filter: { bankId: bank, code: 'B1' }, set: { name: '改了', region: '西部' } },
      { filter: { bankId: bank, code: 'RB1' }, set: { bankId: bank, code: 'RB1', name: 'n', region: 'r' } },
      // Upserting this one inserts a second 'RB1' in the same bank: the unique index refuses it.
      { filter: { bankId: bank, code: 'RB2' }, set: { bankId: bank, code: 'RB1', name: 'n', region: 'r' } },
    ];
    await expect(upsertAllOrNothing(Branch, docs)).rejects.toBeTruthy();
    expect(await Branch.exists({ bankId: bank, code: 'RB1' })).toBeNull();
    expect((await Branch.findOne({ bankId: bank, code: 'B1' }).lean())?.name).toBe(before?.name);
  });
});
