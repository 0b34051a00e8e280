import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import { demoQuestionnaireBody } from '../seed/questionnaire';
import { streamFile } from '../server/platform/http/download';
import { call, created, FAULT_ADMIN, spawnApp, tokenOf, until, type AppProcess } from './helpers/faults';
import { windowAroundNow } from './helpers/visits';

/**
 * A client that goes away during a download (a phone losing its signal, a cancelled download) is
 * not a server error: the app as an operator runs it logs it at info level, never at error level
 * (which pages someone at night). A file that cannot be read is still an error.
 */
const BIG = 16 * 1024 * 1024;
const ABOUT_TO_LEAVE = 'client closed the connection before the file was sent';

type LogLine = { level: number; msg: string; url?: string; err?: { code?: string } };
const logLines = (app: AppProcess): LogLine[] =>
  app
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** Starts a GET, takes the first bytes of the answer, then hangs up; answers the status seen. */
function downloadAndHangUp(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
  });
}

describe('the app process, downloading a large attachment', () => {
  let app: AppProcess;
  let auditorToken: string;
  let fileUrl: string;

  beforeAll(async () => {
    app = await spawnApp({
      mongoUri: process.env.TEST_DB_URI ?? '',
      dbName: `gone_${process.pid}`,
      env: { LOG_LEVEL: 'info' },
    });
    const admin = await tokenOf(app.url, FAULT_ADMIN.email, FAULT_ADMIN.password);
    const bank = await created(app.url, admin, '/api/v1/banks', {
      code: 'GONE',
      name: '断线银行',
      timezone: 'Asia/Shanghai',
      reportRecipients: [],
    });
    await created(app.url, admin, `/api/v1/banks/${bank.id}/branches`, {
      code: 'G1',
      name: '支行 G1',
      region: 'North',
    });
    const q = await created(app.url, admin, '/api/v1/questionnaires', demoQuestionnaireBody(bank.id));
    const auditor = await created(app.url, admin, '/api/v1/users', {
      email: 'gone-aud@firm.test',
      password: 'Gone-test-pass-1',
      name: 'gone',
      role: 'auditor',
    });
    auditorToken = await tokenOf(app.url, 'gone-aud@firm.test', 'Gone-test-pass-1');
    const assignment = await created(app.url, admin, '/api/v1/assignments', {
      bankId: bank.id,
      branchCode: 'G1',
      auditorId: auditor.id,
      questionnaireId: q.id,
      quarter: '2026-Q4',
      ...windowAroundNow(),
      scenario: '开户',
    });
    const visit = await created(app.url, auditorToken, '/api/v1/visits', {
      assignmentId: assignment.id,
      visitedAt: new Date(Date.now() - 3600_000).toISOString(),
      durationMinutes: 20,
    });
    // A brochure as a 16 MB PDF: checked by content, far more than the sockets' buffers hold.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), crypto.randomBytes(BIG)]);
    const form = new FormData();
    form.append('file', new Blob([pdf], { type: 'application/pdf' }), '宣传册.pdf');
    const upload = await fetch(`${app.url}/api/v1/visits/${visit.id}/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${auditorToken}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const attachment = (await upload.json()) as { id: string };
    fileUrl = `/api/v1/visits/${visit.id}/attachments/${attachment.id}`;
  }, 180_000);

  afterAll(() => app?.kill('SIGTERM'));

  test('a client hanging up half-way is logged at info level, with no error line', async () => {
    const status = await downloadAndHangUp(app.url + fileUrl, { Authorization: `Bearer ${auditorToken}` });
    expect(status).toBe(200);
    // pino-http logs the request when it closes; any other line about it (ours, or an error) comes with it.
    await until('the request to be logged', () => logLines(app).some((l) => l.msg === 'request aborted'), 20_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
    const lines = logLines(app);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.err?.code === 'ERR_STREAM_PREMATURE_CLOSE')).toEqual([]);
    expect(lines.find((l) => l.msg === ABOUT_TO_LEAVE)).toMatchObject({ level: 30, url: fileUrl });
    // The app serves on: the same file downloads whole.
    const whole = await fetch(app.url + fileUrl, { headers: { Authorization: `Bearer ${auditorToken}` } });
    expect(whole.status).toBe(200);
    expect((await whole.arrayBuffer()).byteLength).toBe(BIG + 9);
    expect((await call(app.url, 'GET', '/healthz')).status).toBe(200);
  }, 60_000);
});

describe('streamFile tells a client that left from a file that failed', () => {
  /** A file of endless 64 kB chunks, or one that fails after a few (`fail`: with an error, or closed without one). */
  const source = (fail?: 'error' | 'close') => {
    let sent = 0;
    const stream: Readable = new Readable({
      read() {
        sent += 1;
        if (fail && sent === 4) {
          if (fail === 'error') stream.destroy(new Error('the disk went away'));
          else stream.destroy();
          return;
        }
        this.push(Buffer.alloc(64 * 1024, 7));
      },
    });
    return stream;
  };

  /** Serves one such file and answers how streamFile ended: 'sent', or the error it threw. */
  async function serve(fail: 'error' | 'close' | undefined, hangUp: boolean): Promise<'sent' | Error> {
    let ended!: (r: 'sent' | Error) => void;
    const outcome = new Promise<'sent' | Error>((resolve) => (ended = resolve));
    const web = express();
    web.get('/file', (_req, res) => {
      streamFile(res, source(fail)).then(
        () => ended('sent'),
        (e: Error) => ended(e),
      );
    });
    const server = web.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file`;
    if (hangUp) await downloadAndHangUp(url, {});
    else
      await new Promise<void>((resolve) => {
        http
          .get(url, (res) => res.on('data', () => undefined).on('close', () => resolve()))
          .on('error', () => resolve());
      });
    const result = await outcome;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    return result;
  }

  test('the client hangs up: streamFile ends quietly', async () => {
    await expect(serve(undefined, true)).resolves.toBe('sent');
  });

  test('the file fails to be read: the error reaches the caller', async () => {
    expect(await serve('error', false)).toMatchObject({ message: 'the disk went away' });
  });

  test('the file stops without an error: still an error, not taken for a client that left', async () => {
    expect(await serve('close', false)).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
