import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { bearer, startTestApp, stopTestApp } from './app';
import { AppListener, CHROMIUM, CHROMIUM_ARGS } from './browser';
import { draftOnPhone, pagesWorld, type PagesWorld } from './visit-pages';
import { PASSWORD } from './visits';
import { unmarked } from './web';

/**
 * The phone-in-a-basement rig of the offline browser tests (SPEC §9 "Offline"): the app on a port that
 * can be taken down (listener closed, connections cut) and brought back on the same port, and a phone
 * — Debian's Chromium at 390×844 on a persistent profile with a fake microphone and geolocation at
 * the branch — whose cookies, service worker and IndexedDB survive closing the browser.
 */
const PHONE = { width: 390, height: 844 };
const BRANCH = { latitude: 31.2304, longitude: 121.4737 };
const ARGS = [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

export class OfflineRig {
  app!: Express;
  pw!: PagesWorld;
  dir = '';
  readonly shots = process.env.SHOTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'offline-shots-'));
  private listener: AppListener | undefined;
  private open: BrowserContext | undefined;

  /** Call in beforeAll: the app, a world with a branch at known coordinates, the server up. */
  async start(prefix: string): Promise<void> {
    this.app = await startTestApp();
    this.pw = await pagesWorld(this.app, prefix);
    const branch = await request(this.app)
      .post(`/api/v1/banks/${this.pw.bankId}/branches`)
      .set(bearer(this.pw.w.adminToken))
      .send({ code: 'G1', name: '静安支行', region: 'North', lat: BRANCH.latitude, lng: BRANCH.longitude });
    expect(branch.status).toBe(201);
    this.listener = new AppListener(this.app);
    await this.up();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-phone-'));
  }

  async stop(): Promise<void> {
    await this.open?.close().catch(() => undefined);
    await this.down();
    await stopTestApp();
  }

  /** The app's address, the same after every up(). */
  get base(): string {
    return this.listener?.base ?? '';
  }

  /** The app server on its port (the same one each time). */
  up(): Promise<void> {
    return this.listener?.up() ?? Promise.reject(new Error('OfflineRig: call start() first'));
  }

  /** Down: the listener closed and every open connection cut. */
  async down(): Promise<void> {
    await this.listener?.down();
  }

  draftVisit(scenario: string): Promise<{ visitId: string; assignmentId: string }> {
    return draftOnPhone(this.app, this.pw, { branchCode: 'G1', scenario });
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
