/**
 * Metadata stripping on download streams (SPEC §9, issue 16): a bank user's copy of a photo has its
 * EXIF, XMP and GPS removed on the way out (server/evidence/strip.ts), and that must not hold the
 * file in memory. Two measurements:
 *
 * 1. The filter alone, no I/O: 5, 50 and 200 MB JPEGs generated on the fly in 64 kB chunks (EXIF
 *    with GPS, XMP, a comment, then entropy-coded data), through JpegMetadataFilter or through a
 *    plain PassThrough; throughput and the peak RSS above the start.
 * 2. The whole download over HTTP from the app (GridFS on an embedded FerretDB): a 5 MB and a 50 MB
 *    photo uploaded by an auditor, approved; the bank manager's stripped download against the
 *    reviewer's original, 3 rounds each: time, MB/s, the peak RSS of the (single) process above its
 *    level before the download. If stripping buffered the file, the 50 MB delta would be ≥ 50 MB.
 *
 *   node --expose-gc -r @swc-node/register bench/strip-bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const rss = () => process.memoryUsage.rss();

/** Entropy-coded-like bytes: random, every FF followed by a stuffed 00, never ending on FF. */
function scanData(n: number): Buffer {
  const b = crypto.randomBytes(n);
  for (let i = 0; i < n; i++) {
    if (b[i] !== 0xff) continue;
    if (i + 1 < n) b[++i] = 0x00;
    else b[i] = 0x00;
  }
  return b;
}

/** 8 MB of scan data made once and sliced, so that making the file costs next to nothing. */
let pool: Buffer | undefined;
const poolSlice = (n: number, at: number) => {
  pool ??= scanData(8 * MB);
  const from = at % (pool.length - n);
  // Never end on FF: the next slice's first byte would be read as a marker (an EOI ends the image).
  const end = pool[from + n - 1] === 0xff ? from + n - 1 : from + n;
  return pool.subarray(from, end);
};

/** A JPEG of about `size` bytes, produced 64 kB at a time: its metadata head, scan data, EOI. */
function photoStream(head: Buffer, size: number): Readable {
  let at = 0;
  let left = size - head.length - 2;
  let first = true;
  return new Readable({
    read() {
      if (first) {
        first = false;
        return void this.push(head);
      }
      if (left <= 0) {
        this.push(Buffer.from([0xff, 0xd9]));
        return void this.push(null);
      }
      const n = Math.min(64 * 1024, left);
      left -= n;
      at += 7919 * 8; // a different slice each time
      this.push(poolSlice(n, at));
    },
  });
}

interface Run {
  ms: number;
  bytes: number;
  peak: number;
}

async function measure(run: () => Promise<number>): Promise<Run> {
  gc();
  const base = rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 2);
  const t = process.hrtime.bigint();
  const bytes = await run();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  clearInterval(timer);
  return { ms, bytes, peak: Math.max(peak, rss()) - base };
}

const counter = () => {
  let n = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      n += chunk.length;
      cb();
    },
  });
  return { sink, count: () => n };
};

const row = (label: string, size: number, r: Run) =>
  `| ${label} | ${Math.round(size / MB)} MB | ${r.ms.toFixed(0)} ms | ${((r.bytes / MB / r.ms) * 1000).toFixed(0)} MB/s | ${(r.peak / MB).toFixed(1)} MB |`;

async function filterAlone(head: Buffer, filter: () => Transform): Promise<string[]> {
  const lines = ['| path | file | time | throughput | peak RSS delta |', '|---|---|---|---|---|'];
  for (const size of [5 * MB, 50 * MB, 200 * MB]) {
    for (const [label, make] of [
      ['PassThrough (no filter)', () => new PassThrough()],
      ['JpegMetadataFilter', filter],
    ] as const) {
      const r = await measure(async () => {
        const c = counter();
        await pipeline(photoStream(head, size), make(), c.sink);
        if (c.count() < size - 64 * 1024) throw new Error(`${label}: only ${c.count()} of ${size} bytes came out`);
        return c.count();
      });
      lines.push(row(label, size, r));
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const { freePort, startEmbeddedDb } = await import('../server/platform/db/embedded');
  const root = path.resolve(__dirname, '..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-strip-'));
  const dbPort = await freePort();
  const db = await startEmbeddedDb({
    binary: process.env.FERRETDB_BIN ?? path.join(root, '.tools', 'bin', 'ferretdb'),
    dataDir,
    port: dbPort,
    dbName: 'bench',
  });
  const ADMIN = { email: 'admin@test.local', password: 'Admin-test-pass-1' }; // test/helpers/app.ts's
  Object.assign(process.env, {
    MONGODB_URI: `mongodb://127.0.0.1:${dbPort}/`,
    DB_NAME: 'bench_strip',
    DATA_DIR: dataDir,
    MFA_REQUIRED_ROLES: 'none',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    UPLOAD_MAX_BYTES: String(64 * MB),
    LOG_LEVEL: 'warn',
  });
  const { jpegWithExif, XMP_MARK } = await import('../test/helpers/evidence-images');
  const { JpegMetadataFilter } = await import('../server/evidence/strip');
  const photo = jpegWithExif({ taken: '2026:12:01 10:20:30', gps: { lat: 31.2304, lng: 121.4737 } });
  // The small photo's own metadata segments and tables, without its scan data and EOI.
  const sos = photo.indexOf(Buffer.from([0xff, 0xda]));
  const sosLength = photo.readUInt16BE(sos + 2);
  const head = photo.subarray(0, sos + 2 + sosLength);

  const out: string[] = [
    `${new Date().toISOString()} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model}) · Node ${process.version} · load ${os.loadavg()[0].toFixed(1)}`,
    '',
    '1. The filter alone',
    '',
    ...(await filterAlone(head, () => new JpegMetadataFilter())),
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const lines = await overHttp(head, XMP_MARK);
  process.stdout.write(`\n2. Downloads over HTTP from the app\n\n${lines.join('\n')}\n`);
  await db.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function fileOf(head: Buffer, size: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of photoStream(head, size)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** One download, streamed to a counter: the bytes and whether the head still has EXIF or XMP. */
function download(base: string, url: string, token: string): Promise<{ bytes: number; metadata: boolean }> {
  return new Promise((resolve, reject) => {
    http.get(`${base}${url}`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode}`));
      let bytes = 0;
      let head = Buffer.alloc(0);
      res.on('data', (c: Buffer) => {
        if (head.length < 64 * 1024) head = Buffer.concat([head, c]).subarray(0, 64 * 1024);
        bytes += c.length;
      });
      res.on('end', () => resolve({ bytes, metadata: head.includes('Exif\0\0') || head.includes('xmpmeta') }));
      res.on('error', reject);
    });
  });
}

/** The app's server process (as main.ts serves it, minus the workers); collects garbage when asked. */
async function serve(): Promise<void> {
  const { startServices } = await import('../server/bootstrap');
  const { createApp } = await import('../server/app');
  await startServices();
  const server = createApp().listen(0, '127.0.0.1', () =>
    process.send?.({ port: (server.address() as AddressInfo).port }),
  );
  process.on('message', (m) => {
    if (m === 'gc') {
      gc();
      process.send?.('gc-done');
    }
    if (m === 'stop') server.close(() => process.exit(0));
  });
}

const status = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function startServer(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--expose-gc', '-r', '@swc-node/register', __filename, '--serve'], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/** The server's peak RSS during `run` above its RSS before (garbage collected first; VmHWM reset). */
async function serverPeak(child: ChildProcess, run: () => Promise<number>): Promise<Run> {
  child.send('gc');
  await new Promise((r) => child.once('message', r));
  const pid = child.pid as number;
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = status(pid, 'VmRSS');
  const t = process.hrtime.bigint();
  const bytes = await run();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  return { ms, bytes, peak: status(pid, 'VmHWM') - before };
}

async function overHttp(head: Buffer, xmpMark: string): Promise<string[]> {
  const { VisitWorld, SECTIONS, ANSWERS, windowAroundNow, hoursAgo } = await import('../test/helpers/visits');
  const request = (await import('supertest')).default;
  const { child, base } = await startServer();
  const app = base as unknown as Express;
  const w = await VisitWorld.create(app);
  const bankId = await w.bank('STRIP');
  await w.branch(bankId, 'N1', 'North');
  const q = await request(app)
    .post('/api/v1/questionnaires')
    .set({ Authorization: `Bearer ${w.adminToken}` })
    .send({
      bankId,
      name: 'bench',
      sections: SECTIONS.map((s) => ({ ...s, items: s.items.map((i) => ({ ...i, text: { zh: i.key, en: i.key } })) })),
    });
  const auditor = await w.user('a@strip.bench', 'auditor');
  const reviewer = await w.user('r@strip.bench', 'reviewer');
  const manager = await w.user('m@strip.bench', 'bank_manager', { bankId, scope: { type: 'bank' } });
  const as = (t: string) => ({ Authorization: `Bearer ${t}` });
  const lines = ['| who (file) | file | time | throughput | server peak RSS delta |', '|---|---|---|---|---|'];
  for (const size of [5 * MB, 50 * MB]) {
    const assignmentId = await w.assignment({
      bankId,
      branchCode: 'N1',
      auditorId: auditor.id,
      questionnaireId: q.body.id,
      quarter: '2026-Q4',
      ...windowAroundNow(),
      scenario: 'bench',
    });
    const v = await request(app)
      .post('/api/v1/visits')
      .set(as(auditor.token))
      .send({ assignmentId, visitedAt: hoursAgo(1), durationMinutes: 20, answers: ANSWERS });
    const file = await fileOf(head, size);
    const up = await request(app)
      .post(`/api/v1/visits/${v.body.id}/attachments`)
      .set(as(auditor.token))
      .attach('file', file, 'IMG_2026.jpg');
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
    await request(app).post(`/api/v1/visits/${v.body.id}/submit`).set(as(auditor.token));
    const ok = await request(app)
      .post(`/api/v1/visits/${v.body.id}/review`)
      .set(as(reviewer.token))
      .send({ decision: 'approve' });
    if (ok.status !== 200) throw new Error(`approve: ${ok.status} ${JSON.stringify(ok.body)}`);
    const url = `/api/v1/visits/${v.body.id}/attachments/${up.body.id}`;
    for (const [label, who, stripped] of [
      ['reviewer (original)', reviewer, false],
      ['bank manager (stripped)', manager, true],
    ] as const) {
      for (let round = 0; round < 3; round++) {
        let seen = { bytes: 0, metadata: false };
        const r = await serverPeak(child, async () => {
          seen = await download(base, url, who.token);
          return seen.bytes;
        });
        if (seen.metadata === stripped) throw new Error(`${label}: metadata ${seen.metadata ? 'left' : 'missing'}`);
        if (!stripped && seen.bytes !== file.length) throw new Error(`${label}: ${seen.bytes} of ${file.length} bytes`);
        if (stripped && seen.bytes < file.length - 64 * 1024) throw new Error(`${label}: only ${seen.bytes} bytes`);
        lines.push(row(`${label}, round ${round + 1}`, size, r));
      }
    }
  }
  lines.push('', `(the stripped copies carry no EXIF or XMP — "${xmpMark}" checked — in their first 64 kB)`);
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  return lines;
}

(process.argv.includes('--serve') ? serve() : main()).catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
