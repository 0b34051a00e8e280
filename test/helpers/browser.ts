import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startTestApp, stopTestApp } from './app';

/**
 * The real app in a real browser (Debian's Chromium through playwright-core), for the browser and
 * journey tests. One suite per test file:
 *
 *   const b = new BrowserSuite('calibration-shots-');   // screenshot folder's prefix
 *   beforeAll(async () => {
 *     const app = await b.start();     // fresh database, the app on a free port, Chromium
 *     ...build the file's data through `app`...
 *   }, 120_000);
 *   afterAll(() => b.stop());          // Chromium, the port, the app's services
 *
 *   const { context, page } = await b.signedIn(email, password, { viewport: PHONE, lang: 'en' });
 *   await b.screenshot(page, 'visit-form-390');          // → <shots>/visit-form-390.png
 *   expect(b.problems).toEqual([]);                      // nothing went wrong in any page
 *   await choose(page, 'g_hello', 'yes');                // an answer on the visit or calibration form
 *
 * Every page it opens is watched: an uncaught script error, a console error (a CSP violation shows
 * there; failed loads are judged by their status instead) and an answer of 500 or more, or a 4xx
 * the suite did not declare expected (`expected4xx`; the favicon, which does not exist, always is),
 * are collected in `problems` for the test to assert on. Pages are phones (touch, mobile viewport)
 * below 500 px wide. Screenshots go to SHOTS_DIR, or to a fresh temporary folder.
 */
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1366, height: 768 } as const;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags every test's Chromium starts with (headless in a container, no background traffic). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const FAVICON = /\/favicon\.ico$/;

/** Debian's Chromium, as every browser test starts it. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/**
 * The app's listener, which a test takes down (listener closed, every open connection cut: what a
 * phone sees when its network goes) and brings back on the same port.
 */
export class AppListener {
  private server: http.Server | undefined;
  private port = 0;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly app: Express) {}

  /** e.g. http://127.0.0.1:41234, the same after every up(). */
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listening on a free port the first time, on the same port after. */
  async up(): Promise<void> {
    const server = http.createServer(this.app);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
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
}

/** A questionnaire item on the visit or calibration form (both render the same controls). */
export const formItem = (page: Page, key: string) => page.locator(`#item-${key}`);
/** Picks an answer of a yes/no, scale or choice item on those forms. */
export const choose = (page: Page, key: string, value: string) =>
  page.check(`input[name="a.${key}"][value="${value}"]`);

export interface PageOptions {
  viewport: { width: number; height: number };
  /** The browser's locale (Accept-Language, navigator.language), e.g. 'en-US'; the browser's default otherwise. */
  locale?: string;
  /** More of playwright's context options (geolocation, permissions, …). */
  context?: BrowserContextOptions;
}

export interface SignInOptions extends PageOptions {
  /** The page language chosen before signing in (the language cookie); none: the browser's locale decides. */
  lang?: 'en' | 'zh';
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
}

interface Running {
  app: Express;
  base: string;
  browser: Browser;
}

export class BrowserSuite {
  readonly problems: string[] = [];
  private listener?: AppListener;
  private running?: Running;
  private shotsDir?: string;

  /** `expected4xx`: the URLs whose 4xx answers the suite provokes on purpose (a refused submit). */
  constructor(
    private readonly shotsPrefix: string,
    private readonly expected4xx?: RegExp,
  ) {}

  /** Starts the app on its own, freshly emptied database, listening on a free port, and Chromium. */
  async start(): Promise<Express> {
    const app = await startTestApp();
    this.listener = new AppListener(app);
    await this.listener.up();
    const browser = await launchChromium();
    this.running = { app, base: this.listener.base, browser };
    return app;
  }

  /** The app unreachable: its listener closed and every open connection cut (the phone's network gone). */
  down(): Promise<void> {
    return this.listener?.down() ?? Promise.resolve();
  }

  /** The app reachable again, on the same port. */
  up(): Promise<void> {
    return this.listener ? this.listener.up() : Promise.reject(new Error('BrowserSuite: call start() first'));
  }

  /** Stops whatever start() got running, also after it failed half-way. */
  async stop(): Promise<void> {
    await this.running?.browser.close();
    await this.listener?.down();
    await stopTestApp();
  }

  get app(): Express {
    return this.started().app;
  }

  /** The app's address, e.g. http://127.0.0.1:41234 (pages open with paths relative to it). */
  get base(): string {
    return this.started().base;
  }

  get browser(): Browser {
    return this.started().browser;
  }

  /** The folder screenshots go to (made at the first use). */
  get shots(): string {
    this.shotsDir ??= process.env.SHOTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), this.shotsPrefix));
    return this.shotsDir;
  }

  /** A page in a new browser profile (nobody signed in), watched for problems. */
  async newPage(options: PageOptions): Promise<OpenPage> {
    const phone = options.viewport.width < 500;
    const context = await this.browser.newContext({
      baseURL: this.base,
      viewport: options.viewport,
      locale: options.locale,
      isMobile: phone,
      hasTouch: phone,
      ...options.context,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    this.watch(page);
    return { context, page };
  }

  /** A new browser profile signed in through the sign-in page, on the home page it lands on. */
  async signedIn(email: string, password: string, options: SignInOptions): Promise<OpenPage> {
    const open = await this.newPage(options);
    const { page } = open;
    await page.goto(options.lang ? `/lang/${options.lang}?next=/login` : '/login');
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL(`${this.base}/`), page.click('form[action="/login"] button[type="submit"]')]);
    return open;
  }

  /** Saves the page (whole length unless `fullPage: false`) as `<shots>/<name>.png` and answers the file's path. */
  async screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
    const file = path.join(this.shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
    return file;
  }

  private watch(page: Page): void {
    page.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        this.problems.push(`console: ${m.text()}`);
    });
    page.on('response', (res) => {
      const status = res.status();
      const expected = FAVICON.test(res.url()) || (this.expected4xx?.test(res.url()) ?? false);
      if (status >= 500 || (status >= 400 && !expected)) this.problems.push(`${status} ${res.url()}`);
    });
  }

  private started(): Running {
    if (!this.running) throw new Error('BrowserSuite: call start() in beforeAll first');
    return this.running;
  }
}
