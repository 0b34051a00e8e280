import crypto from 'node:crypto';
import ExcelJS from 'exceljs';
import type { Express } from 'express';
import fc from 'fast-check';
import mongoose from 'mongoose';
import request from 'supertest';
import { config, setConfig } from '../server/platform/config';
import { sniffType } from '../server/evidence/sniff';
import { bearer, startTestApp, stopTestApp } from './helpers/app';
import { buildWorld, PNG, type Who, type World } from './helpers/world';

/**
 * Hostile uploads on every upload route (visit evidence, dispute evidence, the three imports):
 * files whose name or declared type lies about their content, empty and over-size files, and file
 * names with paths, NUL and control characters, bidirectional overrides, or thousands of
 * characters. The content decides: a real photo/PDF/audio file is kept under a cleaned name, and
 * anything else is 415 — with nothing stored (every collection, GridFS included, unchanged).
 */
jest.setTimeout(600_000);

// Small limits keep the over-size cases quick; room for many attachments lets the properties run long.
const MAX_FILE = 300 * 1024;
const MAX_IMPORT = 64 * 1024;
setConfig({ ...config(), UPLOAD_MAX_BYTES: MAX_FILE, IMPORT_MAX_BYTES: MAX_IMPORT, UPLOAD_MAX_FILES: 500 });

const RUNS = 60;
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);

let app: Express;
let world: World;
let runs = 0;

beforeAll(async () => {
  app = await startTestApp();
  world = await buildWorld(app);
}, 300_000);

afterAll(async () => {
  console.log(`upload fuzz: ${runs} uploads, seed ${SEED}`);
  await stopTestApp();
});

// ---- contents

const rand = (n: number) => crypto.randomBytes(n);
const GOOD: Record<string, () => Buffer> = {
  png: () => Buffer.concat([PNG, rand(200)]),
  'png + text': () =>
    Buffer.concat([PNG.subarray(0, 8), Buffer.from('<?php system($_GET["c"]); ?> just text after a PNG signature')]),
  jpeg: () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), rand(300)]),
  pdf: () => Buffer.concat([Buffer.from('%PDF-1.7\n'), rand(300)]),
  mp3: () => Buffer.concat([Buffer.from('ID3'), rand(300)]),
};
const BAD: Record<string, () => Buffer> = {
  'windows executable': () => Buffer.concat([Buffer.from('MZ'), Buffer.from([0x90, 0, 3, 0]), rand(300)]),
  'elf executable': () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), rand(300)]),
  'zip archive': () => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), rand(300)]),
  gif: () => Buffer.concat([Buffer.from('GIF89a'), rand(300)]),
  html: () => Buffer.from('<!doctype html><script>alert(document.cookie)</script>'.repeat(3)),
  svg: () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
  'shell script': () => Buffer.from('#!/bin/sh\nrm -rf / --no-preserve-root\n'.repeat(3)),
  text: () => Buffer.from('just text '.repeat(30)),
  'random bytes': () => Buffer.concat([Buffer.from([0x00, 0x01]), rand(300)]),
  empty: () => Buffer.alloc(0),
};

const NAMES = [
  'photo.png',
  'photo.jpg',
  'invoice.exe',
  '../../../etc/passwd',
  '..\\..\\windows\\system32\\evil.dll',
  '/absolute/path.png',
  'C:\\boot.ini',
  '....',
  '.htaccess',
  ' ',
  'a\u0000b.png',
  'tab\tand\nnewline\r.png',
  'quote".png',
  '<script>.png',
  'pipe|star*?.png',
  'photo\u202egnp.exe',
  'x\u200f\u2066\u2069y.png',
  'ok 收据 2026.pdf',
  '😀.png',
  'x'.repeat(1000),
  '中'.repeat(400),
  '%2e%2e%2fescape.png',
  'con.png',
  'nul',
];
const fileName = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', minLength: 200, maxLength: 400 }),
);

// ---- multipart by hand, so that any byte (NUL included) can stand in the file name

const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
/** Control characters other than tab cannot stand in a quoted header value; the parser refuses such a part (400). */
const headerSafe = (name: string) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(name);

/**
 * A file name goes out as a quoted string (backslash and quote escaped) or, `encoded`, as an RFC 5987
 * ext-value (filename*=UTF-8''…), in which any character, NUL and line breaks included, reaches the app.
 */
const filenameParam = (filename: string, encoded?: boolean) =>
  encoded
    ? `; filename*=UTF-8''${encodeURIComponent(wellFormed(filename)).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`
    : `; filename="${filename.replace(/[\\"]/g, '\\$&').replace(/[\r\n]/g, '_')}"`;

/**
 * The multipart parser refuses (400) a part header with a control character in a quoted value or
 * longer than 16 KB; and a part with an empty file name is no file (a browser's empty file input)
 * unless it is declared as octet-stream, so the upload has none (400).
 */
const parserRefuses = (filename: string, encoded: boolean, type: string) =>
  (!encoded && !headerSafe(filename.replace(/[\r\n]/g, '_'))) ||
  Buffer.byteLength(filenameParam(filename, encoded)) > 16 * 1024 - 200 ||
  (filename === '' && type !== 'application/octet-stream');

function multipart(parts: { name: string; filename?: string; encoded?: boolean; type?: string; content: Buffer }[]): {
  body: Buffer;
  type: string;
} {
  const boundary = `----fuzz${crypto.randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const name = p.filename === undefined ? '' : filenameParam(p.filename, p.encoded);
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${name}\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`,
        'utf8',
      ),
      p.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

function post(path: string, who: Who, form: { body: Buffer; type: string }) {
  return request(app).post(`/api/v1${path}`).set(bearer(who.token)).set('Content-Type', form.type).send(form.body);
}

async function counts(): Promise<Record<string, number>> {
  const db = mongoose.connection.db as mongoose.mongo.Db;
  const out: Record<string, number> = {};
  for (const c of await db.listCollections().toArray())
    if (c.name !== 'sessions') out[c.name] = await db.collection(c.name).countDocuments();
  return out;
}

function expectErrorModel(res: request.Response, status: number, what: string): void {
  runs += 1;
  expect({ what, status: res.status, ...(res.status === status ? {} : { error: res.body?.error }) }).toEqual({
    what,
    status,
  });
  expect(res.body.error).toEqual({ code: expect.any(String), message: expect.any(String), details: expect.any(Array) });
}

/** A stored name must be one plain file name: no directory, control, bidi or reserved character, no leading dot, at most 150 characters. */
function expectSafeName(name: string): void {
  expect(name).not.toMatch(/[/\\\u0000-\u001f\u007f"<>:|?*\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  expect(name).not.toMatch(/^[.\s]/);
  expect(Array.from(name).length).toBeLessThanOrEqual(150);
  expect(name.length).toBeGreaterThan(0);
}

// ---- evidence on visits and on disputes

const evidenceRoutes = () => [
  {
    label: 'visit evidence',
    path: `/visits/${world.draft.own.id}/attachments`,
    who: world.who.auditor,
    download: (id: string) => `/visits/${world.draft.own.id}/attachments/${id}`,
  },
  {
    label: 'dispute evidence',
    path: `/disputes/${world.dispute.own.id}/attachments`,
    who: world.who.managerA,
    download: (id: string) => `/disputes/${world.dispute.own.id}/attachments/${id}`,
  },
];

describe.each(['visit evidence', 'dispute evidence'])('%s', (label) => {
  const route = () => evidenceRoutes().find((r) => r.label === label) as ReturnType<typeof evidenceRoutes>[number];

  test('content decides: real evidence is kept under a clean name, anything else is 415 and stores nothing', async () => {
    const content = fc.oneof(
      fc.constantFrom(...Object.keys(GOOD)).map((k) => ({ kind: k, good: true, data: GOOD[k]() })),
      fc.constantFrom(...Object.keys(BAD)).map((k) => ({ kind: k, good: false, data: BAD[k]() })),
    );
    const declared = fc.constantFrom(
      'image/png',
      'image/jpeg',
      'application/pdf',
      'application/x-msdownload',
      'text/html',
      'image/svg+xml',
      'application/octet-stream',
    );
    await fc.assert(
      fc.asyncProperty(content, fileName, fc.boolean(), declared, async (c, name, encoded, type) => {
        const r = route();
        const before = parserRefuses(name, encoded, type) || !c.good ? await counts() : undefined;
        const res = await post(
          r.path,
          r.who,
          multipart([{ name: 'file', filename: name, encoded, type, content: c.data }]),
        );
        if (parserRefuses(name, encoded, type)) {
          expectErrorModel(res, 400, `a part header the parser refuses: ${JSON.stringify(name).slice(0, 40)}`);
          expect(await counts()).toEqual(before);
          return;
        }
        if (!c.good) {
          expectErrorModel(res, 415, `${c.kind} as ${JSON.stringify(name).slice(0, 40)} (${type})`);
          expect(await counts()).toEqual(before);
          return;
        }
        runs += 1;
        expect({ kind: c.kind, status: res.status }).toEqual({ kind: c.kind, status: 201 });
        expect(res.body.contentType).toBe(sniffType(c.data)?.contentType);
        expectSafeName(res.body.filename);
        const file = await request(app)
          .get(`/api/v1${r.download(res.body.id)}`)
          .set(bearer(r.who.token))
          .buffer(true)
          .parse((s, cb) => {
            const parts: Buffer[] = [];
            s.on('data', (x: Buffer) => parts.push(x));
            s.on('end', () => cb(null, Buffer.concat(parts)));
          });
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe(res.body.contentType);
        expect(file.headers['x-content-type-options']).toBe('nosniff');
        expect(file.headers['content-disposition']).toMatch(/^attachment;/);
        expect(file.headers['content-disposition']).not.toMatch(/[\r\n\u0000]/);
        expect(Buffer.compare(file.body as Buffer, c.data)).toBe(0);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  test('every hostile file name, quoted or RFC 5987-encoded, is stored as one plain, clean name', async () => {
    const r = route();
    for (const name of NAMES) {
      for (const encoded of [false, true]) {
        const res = await post(
          r.path,
          r.who,
          multipart([{ name: 'file', filename: name, encoded, type: 'application/octet-stream', content: GOOD.png() }]),
        );
        if (parserRefuses(name, encoded, 'application/octet-stream')) {
          expectErrorModel(res, 400, `refused header ${JSON.stringify(name)}`);
          continue;
        }
        runs += 1;
        expect({ name, encoded, status: res.status }).toEqual({ name, encoded, status: 201 });
        expectSafeName(res.body.filename);
      }
    }
  });

  test('zero bytes is 415, one byte over the limit 413, the limit itself accepted', async () => {
    const r = route();
    const before = await counts();
    expectErrorModel(
      await post(r.path, r.who, multipart([{ name: 'file', filename: 'empty.png', content: Buffer.alloc(0) }])),
      415,
      'empty',
    );
    const over = Buffer.concat([PNG, rand(MAX_FILE + 1 - PNG.length)]);
    const res = await post(r.path, r.who, multipart([{ name: 'file', filename: 'huge.png', content: over }]));
    expectErrorModel(res, 413, 'one byte over');
    expect(res.body.error.code).toBe('file_too_large');
    expect(await counts()).toEqual(before);
    const exact = await post(
      r.path,
      r.who,
      multipart([{ name: 'file', filename: 'limit.png', content: over.subarray(0, MAX_FILE) }]),
    );
    expect(exact.status).toBe(201);
  });

  test('broken multipart requests are 4xx and store nothing', async () => {
    const r = route();
    const before = await counts();
    const png = Buffer.concat([PNG, rand(100)]);
    const truncated = multipart([{ name: 'file', filename: 'a.png', content: png }]);
    const cases: [string, request.Test][] = [
      ['wrong field name', post(r.path, r.who, multipart([{ name: 'photo', filename: 'a.png', content: png }]))],
      [
        'two files',
        post(
          r.path,
          r.who,
          multipart([
            { name: 'file', filename: 'a.png', content: png },
            { name: 'file', filename: 'b.png', content: png },
          ]),
        ),
      ],
      ['no file at all', request(app).post(`/api/v1${r.path}`).set(bearer(r.who.token)).send({ file: 'not a file' })],
      ['a field instead of a file', post(r.path, r.who, multipart([{ name: 'file', content: png }]))],
      [
        'truncated body',
        post(r.path, r.who, { type: truncated.type, body: truncated.body.subarray(0, truncated.body.length - 40) }),
      ],
      [
        'no boundary',
        request(app)
          .post(`/api/v1${r.path}`)
          .set(bearer(r.who.token))
          .set('Content-Type', 'multipart/form-data')
          .send(png),
      ],
      [
        'a huge text field',
        post(
          r.path,
          r.who,
          multipart([
            { name: 'note', content: Buffer.alloc(100_000, 0x61) },
            { name: 'file', filename: 'a.png', content: png },
          ]),
        ),
      ],
      [
        'many parts',
        post(
          r.path,
          r.who,
          multipart(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: Buffer.from('x') }))),
        ),
      ],
    ];
    for (const [what, call] of cases) {
      const res = await call;
      runs += 1;
      expect({ what, client: res.status >= 400 && res.status < 500 }).toEqual({ what, client: true });
      expect(res.body.error).toEqual({
        code: expect.any(String),
        message: expect.any(String),
        details: expect.any(Array),
      });
    }
    expect(await counts()).toEqual(before);
  });
});

// ---- imports

async function xlsx(rows: string[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('rows');
  rows.forEach((r) => sheet.addRow(r));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const importRoutes = () => [
  {
    label: 'branches',
    path: `/banks/${world.bankId.A}/branches/import`,
    rows: [
      ['code', 'name', 'region'],
      ['WAN1', '支行 WAN1', 'North'],
    ],
  },
  {
    label: 'staff',
    path: `/banks/${world.bankId.A}/staff/import`,
    rows: [
      ['employeeId', 'name', 'branchCode'],
      ['EAN1', '员工 EAN1', 'WAN1'],
    ],
  },
  {
    label: 'assignments',
    path: `/assignments/import?bankId=${world.bankId.A}&questionnaireId=${world.questionnaireId.A}`,
    rows: [
      ['branchCode', 'auditorEmail', 'quarter', 'windowStart', 'windowEnd', 'scenario'],
      [
        'WAN1',
        world.who.auditor.email,
        world.quarter,
        '2026-10-01T00:00:00+08:00',
        '2026-12-31T00:00:00+08:00',
        '开户',
      ],
    ],
  },
];

describe.each(['branches', 'staff', 'assignments'])('import of %s', (label) => {
  const route = () => importRoutes().find((r) => r.label === label) as ReturnType<typeof importRoutes>[number];
  const csv = (rows: string[][]) => Buffer.from(`\ufeff${rows.map((r) => r.join(',')).join('\r\n')}\r\n`);

  test('content decides: UTF-8 CSV and XLSX are read whatever their name; executables, archives, images and other encodings are 415', async () => {
    const r = route();
    const good = await xlsx(r.rows);
    const contents = fc.oneof(
      fc.constantFrom<[string, boolean, Buffer]>(['csv', true, csv(r.rows)], ['xlsx', true, good]),
      fc.constantFrom<[string, boolean, Buffer]>(
        ['windows executable', false, BAD['windows executable']()],
        ['zip archive', false, BAD['zip archive']()],
        ['png', false, GOOD.png()],
        ['pdf with a NUL', false, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from([0]), rand(50)])],
        ['latin-1 text', false, Buffer.from('code,name,region\r\nWAN1,Caf\u00e9,North\r\n', 'latin1')],
        ['empty', false, Buffer.alloc(0)],
        ['xlsx cut short', false, good.subarray(0, Math.floor(good.length / 2))],
      ),
    );
    await fc.assert(
      fc.asyncProperty(contents, fileName, fc.boolean(), async ([kind, ok, data], name, encoded) => {
        const before = parserRefuses(name, encoded, 'text/csv') || !ok ? await counts() : undefined;
        const res = await post(
          r.path,
          world.who.admin,
          multipart([{ name: 'file', filename: name, encoded, type: 'text/csv', content: data }]),
        );
        if (parserRefuses(name, encoded, 'text/csv')) {
          expectErrorModel(res, 400, `a part header the parser refuses: ${JSON.stringify(name).slice(0, 40)}`);
          expect(await counts()).toEqual(before);
          return;
        }
        if (!ok) {
          expectErrorModel(res, 415, `${kind} as ${JSON.stringify(name).slice(0, 40)}`);
          expect(await counts()).toEqual(before);
          return;
        }
        runs += 1;
        expect({ kind, status: res.status, rejected: res.body.rejected }).toEqual({
          kind,
          status: 200,
          rejected: false,
        });
      }),
      { numRuns: Math.round(RUNS / 2), seed: SEED, endOnFailure: true },
    );
  });

  test('an over-size file is 413, pollution-key columns are 422, and neither writes anything', async () => {
    const r = route();
    const before = await counts();
    const big = Buffer.concat([csv(r.rows), Buffer.alloc(MAX_IMPORT, 0x20)]);
    const res = await post(r.path, world.who.admin, multipart([{ name: 'file', filename: 'big.csv', content: big }]));
    expectErrorModel(res, 413, 'over-size import');
    for (const header of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
      const rows = [
        [...r.rows[0], header],
        [...r.rows[1], 'x'],
      ];
      const polluted = await post(
        r.path,
        world.who.admin,
        multipart([{ name: 'file', filename: 'p.csv', content: csv(rows) }]),
      );
      expectErrorModel(polluted, 422, `column ${header}`);
      expect(polluted.body.error.code).toBe('bad_columns');
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(await counts()).toEqual(before);
  });
});
