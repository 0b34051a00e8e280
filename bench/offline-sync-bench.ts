import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { DateTime } from 'luxon';
import { chromium, type Page } from 'playwright-core';

/**
 * Offline sync on one phone (issue 16, SPEC §9 "Offline"): BENCH_VISITS visits (200) are filled and
 * each given a ~1 MB photo while the platform cannot be reached (its listener closed), all kept in the
 * phone's IndexedDB queue (public/offline-queue.js) in Debian's Chromium; then the server comes back
 * on the same port and the queue sends everything on loopback. Measured: the time from the server's
 * return to nothing waiting on the phone; then counted on the server: every visit has its answers and
 * exactly one photo (nothing lost, nothing doubled). Target: under 60 s.
 *
 *   npm run bench:offline-sync                 # 200 visits
 *   BENCH_VISITS=20 npm run bench:offline-sync # a short run while iterating
 */
const VISITS = Number(process.env.BENCH_VISITS ?? 200);
const TARGET_S = 60;
const PHOTO_BYTES = 1024 * 1024;
const ROOT = path.resolve(__dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'Bench-offline-2026!';
const log = (m: string) => console.log(`[offline-sync] ${m}`);

/** A real JPEG of about 1 MB (noise compresses badly, so the size is the photo's, not padding). */
function photo(): Buffer {
  for (let side = 700; ; side += 20) {
    const data = Buffer.alloc(side * side * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const jpg = jpeg.encode({ data, width: side, height: side }, 92).data;
    if (jpg.length >= PHOTO_BYTES) return jpg;
  }
}

async function api(base: string, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const ITEMS = ['g1', 'g2', 'p1', 'c1', 'f1'];
const section = (key: string, items: string[]) => ({
  key,
  items: items.map((k) => ({ key: k, type: 'yes_no', text: { zh: `题目 ${k}`, en: `Item ${k}` } })),
});

/** Bank, branch, questionnaire, an auditor, and VISITS draft visits on their assignments. */
async function world(base: string): Promise<{ visitIds: string[]; email: string }> {
  const admin = (await api(base, '', 'POST', '/auth/token', { email: 'admin@bench.local', password: PASSWORD }))
    .token as string;
  const bank = await api(base, admin, 'POST', '/banks', { code: 'OFF', name: '离线银行', reportRecipients: [] });
  await api(base, admin, 'POST', `/banks/${bank.id}/branches`, { code: 'B1', name: '外滩支行', region: '华东' });
  const q = await api(base, admin, 'POST', '/questionnaires', {
    bankId: bank.id,
    name: '离线问卷',
    sections: [
      section('greeting', ['g1', 'g2']),
      section('product_knowledge', ['p1']),
      section('sales_compliance', ['c1']),
      section('follow_up', ['f1']),
    ],
  });
  const email = 'phone@bench.local';
  const auditor = await api(base, admin, 'POST', '/users', {
    email,
    password: PASSWORD,
    name: '手机',
    role: 'auditor',
  });
  const token = (await api(base, '', 'POST', '/auth/token', { email, password: PASSWORD })).token as string;
  const now = DateTime.now().setZone('Asia/Shanghai');
  const visitIds: string[] = [];
  for (let i = 0; i < VISITS; i++) {
    const a = await api(base, admin, 'POST', '/assignments', {
      bankId: bank.id,
      branchCode: 'B1',
      auditorId: auditor.id,
      questionnaireId: q.id,
      quarter: `${now.year}-Q${now.quarter}`,
      windowStart: now.startOf('quarter').toISO(),
      windowEnd: now.endOf('quarter').toISO(),
      scenario: `离线 ${i + 1}`,
    });
    const v = await api(base, token, 'POST', '/visits', {
      assignmentId: a.id,
      visitedAt: now.minus({ minutes: 30 }).toISO(),
      durationMinutes: 20,
    });
    visitIds.push(v.id as string);
  }
  return { visitIds, email };
}

/** The page's globals as this script uses them (the project's TypeScript has no DOM types). */
interface PhoneGlobals {
  atob(s: string): string;
  File: new (parts: unknown[], name: string, opts: { type: string }) => unknown;
  benchPhoto: Uint8Array;
  OfflineQueue: {
    initVisit(id: string, rev: number): Promise<unknown>;
    saveDraft(id: string, fields: Record<string, string>): Promise<unknown>;
    addFile(id: string, file: unknown, opts: { itemKey: string }): Promise<unknown>;
  };
}

/** In the page: every visit's answers and its photo (a unique tail each, so no two files are the same). */
async function queueAll(page: Page, visitIds: string[], jpg: Buffer): Promise<void> {
  await page.evaluate((b64) => {
    const g = globalThis as unknown as PhoneGlobals;
    g.benchPhoto = Uint8Array.from(g.atob(b64), (c: string) => c.charCodeAt(0));
  }, jpg.toString('base64'));
  for (let i = 0; i < visitIds.length; i += 20) {
    await page.evaluate(
      async ([ids, items]) => {
        const g = globalThis as unknown as PhoneGlobals;
        const Q = g.OfflineQueue;
        for (const id of ids) {
          await Q.initVisit(id, 0);
          const fields: Record<string, string> = { summary: `离线填写 ${id}` };
          for (const k of items) fields[`a.${k}`] = 'yes';
          await Q.saveDraft(id, fields);
          const file = new g.File([g.benchPhoto, `tail-${id}`], `photo-${id}.jpg`, { type: 'image/jpeg' });
          await Q.addFile(id, file, { itemKey: 'g1' });
        }
      },
      [visitIds.slice(i, i + 20), ITEMS] as const,
    );
  }
}

async function main(): Promise<void> {
  const { freePort, startEmbeddedDb } = await import('../server/platform/db/embedded');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-offline-'));
  const dbPort = await freePort();
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const db = await startEmbeddedDb({ binary, dataDir, port: dbPort, dbName: 'bench' });
  const { loadConfig, setConfig } = await import('../server/platform/config');
  setConfig(
    loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      MONGODB_URI: `mongodb://127.0.0.1:${dbPort}/`,
      DB_NAME: 'bench_offline',
      LOG_LEVEL: 'silent',
      SESSION_SECRET: 'bench-session-secret-that-is-long-enough-0',
      ADMIN_EMAIL: 'admin@bench.local',
      ADMIN_PASSWORD: PASSWORD,
      MFA_REQUIRED_ROLES: 'none',
      PASSWORD_HASH_LOG_N: '12',
    }),
  );
  const { startServices, stopServices } = await import('../server/bootstrap');
  const { createApp } = await import('../server/app');
  const { Visit } = await import('../server/visits/model');
  await startServices();
  const app = createApp();
  const sockets = new Set<Socket>();
  let server: http.Server = http.createServer(app);
  let port = 0;
  const up = async () => {
    server = http.createServer(app);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    sockets.forEach((s) => s.destroy());
    await closed;
  };
  await up();
  const base = `http://127.0.0.1:${port}`;
  const t = Date.now();
  const { visitIds, email } = await world(base);
  log(`${visitIds.length} draft visits ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, baseURL: base });
  const page = await ctx.newPage();
  page.setDefaultTimeout(120_000);
  await page.goto('/login');
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type="submit"]')]);
  await page.goto(`/visits/${visitIds[0]}/edit`);
  await page.waitForSelector('#visit-form[data-phone-copy]');

  await down();
  const jpg = photo();
  const tq = Date.now();
  await queueAll(page, visitIds, jpg);
  const waiting = (await page.evaluate('OfflineQueue.waitingCount()')) as number;
  log(
    `offline: ${waiting} writes queued on the phone (${VISITS} × answers + ${jpg.length} B photo) in ${((Date.now() - tq) / 1000).toFixed(1)} s`,
  );

  const load = os.loadavg();
  const t0 = Date.now();
  await up();
  await page.evaluate('OfflineQueue.pump()');
  for (;;) {
    const left = (await page.evaluate('OfflineQueue.waitingCount()')) as number;
    if (left === 0) break;
    await page.evaluate('OfflineQueue.pump()');
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - t0) / 1000;

  const visits = await Visit.find({}, { answers: 1, attachments: 1 }).lean();
  const photos = visits.reduce((n, v) => n + v.attachments.length, 0);
  const complete = visits.filter((v) => v.attachments.length === 1 && v.answers.length === ITEMS.length).length;
  const failed = (await page.evaluate(
    `OfflineQueue.items === undefined ? -1 : Promise.all(${JSON.stringify(visitIds)}.map((id) => OfflineQueue.items(id))).then((all) => all.flat().filter((i) => i.state === 'failed').length)`,
  )) as number;
  const figures = {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    loadAtStart: load.map((l) => l.toFixed(2)).join(' '),
    visits: VISITS,
    photoBytes: jpg.length,
    queuedWrites: waiting,
    syncSeconds: Number(seconds.toFixed(1)),
    megabytesPerSecond: Number(((VISITS * jpg.length) / 1048576 / seconds).toFixed(2)),
    serverVisits: visits.length,
    serverPhotos: photos,
    visitsComplete: complete,
    failedOnPhone: failed,
    target: `< ${TARGET_S} s`,
    met: seconds < TARGET_S && complete === VISITS && photos === VISITS && failed === 0,
  };
  console.log(JSON.stringify(figures, null, 2));
  await browser.close();
  await down();
  await stopServices();
  await db.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(figures.met ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
