import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './app';
import { pagesWorld, type PagesWorld } from './visit-pages';
import { PASSWORD, windowAroundNow } from './visits';
import { unmarked } from './web';

/**
 * The phone-in-a-basement rig of the offline browser tests (SPEC §9 "Offline"): the app on a port that
 * can be taken down (listener closed, connections cut) and brought back on the same port, and a phone
 * — Debian's Chromium at 390×844 on a persistent profile with a fake microphone and geolocation at
 * the branch — whose cookies, service worker and IndexedDB survive closing the browser.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PHONE = { width: 390, height: 844 };
const BRANCH = { latitude: 31.2304, longitude: 121.4737 };
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

export class OfflineRig {
  app!: Express;
  pw!: PagesWorld;
  base = '';
  dir = '';
  readonly shots = process.env.SHOTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'offline-shots-'));
  private server: http.Server | undefined;
  private port = 0;
  private open: BrowserContext | undefined;
  private readonly sockets = new Set<Socket>();

  /** Call in beforeAll: the app, a world with a branch at known coordinates, the server up. */
  async start(prefix: string): Promise<void> {
    this.app = await startTestApp();
    this.pw = await pagesWorld(this.app, prefix);
    const branch = await request(this.app)
      .post(`/api/v1/banks/${this.pw.bankId}/branches`)
      .set(bearer(this.pw.w.adminToken))
      .send({ code: 'G1', name: '静安支行', region: 'North', lat: BRANCH.latitude, lng: BRANCH.longitude });
    expect(branch.status).toBe(201);
    await this.up();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-phone-'));
  }

  async stop(): Promise<void> {
    await this.open?.close().catch(() => undefined);
    await this.down();
    await stopTestApp();
  }

  /** The app server on its port (the same one each time). */
  async up(): Promise<void> {
    const server = http.createServer(this.app);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.base = `http://127.0.0.1:${this.port}`;
  }

  /** Down: the listener closed and every open connection cut. */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise((resolve) => s.close(resolve));
    this.sockets.forEach((c) => c.destroy());
    await closed;
  }

  async draftVisit(scenario: string): Promise<{ visitId: string; assignmentId: string }> {
    const assignmentId = await this.pw.w.assignment({
      bankId: this.pw.bankId,
      branchCode: 'G1',
      auditorId: this.pw.auditor.id,
      questionnaireId: this.pw.smallQuestionnaireId,
      quarter: '2026-Q4',
      ...windowAroundNow(),
      scenario,
    });
    const res = await request(this.app)
      .post('/api/v1/visits')
      .set(bearer(this.pw.auditor.token))
      .send({ assignmentId, visitedAt: new Date(Date.now() - 10 * 60_000).toISOString(), durationMinutes: 20 });
    expect(res.status).toBe(201);
    return { visitId: res.body.id as string, assignmentId };
  }

  /** The phone's browser on its own profile directory (cookies, service worker, IndexedDB survive a close). */
  async phone(profile: string, locale: string, problems: string[]): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await chromium.launchPersistentContext(path.join(this.dir, profile), {
      executablePath: CHROMIUM,
      args: ARGS,
      viewport: PHONE,
      locale,
      isMobile: true,
      hasTouch: true,
      baseURL: this.base,
      geolocation: { ...BRANCH, accuracy: 15 },
      permissions: ['geolocation', 'microphone'],
    });
    this.open = ctx;
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    return { ctx, page };
  }

  async signIn(page: Page): Promise<void> {
    await page.goto('/login');
    await page.fill('input[name="email"]', this.pw.auditor.email);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${this.base}/`), page.click('button[type="submit"]')]);
  }

  /** Opens the list and the form while online, under the service worker's control, so both are kept. */
  async openWhileOnline(page: Page, visitId: string): Promise<void> {
    await page.goto('/assignments');
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await page.reload();
    await page.waitForFunction(controlled);
    await page.goto(`/visits/${visitId}/edit`);
    await page.waitForFunction(controlled);
  }

  /** The phone's screen for the lead to look at (390×844), scrolled to what it shows. */
  async shoot(page: Page, name: string, at: string): Promise<void> {
    await page.locator(at).scrollIntoViewIfNeeded();
    const file = path.join(this.shots, `${name}-390x844.png`);
    await page.screenshot({ path: file });
    expect(fs.statSync(file).size).toBeGreaterThan(5_000);
    console.log(`screenshot: ${file}`);
  }
}

// Browser-side checks typed by hand: the project's TypeScript has no DOM types. (A string would be
// evaluated with eval, which the app's CSP forbids.)
const controlled = () => Boolean((globalThis as any).navigator.serviceWorker.controller);

export const filesListed = (n: number) => (page: Page) =>
  page.waitForFunction(
    (k) => (globalThis as any).document.querySelectorAll('#evidence-list li[data-seq]').length === k,
    n,
  );

export const textMatches = (page: Page, selector: string, re: RegExp) =>
  page.waitForFunction(
    ([sel, src]) => new RegExp(src).test((globalThis as any).document.querySelector(sel)?.textContent ?? ''),
    [selector, re.source] as const,
  );

/** A part of the page as read (words of the other language unmarked). */
export const words = async (page: Page, selector: string) => unmarked((await page.textContent(selector)) ?? '');

export const fileStates = (page: Page) =>
  page.$$eval('#evidence-list li[data-seq]', (lis) => lis.map((li) => li.getAttribute('data-sync')));

export async function recordAudio(page: Page, ms: number): Promise<void> {
  await page.click('#capture-record');
  await page.waitForSelector('#capture-record[aria-pressed="true"]');
  await page.waitForTimeout(ms);
  await page.click('#capture-record');
}
