import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { Visit } from '../server/visits/model';
import { bearer } from './helpers/app';
import { plainJpeg } from './helpers/evidence-images';
import { fileStates, filesListed, OfflineRig, recordAudio, textMatches, words } from './helpers/offline-phone';
import { windowAroundNow } from './helpers/visits';

/**
 * SPEC §9 "Offline": a visit never started online is started from the kept assignment list with no
 * connection (Debian's Chromium at 390×844, the app's listener closed): the phone opens the kept blank
 * form, everything typed and captured waits behind the start, through a reload and a closed browser;
 * back online the visit is made once and everything goes to it. A start the platform refuses (the
 * assignment got a visit from elsewhere meanwhile) is explained and nothing leaves the phone.
 */
const rig = new OfflineRig();

beforeAll(() => rig.start('BN'), 120_000);
afterAll(() => rig.stop());

async function freshAssignment(scenario: string): Promise<string> {
  return rig.pw.w.assignment({
    bankId: rig.pw.bankId,
    branchCode: 'G1',
    auditorId: rig.pw.auditor.id,
    questionnaireId: rig.pw.smallQuestionnaireId,
    quarter: '2026-Q4',
    ...windowAroundNow(),
    scenario,
  });
}

/** The list opened online under the service worker, with the blank forms of its assignments kept. */
async function openListOnline(page: Page): Promise<void> {
  await page.goto('/assignments');
  await page.evaluate(() => (globalThis as any).navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForSelector('#offline-context[data-forms-kept="yes"]', { state: 'attached' });
}

async function startOffline(page: Page, assignmentId: string, minutes: string): Promise<void> {
  const card = `#assignment-${assignmentId}`;
  await page.click(`${card} summary`);
  await page.fill(`${card} input[name="durationMinutes"]`, minutes);
  await Promise.all([
    page.waitForURL(`${rig.base}/assignments/${assignmentId}/new`),
    page.click(`${card} form button[type="submit"]`),
  ]);
  await page.waitForSelector('#visit-form[data-phone-copy]');
}

test('started offline from the kept list: answers, photo, arrival, reload, closed browser, submit; online: one visit with everything', async () => {
  const assignmentId = await freshAssignment('开户（离线开始）');
  const problems: string[] = [];
  const profile = 'phone-start';
  let { ctx, page } = await rig.phone(profile, 'en-US', problems);
  await rig.signIn(page);
  await openListOnline(page);

  // ---- the basement
  await rig.down();
  await ctx.setOffline(true);
  await startOffline(page, assignmentId, '25');
  await page.waitForSelector('#save-status[data-state="phone"]');
  expect(await words(page, '#save-status')).toContain('Saved on this phone — the visit is started on the platform');
  await page.check('input[name="a.g1"][value="yes"]');
  await page.check('input[name="a.g2"][value="4"]');
  await page.fill('textarea[name="summary"]', '离线开始的暗访：大堂经理主动引导。');
  await page.waitForSelector('#save-status[data-state="phone"]'); // kept (and queued) before the photo
  const photo = path.join(rig.dir, 'start.jpg');
  fs.writeFileSync(photo, plainJpeg(640, 480, 3));
  await page.selectOption('#evidence-form select[name="itemKey"]', 'g1');
  await page.setInputFiles('#capture-photo', photo);
  await filesListed(1)(page);
  await page.click('#place button[data-kind="arrive"]');
  await textMatches(page, '#place [data-state="arrive"]', /on this phone/);
  await page.check('input[name="a.c1"][value="yes"]');
  await page.check('input[name="a.c2"][value="no"]');
  await page.check('input[name="a.p1"][value="na"]');
  await page.check('input[name="a.f1"][value="yes"]');
  await page.waitForSelector('#save-status[data-state="phone"]');
  await rig.shoot(page, 'start-offline-en', '#save-status');

  // ---- a reload, then the browser closed and opened again on the same profile, still offline
  await page.reload();
  await page.waitForSelector('#visit-form[data-phone-copy="shown"]');
  await expect(page.isChecked('input[name="a.c2"][value="no"]')).resolves.toBe(true);
  await ctx.close();
  ({ ctx, page } = await rig.phone(profile, 'en-US', problems));
  await ctx.setOffline(true);
  // The list says the visit was started here, and leads back to its form.
  await page.goto('/assignments');
  await page.click(`#assignment-${assignmentId} a:has-text("Continue (started on this phone)")`);
  await page.waitForURL(`${rig.base}/assignments/${assignmentId}/new`);
  await page.waitForSelector('#visit-form[data-phone-copy="shown"]');
  await expect(page.isChecked('input[name="a.g2"][value="4"]')).resolves.toBe(true);
  await expect(page.inputValue('textarea[name="summary"]')).resolves.toContain('离线开始的暗访');
  await filesListed(1)(page);
  expect(await fileStates(page)).toEqual(['queued']);
  await page.click('button[value="submit"]');
  await page.waitForSelector('#sync-notice:not([hidden])');
  expect(await words(page, '#sync-notice')).toContain('Your submission is saved on this phone');
  expect(await Visit.countDocuments({ assignmentId })).toBe(0);

  // ---- the connection returns: the visit is made once, and everything goes to it in order
  await rig.up();
  await ctx.setOffline(false);
  await page.waitForURL(/\/visits\/[a-f0-9]{24}$/, { timeout: 60_000 });
  const visits = await Visit.find({ assignmentId }).lean();
  expect(visits).toHaveLength(1);
  const v = visits[0];
  expect(page.url()).toBe(`${rig.base}/visits/${String(v._id)}`);
  expect(v.status).toBe('submitted');
  expect(v.durationMinutes).toBe(25);
  expect(Object.fromEntries(v.answers.map((a) => [a.itemKey, a.value]))).toEqual({
    g1: 'yes',
    g2: 4,
    p1: 'na',
    c1: 'yes',
    c2: 'no',
    f1: 'yes',
  });
  expect(v.summary).toBe('离线开始的暗访：大堂经理主动引导。');
  expect(v.attachments.map((a) => [a.filename, a.itemKey])).toEqual([['start.jpg', 'g1']]);
  expect(v.locations?.map((l) => l.kind)).toEqual(['arrive']);
  const actions = v.history.map((h) => h.action).filter((a, i, all) => a !== all[i - 1]);
  expect(actions).toEqual([
    'created',
    'updated',
    'attachment_added',
    expect.stringMatching(/location/),
    'updated',
    'submitted',
  ]);
  // Reopened online, the phone's address leads to the platform's visit; nothing waits any more.
  await page.goto(`/assignments/${assignmentId}/new`);
  await page.waitForURL(`${rig.base}/visits/${String(v._id)}`);
  expect(await Visit.countDocuments({ assignmentId })).toBe(1);
  expect(problems).toEqual([]);
  await ctx.close();
}, 300_000);

test('a start refused because the assignment got a visit elsewhere: explained in words, nothing sent over it, the phone keeps everything', async () => {
  const assignmentId = await freshAssignment('理财咨询（离线开始，冲突）');
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('phone-start-2', 'zh-CN', problems);
  await rig.signIn(page);
  await openListOnline(page);

  await rig.down();
  await ctx.setOffline(true);
  await startOffline(page, assignmentId, '15');
  await page.check('input[name="a.g1"][value="no"]');
  await page.fill('textarea[name="summary"]', '手机上的回答。');
  await page.waitForSelector('#save-status[data-state="phone"]');

  // Meanwhile the same assignment is started from another device.
  const other = await request(rig.app)
    .post('/api/v1/visits')
    .set(bearer(rig.pw.auditor.token))
    .send({ assignmentId, visitedAt: new Date(Date.now() - 5 * 60_000).toISOString(), durationMinutes: 30 });
  expect(other.status).toBe(201);

  await rig.up();
  await ctx.setOffline(false);
  await page.waitForSelector('#sync-conflict:not([hidden])', { timeout: 60_000 });
  const said = await words(page, '#sync-conflict');
  expect(said).toContain('这次暗访未能在平台上开始');
  expect(said).toContain('平台上这项任务已有暗访');
  expect(said).toContain('没有任何内容被覆盖或丢失');
  expect(await page.getAttribute('#sync-conflict a.button', 'href')).toBe(`/visits/${other.body.id as string}`);
  await expect(page.isChecked('input[name="a.g1"][value="no"]')).resolves.toBe(true);
  const platform = await Visit.findById(other.body.id).lean().orFail();
  expect(platform.answers).toEqual([]);
  expect(platform.durationMinutes).toBe(30);
  expect(platform.rev).toBe(0);
  expect(await Visit.countDocuments({ assignmentId })).toBe(1);
  await rig.shoot(page, 'start-refused-zh', '#sync-conflict');
  expect(problems).toEqual([]);
  await ctx.close();
}, 240_000);

test('where the browser records no WebM or Ogg (Safari), the recorder picks audio/mp4 and the platform keeps it as MPEG-4 audio', async () => {
  const { visitId } = await rig.draftVisit('录音（MP4）');
  const problems: string[] = [];
  const { ctx, page } = await rig.phone('phone-mp4', 'en-US', problems);
  // Safari's MediaRecorder: audio/mp4 only (Chromium records it too, which makes the file real).
  await ctx.addInitScript(() => {
    const MR = (globalThis as any).MediaRecorder;
    const supported = MR.isTypeSupported.bind(MR);
    MR.isTypeSupported = (t: string) => /^audio\/mp4/.test(t) && supported(t);
  });
  await rig.signIn(page);
  await page.goto(`/visits/${visitId}/edit`);
  await page.waitForSelector('#visit-form[data-phone-copy]');
  await recordAudio(page, 1500);
  await page.waitForSelector('#evidence-list li[data-sync="sent"]', { timeout: 60_000 });
  const v = await Visit.findById(visitId).lean().orFail();
  expect(v.attachments).toHaveLength(1);
  expect(v.attachments[0].contentType).toBe('audio/mp4');
  expect(v.attachments[0].filename).toMatch(/^audio-\d{8}-\d{6}\.m4a$/);
  expect(v.attachments[0].size).toBeGreaterThan(1000);
  expect(problems).toEqual([]);
  await ctx.close();
}, 180_000);
